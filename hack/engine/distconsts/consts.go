// Package distconsts stands in for the nested module github.com/dagger/dagger/engine/distconsts,
// which the github.com/dagger/dagger module zip does not carry. The values suit an engine
// installed natively on a Debian host by hack/engine.sh.
package distconsts

const (
	// name of the engine container when run via docker (unused natively)
	EngineContainerName = "dagger-engine.dev"

	// where the engine listens by default
	DefaultEngineSockAddr = "unix:///run/dagger/engine.sock"

	// engine state (buildkit root)
	EngineDefaultStateDir = "/var/lib/dagger"

	// extra CA certs that the engine installs into containers
	EngineCustomCACertsDir = "/usr/local/share/ca-certificates"

	// OCI layout content store with builtin SDK images (go sdk tarball etc.)
	EngineContainerBuiltinContentDir = "/usr/local/share/dagger/content"

	// env vars naming the manifest digest of builtin SDK images in the store above
	GoSDKManifestDigestEnvName         = "DAGGER_GO_SDK_MANIFEST_DIGEST"
	PythonSDKManifestDigestEnvName     = "DAGGER_PYTHON_SDK_MANIFEST_DIGEST"
	TypescriptSDKManifestDigestEnvName = "DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST"

	// runtime binaries
	RuncPath       = "/usr/local/bin/runc"
	DaggerInitPath = "/usr/local/bin/dagger-init"

	OCIVersionAnnotation = "org.opencontainers.image.version"

	AlpineVersion  = "3.22.1"
	AlpineImage    = "alpine:" + AlpineVersion
	GolangVersion  = "1.26.1"
	GolangImage    = "golang:" + GolangVersion + "-alpine"
	BusyboxVersion = "1.37.0"
	BusyboxImage   = "busybox:" + BusyboxVersion
)
