package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// The platforms KFP publishes images for.
const (
	LinuxAMD64 = "linux/amd64"
	LinuxARM64 = "linux/arm64"
)

// Image describes one container image that KFP builds.
type Image struct {
	// Name is the repository name under the registry, e.g. kfp-api-server.
	Name string
	// Short is the name KFP's Makefiles and workflows use, e.g. apiserver.
	Short string
	// Dockerfile is the Dockerfile's path in a KFP checkout.
	Dockerfile string
	// Context is the build context directory in a KFP checkout.
	Context string
	// Kind says in a few words what the image is built from.
	Kind string
	// Platforms lists the platforms the image ships for: in the catalog,
	// those of KFP 2.17; in a [Set], those of the tree's workflow.
	Platforms []string
	// BuildArgs names, sorted, every build argument KFP passes to the
	// image; see [Image.BuildArgValues].
	BuildArgs []string
	// Tool marks an image of the release tooling, which is tagged by branch
	// and never deployed.
	Tool bool
	// Inputs lists the paths in a KFP checkout whose change means the image
	// must be rebuilt: files, and directories written with a trailing "/".
	Inputs []string
	// DependsOn names the catalog image this one is built FROM, if any.
	DependsOn string
}

// Build argument names, as the Dockerfiles spell them.
const (
	argBaseImage   = "BASE_IMAGE"
	argCommitHash  = "COMMIT_HASH"
	argCommitSHA   = "COMMIT_SHA"
	argGCFlags     = "GCFLAGS"
	argNodeVersion = "NODE_VERSION"
	argTagName     = "TAG_NAME"
)

// goModule lists the files every Go image reads before compiling: the root
// module and the two modules it replaces with local directories.
var goModule = []string{"go.mod", "go.sum", "api/go.mod", "kubernetes_platform/go.mod"}

// rootContext lists what every image whose build context is the repository
// root reads besides its own inputs: the root .dockerignore, which decides
// what the context holds.
var rootContext = []string{".dockerignore"}

