// Package e2e holds kfp-dagger's end-to-end tests. They drive the real
// `dagger` CLI against the engine and the loopback registries that
// hack/engine.sh starts, then read what was pushed with go-containerregistry.
//
// With -short they skip. Otherwise they fail, never skip, when the engine or
// the registries are missing: run `hack/engine.sh up` and
// `eval "$(hack/engine.sh env)"` first (hack/test.sh does both).
package e2e
