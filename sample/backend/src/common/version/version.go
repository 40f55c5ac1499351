// Package version holds the build identity of every KFP Go binary in this
// sample. Version and Commit are set at link time by the Dockerfiles:
//
//	go build -ldflags "-X github.com/kubeflow/pipelines/backend/src/common/version.Version=${TAG_NAME} \
//	                   -X github.com/kubeflow/pipelines/backend/src/common/version.Commit=${COMMIT_SHA}"
package version

import (
	"fmt"
	"runtime"
)

// Set with -ldflags "-X"; an empty value (an empty build arg) falls back to the default.
var (
	Version = "dev"
	Commit  = "unknown"
)

// Arch is the GOARCH of the running binary (amd64, arm64, ...).
func Arch() string { return runtime.GOARCH }

// Info returns the version and commit, with defaults for empty values.
func Info() (version, commit string) {
	version, commit = Version, Commit
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = "unknown"
	}
	return version, commit
}

// Line is the one-line answer every entrypoint prints for --version:
//
//	kfp-api-server version=2.17.0 commit=abc123 arch=amd64
func Line(program string) string {
	v, c := Info()
	return fmt.Sprintf("%s version=%s commit=%s arch=%s", program, v, c, Arch())
}
