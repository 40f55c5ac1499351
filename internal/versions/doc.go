// Package versions reads versions.env, the one file that pins every tool
// version kfp-dagger uses: the Dagger engine and CLI, the registry, the base
// images' Go, Node.js and Debian, Trivy, cosign and the linters.
//
// The scripts in hack/ source the file; Go code (the end-to-end tests) reads
// it with [Load]. The package's tests hold dagger.json, the GitHub workflows,
// every +default image reference of the Dagger module and the scripts
// against it, so a version is changed in one place or a test fails.
package versions
