package catalog

import (
	"path"
	"slices"
	"strings"
	"testing"
)

const validList = "valid images: kfp-api-server (apiserver), kfp-frontend (frontend), " +
	"kfp-persistence-agent (persistenceagent), kfp-scheduled-workflow-controller (scheduledworkflow), " +
	"kfp-viewer-crd-controller (viewer-crd-controller), kfp-visualization-server (visualization-server), " +
	"kfp-launcher (launcher), kfp-driver (driver), kfp-cache-deployer (cache-deployer), " +
	"kfp-cache-server (cache-server), kfp-metadata-envoy (metadata-envoy), " +
	"kfp-metadata-writer (metadata-writer), kfp-inverse-proxy-agent (inverse-proxy-agent), " +
	"kfp-api-generator (api-generator), kfp-release (release)"

// names returns the name of each image.
func names(imgs []Image) []string {
	var out []string
	for _, img := range imgs {
		out = append(out, img.Name)
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCatalogShape(t *testing.T) {
	seen := make(map[string]string)
	for _, img := range Builtin().All() {
		for _, key := range []string{img.Name, img.Short} {
			if key == "" {
				t.Errorf("%+v: empty name or short name", img)
			}
			if other, dup := seen[key]; dup {
				t.Errorf("%s: name %q is also used by %s", img.Name, key, other)
			}
			seen[key] = img.Name
		}
		if !strings.HasPrefix(img.Name, "kfp-") {
			t.Errorf("%s: name does not start with kfp-", img.Name)
		}
		if !slices.IsSorted(img.BuildArgs) {
			t.Errorf("%s: BuildArgs %q are not sorted", img.Name, img.BuildArgs)
		}
		for _, p := range img.Platforms {
			if _, err := ParsePlatform(p); err != nil {
				t.Errorf("%s: %v", img.Name, err)
			}
		}
		if img.DependsOn != "" {
			if _, err := Builtin().Lookup(img.DependsOn); err != nil {
				t.Errorf("%s: DependsOn: %v", img.Name, err)
			}
		}
		// Every input must be a clean repo-relative path, and the
		// Dockerfile, a non-root context and the context's .dockerignore
		// must be among them.
		for _, in := range img.Inputs {
			if in == "" || strings.HasPrefix(in, "/") || path.Clean(in) != strings.TrimSuffix(in, "/") {
				t.Errorf("%s: input %q is not a clean repo-relative path", img.Name, in)
			}
		}
		if !slices.IsSorted(img.Inputs) || len(slices.Compact(slices.Clone(img.Inputs))) != len(img.Inputs) {
			t.Errorf("%s: Inputs are not sorted and unique: %q", img.Name, img.Inputs)
		}
		if !img.uses(img.Dockerfile) {
			t.Errorf("%s: Inputs %q do not cover its Dockerfile %s", img.Name, img.Inputs, img.Dockerfile)
		}
		if img.Context != "." && !slices.Contains(img.Inputs, img.Context+"/") {
			t.Errorf("%s: Inputs %q do not include its context %s/", img.Name, img.Inputs, img.Context)
		}
		if ignore := path.Join(img.Context, ".dockerignore"); !img.uses(ignore) {
			t.Errorf("%s: Inputs %q do not cover its context's %s", img.Name, img.Inputs, ignore)
		}
	}
}

func TestAllReturnsCopies(t *testing.T) {
	all := Builtin().All()
	all[0].Platforms[0] = "changed"
	all[0].Inputs[0] = "changed"
	all[0].Name = "changed"
	again := Builtin().All()
	if again[0].Platforms[0] == "changed" || again[0].Inputs[0] == "changed" || again[0].Name == "changed" {
		t.Fatalf("changing the result of Builtin().All() changed the catalog: %+v", again[0])
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "kfp-api-server", want: "kfp-api-server"},
		{in: "apiserver", want: "kfp-api-server"},
		{in: " driver ", want: "kfp-driver"},
		{in: "api-generator", want: "kfp-api-generator"},
		{in: "release", want: "kfp-release"},
		{in: "foo", err: `unknown image "foo"; ` + validList},
		{in: "", err: `unknown image ""; ` + validList},
		{in: "KFP-DRIVER", err: `unknown image "KFP-DRIVER"; ` + validList},
	}
	for _, tt := range tests {
		img, err := Builtin().Lookup(tt.in)
		if got := errString(err); got != tt.err {
			t.Errorf("Builtin().Lookup(%q) error = %q, want %q", tt.in, got, tt.err)
		}
		if img.Name != tt.want {
			t.Errorf("Builtin().Lookup(%q) = %q, want %q", tt.in, img.Name, tt.want)
		}
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
		err  string
	}{
		{name: "nil selects all", in: nil, want: names(Builtin().All())},
		{name: "blanks select all", in: []string{"", " "}, want: names(Builtin().All())},
		{name: "catalog order", in: []string{"frontend", "kfp-api-server"}, want: []string{"kfp-api-server", "kfp-frontend"}},
		{name: "dedupes short and long", in: []string{"driver", "kfp-driver", "driver"}, want: []string{"kfp-driver"}},
		{name: "tool", in: []string{"release"}, want: []string{"kfp-release"}},
		{name: "one unknown", in: []string{"driver", "foo"}, err: `unknown image "foo"; ` + validList},
		{name: "two unknown", in: []string{"foo", "driver", "bar"}, err: `unknown images "foo", "bar"; ` + validList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imgs, err := Builtin().Select(tt.in)
			if got := errString(err); got != tt.err {
				t.Fatalf("Builtin().Select(%q) error = %q, want %q", tt.in, got, tt.err)
			}
			var got []string
			for _, img := range imgs {
				got = append(got, img.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Builtin().Select(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "linux/amd64", want: "linux/amd64"},
		{in: " linux/arm64\n", want: "linux/arm64"},
		{in: "linux/arm64/v8", err: `invalid platform "linux/arm64/v8": want one of linux/amd64, linux/arm64`},
		{in: "amd64", err: `invalid platform "amd64": want one of linux/amd64, linux/arm64`},
		{in: "Linux/AMD64", err: `invalid platform "Linux/AMD64": want one of linux/amd64, linux/arm64`},
		{in: "", err: `invalid platform "": want one of linux/amd64, linux/arm64`},
	}
	for _, tt := range tests {
		got, err := ParsePlatform(tt.in)
		if e := errString(err); e != tt.err {
			t.Errorf("ParsePlatform(%q) error = %q, want %q", tt.in, e, tt.err)
		}
		if got != tt.want {
			t.Errorf("ParsePlatform(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSupports(t *testing.T) {
	tests := []struct {
		image, platform, err string
	}{
		{image: "apiserver", platform: LinuxAMD64},
		{image: "apiserver", platform: LinuxARM64},
		{image: "metadata-writer", platform: LinuxAMD64},
		{image: "metadata-writer", platform: LinuxARM64, err: "image kfp-metadata-writer does not ship linux/arm64 (it ships linux/amd64)"},
		{image: "inverse-proxy-agent", platform: LinuxARM64, err: "image kfp-inverse-proxy-agent does not ship linux/arm64 (it ships linux/amd64)"},
		{image: "release", platform: LinuxARM64, err: "image kfp-release does not ship linux/arm64 (it ships linux/amd64)"},
		{image: "driver", platform: "linux/s390x", err: "image kfp-driver does not ship linux/s390x (it ships linux/amd64, linux/arm64)"},
	}
	for _, tt := range tests {
		img, err := Builtin().Lookup(tt.image)
		if err != nil {
			t.Fatal(err)
		}
		if got := errString(img.Supports(tt.platform)); got != tt.err {
			t.Errorf("%s.Supports(%q) = %q, want %q", img.Name, tt.platform, got, tt.err)
		}
	}
}

func TestBuildArgValues(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	full := BuildInputs{Commit: commit, Tag: "2.17.0", Registry: "ghcr.io/kubeflow", NVMRC: "v24.14.0\n"}
	common := []BuildArg{
		{"COMMIT_HASH", commit},
		{"COMMIT_SHA", commit},
		{"NODE_VERSION", "24.14.0"},
		{"TAG_NAME", "2.17.0"},
	}
	with := func(extra ...BuildArg) []BuildArg {
		out := append(slices.Clone(common), extra...)
		slices.SortFunc(out, func(a, b BuildArg) int { return strings.Compare(a.Name, b.Name) })
		return out
	}
	tests := []struct {
		name  string
		image string
		in    BuildInputs
		want  []BuildArg
		err   string
	}{
		{name: "go image", image: "apiserver", in: full, want: common},
		{name: "frontend gets no DATE", image: "frontend", in: full, want: common},
		{name: "driver gets empty GCFLAGS", image: "driver", in: full, want: with(BuildArg{"GCFLAGS", ""})},
		{
			name: "release names its base image", image: "release",
			in: BuildInputs{Tag: "master", Registry: "ghcr.io/kubeflow/", NVMRC: "24.14.0"},
			want: []BuildArg{
				{"BASE_IMAGE", "ghcr.io/kubeflow/kfp-api-generator:master"},
				{"NODE_VERSION", "24.14.0"},
			},
		},
		{name: "api-generator takes none", image: "api-generator", in: BuildInputs{}, want: []BuildArg{}},
		{
			name: "pull request: only NODE_VERSION", image: "frontend",
			in:   BuildInputs{NVMRC: " v22.1.0 "},
			want: []BuildArg{{"NODE_VERSION", "22.1.0"}},
		},
		{
			name: "release without registry", image: "release", in: BuildInputs{Tag: "master", NVMRC: "v24.14.0"},
			err: "build arg BASE_IMAGE for kfp-release: a registry and a tag are required to name the kfp-api-generator image it is built FROM",
		},
		{
			name: "release without tag", image: "release", in: BuildInputs{Registry: "ghcr.io/kubeflow", NVMRC: "v24.14.0"},
			err: "build arg BASE_IMAGE for kfp-release: a registry and a tag are required to name the kfp-api-generator image it is built FROM",
		},
		{
			name: "empty nvmrc", image: "launcher", in: BuildInputs{NVMRC: " \n"},
			err: "build arg NODE_VERSION for kfp-launcher: frontend/.nvmrc is empty: want a Node.js version like v24.14.0",
		},
		{
			name: "nvmrc alias", image: "launcher", in: BuildInputs{NVMRC: "lts/iron\n"},
			err: `build arg NODE_VERSION for kfp-launcher: invalid frontend/.nvmrc "lts/iron": want a Node.js version like v24.14.0`,
		},
		{
			name: "nvmrc two v", image: "launcher", in: BuildInputs{NVMRC: "vv24.14.0"},
			err: `build arg NODE_VERSION for kfp-launcher: invalid frontend/.nvmrc "vv24.14.0": want a Node.js version like v24.14.0`,
		},
		{
			name: "nvmrc major only", image: "launcher", in: BuildInputs{NVMRC: "v24"},
			err: `build arg NODE_VERSION for kfp-launcher: invalid frontend/.nvmrc "v24": want a Node.js version like v24.14.0`,
		},
		{
			name: "short commit", image: "launcher", in: BuildInputs{Commit: "0123456", NVMRC: "v24.14.0"},
			err: `build arg COMMIT_HASH for kfp-launcher: invalid commit "0123456": want 40 lowercase hex characters`,
		},
		{
			name: "uppercase commit", image: "launcher", in: BuildInputs{Commit: strings.ToUpper(commit), NVMRC: "v24.14.0"},
			err: `build arg COMMIT_HASH for kfp-launcher: invalid commit "` + strings.ToUpper(commit) + `": want 40 lowercase hex characters`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Builtin().Lookup(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			got, err := img.BuildArgValues(tt.in)
			if e := errString(err); e != tt.err {
				t.Fatalf("BuildArgValues() error = %q, want %q", e, tt.err)
			}
			if tt.err != "" {
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("BuildArgValues() = %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestEveryBuildArgHasARule fails when an image names a build argument that
// BuildArgValues cannot compute.
func TestEveryBuildArgHasARule(t *testing.T) {
	in := BuildInputs{
		Commit: "0123456789abcdef0123456789abcdef01234567", Tag: "master",
		Registry: "ghcr.io/kubeflow", NVMRC: "v24.14.0",
	}
	for _, img := range Builtin().All() {
		got, err := img.BuildArgValues(in)
		if err != nil {
			t.Errorf("%s: %v", img.Name, err)
			continue
		}
		var names []string
		for _, a := range got {
			names = append(names, a.Name)
		}
		if !slices.Equal(names, img.BuildArgs) {
			t.Errorf("%s: with every input given, got args %q, want %q", img.Name, names, img.BuildArgs)
		}
	}
}

func TestAffected(t *testing.T) {
	goImages := []string{
		"kfp-api-server", "kfp-persistence-agent", "kfp-scheduled-workflow-controller",
		"kfp-viewer-crd-controller", "kfp-launcher", "kfp-driver", "kfp-cache-server",
	}
	tests := []struct {
		name    string
		changed []string
		want    []string
	}{
		{name: "nothing", changed: nil, want: nil},
		{name: "hack and docs", changed: []string{"hack/release.sh", "docs/index.md", "README.md", "sdk/python/kfp/__init__.py"}, want: nil},
		{name: "a Dockerfile", changed: []string{"backend/Dockerfile.driver"}, want: []string{"kfp-driver"}},
		{name: "go.sum rebuilds every Go image", changed: []string{"go.sum"}, want: goImages},
		{name: "go.mod also feeds the api generator and so release", changed: []string{"go.mod"}, want: append(slices.Clone(goImages), "kfp-api-generator", "kfp-release")},
		{name: "frontend", changed: []string{"frontend/src/index.tsx"}, want: []string{"kfp-frontend"}},
		{name: "nvmrc", changed: []string{"frontend/.nvmrc"}, want: []string{"kfp-frontend", "kfp-release"}},
		{name: "viewer controller only", changed: []string{"backend/src/crd/controller/viewer/main.go"}, want: []string{"kfp-viewer-crd-controller"}},
		{name: "shared CRD types", changed: []string{"backend/src/crd/pkg/apis/scheduledworkflow/v1beta1/types.go"}, want: goImages},
		{name: "v2 driver package", changed: []string{"backend/src/v2/driver/driver.go"}, want: []string{"kfp-api-server", "kfp-launcher", "kfp-driver"}},
		{name: "visualization", changed: []string{"backend/src/apiserver/visualization/server.py"}, want: []string{"kfp-api-server", "kfp-visualization-server"}},
		{name: "samples", changed: []string{"samples/core/hello.py"}, want: []string{"kfp-api-server"}},
		{name: "metadata writer", changed: []string{"backend/metadata_writer/src/metadata_writer.py"}, want: []string{"kfp-metadata-writer"}},
		{name: "proxy context", changed: []string{"proxy/attempt-register-vm-on-proxy.sh"}, want: []string{"kfp-inverse-proxy-agent"}},
		{name: "envoy", changed: []string{"third_party/metadata_envoy/envoy.yaml"}, want: []string{"kfp-metadata-envoy"}},
		{name: "cache deployer", changed: []string{"backend/src/cache/deployer/deploy-cache-service.sh"}, want: []string{"kfp-cache-deployer", "kfp-cache-server"}},
		{name: "api generator pulls release along", changed: []string{"backend/api/tools/go.mod"}, want: []string{"kfp-api-generator", "kfp-release"}},
		{name: "release only", changed: []string{"./release/Dockerfile.release"}, want: []string{"kfp-release"}},
		{name: "generated go client", changed: []string{"backend/api/v2beta1/go_client/run.pb.go"}, want: []string{"kfp-api-server", "kfp-scheduled-workflow-controller"}},
		{name: "root .dockerignore rebuilds every image built from the root", changed: []string{".dockerignore"}, want: []string{
			"kfp-api-server", "kfp-frontend", "kfp-persistence-agent", "kfp-scheduled-workflow-controller",
			"kfp-viewer-crd-controller", "kfp-visualization-server", "kfp-launcher", "kfp-driver",
			"kfp-cache-deployer", "kfp-cache-server", "kfp-metadata-envoy", "kfp-metadata-writer",
			"kfp-api-generator", "kfp-release",
		}},
		{name: "proxy .dockerignore", changed: []string{"proxy/.dockerignore"}, want: []string{"kfp-inverse-proxy-agent"}},
		{name: "prefix is not a directory match", changed: []string{"frontendx/file", "proxy"}, want: nil},
		{name: "python client is not an input", changed: []string{"backend/api/v2beta1/python_http_client/setup.py"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, img := range Builtin().Affected(tt.changed) {
				got = append(got, img.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Builtin().Affected(%q) = %q, want %q", tt.changed, got, tt.want)
			}
		})
	}
}
