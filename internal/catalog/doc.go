// Package catalog is the typed list of every container image that Kubeflow
// Pipelines (KFP) builds: the thirteen published images and the two tool
// images used by the release tooling.
//
// The catalog is a Go literal rather than a file read at run time, so a typo
// in an image name is a compile-time or test-time failure, not a failed
// release. Its tests check it, entry by entry and in both directions, against
// shared/spec/kfp-images.json, which records what the kubeflow/pipelines
// repository actually builds.
//
// Besides names, Dockerfiles and platforms, each Image carries the build
// arguments KFP passes to it (see [Image.BuildArgValues]) and the source paths
// that feed it (see [Affected]), so a pipeline can rebuild only the images a
// change touches.
package catalog