// images is the catalog, in the order of testdata/kfp-images.json:
// published images, then tool images. [Builtin] is this list as it is;
// [FromWorkflow] keeps the published images a source tree publishes.
//
// The Inputs of Go images are the transitive closure of the in-repository
// packages each binary imports (tests excluded), taken from kubeflow/pipelines
// at version 2.17.0; refresh them when KFP moves packages. Prefixes are kept a
// directory or two deep, so a change near a binary may rebuild a sibling
// image, never the reverse.
var images = []Image{
	{
		Name: "kfp-api-server", Short: "apiserver",
		Dockerfile: "backend/Dockerfile", Context: ".",
		Kind:      "go (cgo) + python step that compiles samples",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, goModule, []string{
			"backend/Dockerfile",
			"backend/src/apiserver/",
			"backend/src/common/",
			"backend/src/agent/persistence/client/",
			"backend/src/crd/pkg/",
			"backend/src/crd/kubernetes/",
			"backend/src/v2/",
			"backend/api/v1beta1/go_client/",
			"backend/api/v2beta1/go_client/",
			"api/v2alpha1/go/",
			"kubernetes_platform/go/",
			// The python stage compiles the preloaded samples.
			"backend/requirements.txt",
			"samples/",
		}),
	},
	{
		Name: "kfp-frontend", Short: "frontend",
		Dockerfile: "frontend/Dockerfile", Context: ".",
		Kind:      "node/typescript",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, []string{"frontend/"}),
	},
	{
		Name: "kfp-persistence-agent", Short: "persistenceagent",
		Dockerfile: "backend/Dockerfile.persistenceagent", Context: ".",
		Kind:      "go",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, goModule, []string{
			"backend/Dockerfile.persistenceagent",
			"backend/src/agent/persistence/",
			"backend/src/common/",
			"backend/src/crd/pkg/",
			"backend/api/v1beta1/go_client/",
		}),
	},
	{
		Name: "kfp-scheduled-workflow-controller", Short: "scheduledworkflow",
		Dockerfile: "backend/Dockerfile.scheduledworkflow", Context: ".",
		Kind:      "go",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, goModule, []string{
			"backend/Dockerfile.scheduledworkflow",
			"backend/src/crd/controller/scheduledworkflow/",
			"backend/src/crd/pkg/",
			"backend/src/common/",
			"backend/src/agent/persistence/client/",
			"backend/src/apiserver/common/",
			"backend/api/v1beta1/go_client/",
			"backend/api/v2beta1/go_client/",
		}),
	},
	{
		Name: "kfp-viewer-crd-controller", Short: "viewer-crd-controller",
		Dockerfile: "backend/Dockerfile.viewercontroller", Context: ".",
		Kind:      "go (cgo)",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, goModule, []string{
			"backend/Dockerfile.viewercontroller",
			"backend/src/crd/controller/viewer/",
			"backend/src/crd/pkg/",
		}),
	},
	{
		Name: "kfp-visualization-server", Short: "visualization-server",
		Dockerfile: "backend/Dockerfile.visualization", Context: ".",
		Kind:      "python",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, []string{
			"backend/Dockerfile.visualization",
			"backend/src/apiserver/visualization/",
		}),
	},
	{
		Name: "kfp-launcher", Short: "launcher",
		Dockerfile: "backend/Dockerfile.launcher", Context: ".",
		Kind:      "go (static)",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, goModule, []string{
			"backend/Dockerfile.launcher",
			"backend/src/v2/",
			"backend/src/common/",
			"backend/src/agent/persistence/client/",
			"backend/src/apiserver/common/",
			"backend/src/crd/pkg/",
			"backend/api/v1beta1/go_client/",
			"api/v2alpha1/go/",
		}),
	},
	{
		Name: "kfp-driver", Short: "driver",
		Dockerfile: "backend/Dockerfile.driver", Context: ".",
		Kind:      "go (static)",
		Platforms: both(), BuildArgs: published(argGCFlags),
		Inputs: inputs(rootContext, goModule, []string{
			"backend/Dockerfile.driver",
			"backend/src/v2/",
			"backend/src/common/",
			"backend/src/agent/persistence/client/",
			"backend/src/apiserver/common/",
			"backend/src/apiserver/config/",
			"backend/src/crd/pkg/",
			"backend/api/v1beta1/go_client/",
			"api/v2alpha1/go/",
			"kubernetes_platform/go/",
		}),
	},
	{
		Name: "kfp-cache-deployer", Short: "cache-deployer",
		Dockerfile: "backend/src/cache/deployer/Dockerfile", Context: ".",
		Kind:      "shell (gcloud, kubectl)",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, []string{
			"backend/src/cache/deployer/",
			"third_party/license.txt",
		}),
	},
	{
		Name: "kfp-cache-server", Short: "cache-server",
		Dockerfile: "backend/Dockerfile.cacheserver", Context: ".",
		Kind:      "go (cgo)",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, goModule, []string{
			"backend/Dockerfile.cacheserver",
			"backend/src/cache/",
			"backend/src/common/",
			"backend/src/agent/persistence/client/",
			"backend/src/crd/pkg/",
			"backend/api/v1beta1/go_client/",
		}),
	},
	{
		Name: "kfp-metadata-envoy", Short: "metadata-envoy",
		Dockerfile: "third_party/metadata_envoy/Dockerfile", Context: ".",
		Kind:      "envoy config only",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(rootContext, []string{"third_party/metadata_envoy/"}),
	},
	{
		Name: "kfp-metadata-writer", Short: "metadata-writer",
		Dockerfile: "backend/metadata_writer/Dockerfile", Context: ".",
		Kind:      "python",
		Platforms: []string{LinuxAMD64}, BuildArgs: published(),
		Inputs: inputs(rootContext, []string{"backend/metadata_writer/"}),
	},
	{
		Name: "kfp-inverse-proxy-agent", Short: "inverse-proxy-agent",
		Dockerfile: "proxy/Dockerfile", Context: "proxy",
		Kind:      "python + shell",
		Platforms: []string{LinuxAMD64}, BuildArgs: published(),
		Inputs: inputs([]string{"proxy/"}),
	},
	{
		Name: "kfp-api-generator", Short: "api-generator",
		Dockerfile: "backend/api/Dockerfile", Context: ".",
		Kind:      "protoc and swagger toolchain",
		Platforms: []string{LinuxAMD64}, Tool: true,
		// The Dockerfile reads tool versions from these two go.mod files
		// and copies nothing else.
		Inputs: inputs(rootContext, []string{
			"backend/api/Dockerfile",
			"backend/api/tools/go.mod",
			"go.mod",
		}),
	},
	{
		Name: "kfp-release", Short: "release",
		Dockerfile: "release/Dockerfile.release", Context: ".",
		Kind:      "release tooling on top of kfp-api-generator",
		Platforms: []string{LinuxAMD64}, Tool: true,
		BuildArgs: sorted(argBaseImage, argNodeVersion),
		Inputs:    inputs(rootContext, []string{"release/", "frontend/.nvmrc"}),
		DependsOn: "kfp-api-generator",
	},
}

func both() []string { return []string{LinuxAMD64, LinuxARM64} }

// published returns the build arguments KFP passes to every published image
// on master and release builds, plus extra.
func published(extra ...string) []string {
	return sorted(append([]string{argNodeVersion, argCommitSHA, argCommitHash, argTagName}, extra...)...)
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func inputs(groups ...[]string) []string {
	return sorted(slices.Concat(groups...)...)
}

// ParsePlatform returns s, less surrounding spaces, if it is a platform KFP
// builds for.
func ParsePlatform(s string) (string, error) {
	switch p := strings.TrimSpace(s); p {
	case LinuxAMD64, LinuxARM64:
		return p, nil
	}
	return "", fmt.Errorf("invalid platform %q: want one of %s, %s", s, LinuxAMD64, LinuxARM64)
}

// Supports returns an error if the image does not ship for platform.
func (img Image) Supports(platform string) error {
	if slices.Contains(img.Platforms, platform) {
		return nil
	}
	return fmt.Errorf("image %s does not ship %s (it ships %s)", img.Name, platform, strings.Join(img.Platforms, ", "))
}

// uses reports whether the repo-relative path p is one of the image's inputs.
func (img Image) uses(p string) bool {
	p = strings.TrimPrefix(strings.TrimSpace(p), "./")
	if p == "" {
		return false
	}
	for _, in := range img.Inputs {
		if p == in || (strings.HasSuffix(in, "/") && strings.HasPrefix(p, in)) {
			return true
		}
	}
	return false
}

func (img Image) clone() Image {
	img.Platforms = slices.Clone(img.Platforms)
	img.BuildArgs = slices.Clone(img.BuildArgs)
	img.Inputs = slices.Clone(img.Inputs)
	return img
}
