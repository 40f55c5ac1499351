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
	// Platforms lists the platforms the image ships for.
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
	argDate        = "DATE"
	argGCFlags     = "GCFLAGS"
	argNodeVersion = "NODE_VERSION"
	argTagName     = "TAG_NAME"
)

// goModule lists the files every Go image reads before compiling: the root
// module and the two modules it replaces with local directories.
var goModule = []string{"go.mod", "go.sum", "api/go.mod", "kubernetes_platform/go.mod"}

// images is the catalog, in the order of shared/spec/kfp-images.json:
// published images, then tool images.
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
		Inputs: inputs(goModule, []string{
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
		Platforms: both(), BuildArgs: published(argDate),
		Inputs: inputs([]string{"frontend/"}),
	},
	{
		Name: "kfp-persistence-agent", Short: "persistenceagent",
		Dockerfile: "backend/Dockerfile.persistenceagent", Context: ".",
		Kind:      "go",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(goModule, []string{
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
		Inputs: inputs(goModule, []string{
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
		Inputs: inputs(goModule, []string{
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
		Inputs: inputs([]string{
			"backend/Dockerfile.visualization",
			"backend/src/apiserver/visualization/",
		}),
	},
	{
		Name: "kfp-launcher", Short: "launcher",
		Dockerfile: "backend/Dockerfile.launcher", Context: ".",
		Kind:      "go (static)",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(goModule, []string{
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
		Inputs: inputs(goModule, []string{
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
		Inputs: inputs([]string{
			"backend/src/cache/deployer/",
			"third_party/license.txt",
		}),
	},
	{
		Name: "kfp-cache-server", Short: "cache-server",
		Dockerfile: "backend/Dockerfile.cacheserver", Context: ".",
		Kind:      "go (cgo)",
		Platforms: both(), BuildArgs: published(),
		Inputs: inputs(goModule, []string{
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
		Inputs: inputs([]string{"third_party/metadata_envoy/"}),
	},
	{
		Name: "kfp-metadata-writer", Short: "metadata-writer",
		Dockerfile: "backend/metadata_writer/Dockerfile", Context: ".",
		Kind:      "python",
		Platforms: []string{LinuxAMD64}, BuildArgs: published(),
		Inputs: inputs([]string{"backend/metadata_writer/"}),
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
		Inputs: inputs([]string{
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
		Inputs:    inputs([]string{"release/", "frontend/.nvmrc"}),
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

// All returns every image, published images first, in the order of the spec.
// The result is a copy: changing it does not change the catalog.
func All() []Image {
	out := make([]Image, len(images))
	for i, img := range images {
		out[i] = img.clone()
	}
	return out
}

// Names returns the name of every image, in the order of [All].
func Names() []string {
	out := make([]string, len(images))
	for i, img := range images {
		out[i] = img.Name
	}
	return out
}

// Lookup returns the image with the given published name (kfp-api-server) or
// short name (apiserver).
func Lookup(nameOrShort string) (Image, error) {
	img, ok := find(nameOrShort)
	if !ok {
		return Image{}, unknownImages([]string{nameOrShort})
	}
	return img.clone(), nil
}

// Select returns the named images, without duplicates, in the order of [All].
// Names may be published or short names; blank names are ignored, and no
// names at all selects every image. Every unknown name is reported in one
// error.
func Select(names []string) ([]Image, error) {
	want := make(map[string]bool)
	var unknown []string
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			continue
		}
		img, ok := find(n)
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		want[img.Name] = true
	}
	if len(unknown) > 0 {
		return nil, unknownImages(unknown)
	}
	if len(want) == 0 {
		return All(), nil
	}
	var out []Image
	for _, img := range images {
		if want[img.Name] {
			out = append(out, img.clone())
		}
	}
	return out, nil
}

func find(nameOrShort string) (Image, bool) {
	key := strings.TrimSpace(nameOrShort)
	for _, img := range images {
		if key == img.Name || key == img.Short {
			return img, true
		}
	}
	return Image{}, false
}

func unknownImages(names []string) error {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	valid := make([]string, len(images))
	for i, img := range images {
		valid[i] = fmt.Sprintf("%s (%s)", img.Name, img.Short)
	}
	noun := "image"
	if len(names) > 1 {
		noun = "images"
	}
	return fmt.Errorf("unknown %s %s; valid images: %s", noun, strings.Join(quoted, ", "), strings.Join(valid, ", "))
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

// Affected returns the images that a change to the given paths means must be
// rebuilt, in the order of [All]. Paths are relative to a KFP checkout, as
// "git diff --name-only" prints them. An image is affected when a path is one
// of its Inputs or lies under one of its input directories, or when the image
// it is built FROM is affected.
func Affected(changed []string) []Image {
	hit := make(map[string]bool)
	for _, img := range images {
		for _, p := range changed {
			if img.uses(p) {
				hit[img.Name] = true
				break
			}
		}
	}
	// Images built FROM an affected image must be rebuilt too; loop until
	// no more are found so that chains of any length are followed.
	for more := true; more; {
		more = false
		for _, img := range images {
			if !hit[img.Name] && img.DependsOn != "" && hit[img.DependsOn] {
				hit[img.Name] = true
				more = true
			}
		}
	}
	var out []Image
	for _, img := range images {
		if hit[img.Name] {
			out = append(out, img.clone())
		}
	}
	return out
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
