package catalog

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// KFP's .github/workflows/image-builds-master.yml as it is in testdata:
// at 2.17 (13 published images) and after the ML Metadata removal (11).
const (
	workflow217         = "testdata/image-builds-master-2.17.yml"
	workflowMLMDRemoved = "testdata/image-builds-master-mlmd-removed.yml"
)

func readWorkflow(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// edit returns s with old replaced by new, and fails the test when s does not
// contain old.
func edit(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("workflow has no %q to replace", old)
	}
	return strings.Replace(s, old, new, 1)
}

func fromWorkflow(t *testing.T, data string) Set {
	t.Helper()
	s, err := FromWorkflow([]byte(data))
	if err != nil {
		t.Fatalf("FromWorkflow: %v", err)
	}
	return s
}

func publishedOnly(imgs []Image) []Image {
	return slices.DeleteFunc(imgs, func(img Image) bool { return img.Tool })
}

func TestFromWorkflow217IsTheBuiltinSet(t *testing.T) {
	s := fromWorkflow(t, readWorkflow(t, workflow217))
	if got := len(publishedOnly(s.All())); got != 13 {
		t.Errorf("2.17 workflow publishes %d images, want 13", got)
	}
	if !reflect.DeepEqual(s.All(), Builtin().All()) {
		t.Errorf("set of the 2.17 workflow differs from the built-in set:\n%+v\nwant\n%+v", s.All(), Builtin().All())
	}
	if s.LeftOut != nil {
		t.Errorf("LeftOut = %v, want none", s.LeftOut)
	}
	for _, name := range []string{"metadata-writer", "inverse-proxy-agent"} {
		img, err := s.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(img.Platforms, []string{LinuxAMD64}) {
			t.Errorf("%s: Platforms = %q, want linux/amd64 only (arm64 is excluded)", img.Name, img.Platforms)
		}
	}
}

func TestFromWorkflowMLMDRemoved(t *testing.T) {
	s := fromWorkflow(t, readWorkflow(t, workflowMLMDRemoved))
	want := []string{
		"kfp-api-server", "kfp-frontend", "kfp-persistence-agent", "kfp-scheduled-workflow-controller",
		"kfp-viewer-crd-controller", "kfp-visualization-server", "kfp-launcher", "kfp-driver",
		"kfp-cache-deployer", "kfp-cache-server", "kfp-inverse-proxy-agent",
		"kfp-api-generator", "kfp-release",
	}
	if got := names(s.All()); !slices.Equal(got, want) {
		t.Errorf("images = %q\nwant %q", got, want)
	}
	const reason = "not in .github/workflows/image-builds-master.yml"
	wantLeft := []LeftOut{{"kfp-metadata-envoy", reason}, {"kfp-metadata-writer", reason}}
	if !slices.Equal(s.LeftOut, wantLeft) {
		t.Errorf("LeftOut = %v, want %v", s.LeftOut, wantLeft)
	}
	const leftWriter = "image left out of this source tree: kfp-metadata-writer (" + reason + ")"
	if _, err := s.Lookup("metadata-writer"); errString(err) != leftWriter {
		t.Errorf("Lookup(metadata-writer) error = %v, want %q", err, leftWriter)
	}
	_, err := s.Select([]string{"driver", "kfp-metadata-envoy", "metadata-writer", "metadata-envoy"})
	if want := "images left out of this source tree: kfp-metadata-envoy (" + reason + "), kfp-metadata-writer (" + reason + ")"; errString(err) != want {
		t.Errorf("Select error = %v, want %q", err, want)
	}
	_, err = s.Select([]string{"metadata-writer", "nope"})
	if got := errString(err); !strings.HasPrefix(got, `unknown image "nope"; valid images: kfp-api-server (apiserver),`) || strings.Contains(got, "metadata") {
		t.Errorf("Select with an unknown and a left-out name: error = %q, want the unknown one, listing only the set's images", got)
	}
	if got := names(s.Affected([]string{"third_party/metadata_envoy/envoy.yaml", "backend/metadata_writer/Dockerfile"})); got != nil {
		t.Errorf("Affected by left-out images' inputs = %q, want none", got)
	}
}

func TestFromWorkflowPlatforms(t *testing.T) {
	base := readWorkflow(t, workflowMLMDRemoved)
	tests := []struct {
		name, old, new string
		image          string
		want           []string
	}{
		{
			name: "exclude on arch_name", image: "kfp-inverse-proxy-agent", want: []string{LinuxAMD64},
		},
		{
			name: "exclude on platform", image: "kfp-driver", want: []string{LinuxAMD64},
			old: "        exclude:\n", new: "        exclude:\n          - image: { name: kfp-driver }\n            arch: { platform: linux/arm64 }\n",
		},
		{
			name: "exclude on dockerfile", image: "kfp-launcher", want: []string{LinuxARM64},
			old: "        exclude:\n", new: "        exclude:\n          - image: { dockerfile: backend/Dockerfile.launcher }\n            arch: { arch_name: amd64 }\n",
		},
		{
			name: "exclude without image excludes the arch for every image", image: "kfp-api-server", want: []string{LinuxAMD64},
			old: "        exclude:\n", new: "        exclude:\n          - arch: { arch_name: arm64 }\n",
		},
		{
			name: "no exclude", image: "kfp-inverse-proxy-agent", want: []string{LinuxAMD64, LinuxARM64},
			old: "          - image: { name: kfp-inverse-proxy-agent }\n            arch: { arch_name: arm64 }\n", new: "",
		},
		{
			name: "one arch", image: "kfp-frontend", want: []string{LinuxARM64},
			old: "          - arch_name: amd64\n            runs_on: ubuntu-latest\n            platform: linux/amd64\n", new: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base
			if tt.old != "" {
				data = edit(t, data, tt.old, tt.new)
			}
			img, err := fromWorkflow(t, data).Lookup(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(img.Platforms, tt.want) {
				t.Errorf("%s: Platforms = %q, want %q", img.Name, img.Platforms, tt.want)
			}
		})
	}
}

func TestFromWorkflowEveryArchExcluded(t *testing.T) {
	data := edit(t, readWorkflow(t, workflowMLMDRemoved), "        exclude:\n", "        exclude:\n          - image: { name: kfp-driver }\n")
	s := fromWorkflow(t, data)
	want := []LeftOut{{"kfp-driver", "every arch excluded in .github/workflows/image-builds-master.yml"}}
	if !slices.Equal(s.LeftOut[:1], want) {
		t.Errorf("LeftOut = %v, want it to start with %v", s.LeftOut, want)
	}
	if _, err := s.Lookup("driver"); err == nil {
		t.Error("Lookup(driver) found an image every arch of which is excluded")
	}
}

func TestFromWorkflowErrors(t *testing.T) {
	base := readWorkflow(t, workflow217)
	const known = "(known: kfp-api-server, kfp-frontend, kfp-persistence-agent, kfp-scheduled-workflow-controller, " +
		"kfp-viewer-crd-controller, kfp-visualization-server, kfp-launcher, kfp-driver, kfp-cache-deployer, " +
		"kfp-cache-server, kfp-metadata-envoy, kfp-metadata-writer, kfp-inverse-proxy-agent)"
	const file = ".github/workflows/image-builds-master.yml"
	tests := []struct {
		name, old, new string
		data           string // instead of an edit of base
		err            string
	}{
		{
			name: "unknown image",
			old:  "          - name: kfp-driver\n", new: "          - name: kfp-foo\n            dockerfile: foo/Dockerfile\n            context: .\n          - name: kfp-driver\n",
			err: file + ` names image "kfp-foo", which kfp-dagger cannot build ` + known,
		},
		{
			name: "short name",
			old:  "          - name: kfp-driver\n", new: "          - name: driver\n",
			err: file + ` names image "driver", which kfp-dagger cannot build ` + known,
		},
		{
			name: "tool image",
			old:  "          - name: kfp-driver\n            dockerfile: backend/Dockerfile.driver\n",
			new:  "          - name: kfp-api-generator\n            dockerfile: backend/api/Dockerfile\n",
			err:  file + ` names image "kfp-api-generator", which kfp-dagger cannot build ` + known,
		},
		{
			name: "dockerfile mismatch",
			old:  "dockerfile: backend/Dockerfile.driver", new: "dockerfile: backend/Dockerfile.driver2",
			err: file + " builds kfp-driver from backend/Dockerfile.driver2 with context ., but kfp-dagger builds it from backend/Dockerfile.driver with context .",
		},
		{
			name: "context mismatch",
			old:  "context: ./proxy", new: "context: .",
			err: file + " builds kfp-inverse-proxy-agent from proxy/Dockerfile with context ., but kfp-dagger builds it from proxy/Dockerfile with context proxy",
		},
		{
			name: "image twice",
			old:  "          - name: kfp-inverse-proxy-agent\n", new: "          - name: kfp-driver\n            dockerfile: backend/Dockerfile.driver\n          - name: kfp-inverse-proxy-agent\n",
			err: file + ` names image "kfp-driver" twice`,
		},
		{
			name: "malformed YAML",
			old:  "        arch:\n", new: "        arch: [\n",
			err: "parse " + file + ": yaml: line 52: did not find expected node content",
		},
		{
			name: "wrong type",
			old:  "        exclude:\n          - image: { name: kfp-metadata-writer }", new: "        exclude:\n          - image: [kfp-metadata-writer]",
			err: "parse " + file + ": job build-images-for-master: yaml: unmarshal errors: line 61: cannot unmarshal !!seq into map[string]string",
		},
		{
			name: "entry without dockerfile",
			old:  "            dockerfile: backend/Dockerfile.driver\n", new: "",
			err: "parse " + file + ": job build-images-for-master: every strategy.matrix.image entry needs a name and a dockerfile",
		},
		{
			name: "include",
			old:  "        exclude:\n", new: "        include:\n          - image: { name: kfp-x }\n        exclude:\n",
			err: "parse " + file + ": job build-images-for-master: strategy.matrix.include is not supported (kfp-dagger reads image, arch and exclude)",
		},
		{
			name: "exclude on another key",
			old:  "        exclude:\n", new: "        exclude:\n          - os: { name: windows }\n",
			err: "parse " + file + ": job build-images-for-master: an exclude on os is not supported (kfp-dagger reads image and arch)",
		},
		{
			name: "unknown platform",
			old:  "platform: linux/arm64", new: "platform: linux/s390x",
			err: "parse " + file + `: arch arm64: invalid platform "linux/s390x": want one of linux/amd64, linux/arm64`,
		},
		{
			name: "no arch",
			old:  "        arch:\n", new: "        archs:\n",
			err: "parse " + file + ": job build-images-for-master: strategy.matrix.archs is not supported (kfp-dagger reads image, arch and exclude)",
		},
		{
			name: "two image jobs",
			old:  "  create-manifests:\n", new: "  again:\n    strategy:\n      matrix:\n        image: []\n  create-manifests:\n",
			err: "parse " + file + ": jobs build-images-for-master, again each have a strategy.matrix.image list; want one",
		},
		{name: "no image job", data: "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n", err: "parse " + file + ": no job has a strategy.matrix.image list"},
		{name: "empty", data: "", err: "parse " + file + ": the file is empty"},
		{name: "not a mapping", data: "- a\n- b\n", err: "parse " + file + ": no job has a strategy.matrix.image list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if tt.old != "" {
				data = edit(t, base, tt.old, tt.new)
			}
			_, err := FromWorkflow([]byte(data))
			if got := errString(err); got != tt.err {
				t.Errorf("FromWorkflow error =\n%q\nwant\n%q", got, tt.err)
			}
		})
	}
}

func TestFromWorkflowErrorKeepsTheYAMLError(t *testing.T) {
	_, err := FromWorkflow([]byte("jobs:\n  a:\n    strategy:\n      matrix:\n        image:\n          - name: [x]\n"))
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) does not wrap a *yaml.TypeError", err, err)
	}
}

// TestSampleTree checks that the sample tree's workflow publishes the
// built-in set and that the tree has the Dockerfile and context of every
// image of it.
func TestSampleTree(t *testing.T) {
	const sample = "../../sample/"
	s := fromWorkflow(t, readWorkflow(t, sample+WorkflowPath))
	if !reflect.DeepEqual(s.All(), Builtin().All()) || s.LeftOut != nil {
		t.Errorf("the sample's workflow does not publish the built-in set: %q, left out %v", names(s.All()), s.LeftOut)
	}
	for _, img := range s.All() {
		if fi, err := os.Stat(sample + img.Dockerfile); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: Dockerfile %s is not in the sample tree", img.Name, img.Dockerfile)
		}
		if fi, err := os.Stat(sample + img.Context); err != nil || !fi.IsDir() {
			t.Errorf("%s: context %s is not a directory of the sample tree", img.Name, img.Context)
		}
	}
}

// TestOnlyChanged narrows a selection to the images a change affects and
// names the others as left out, unchanged.
func TestOnlyChanged(t *testing.T) {
	set := Builtin()
	sel, err := set.Select([]string{"frontend", "driver", "release"})
	if err != nil {
		t.Fatal(err)
	}
	narrowed, kept := set.OnlyChanged(sel, []string{"frontend/src/app.ts", "README.md"})
	if len(kept) != 1 || kept[0].Name != "kfp-frontend" {
		t.Fatalf("kept %v, want kfp-frontend alone", kept)
	}
	want := []LeftOut{{"kfp-driver", ReasonUnchanged}, {"kfp-release", ReasonUnchanged}}
	if !slices.Equal(narrowed.LeftOut, want) {
		t.Errorf("LeftOut = %v, want %v", narrowed.LeftOut, want)
	}
	if len(set.LeftOut) != 0 {
		t.Errorf("OnlyChanged changed the set it was called on: %v", set.LeftOut)
	}
	// A change to release/ selects kfp-release, built FROM kfp-api-generator.
	if _, kept := set.OnlyChanged(set.All(), []string{"release/Dockerfile.release"}); len(kept) != 1 || kept[0].Name != "kfp-release" {
		t.Errorf("release/ change kept %v, want kfp-release", kept)
	}
	// Nothing changed: nothing kept, every image named.
	if n, kept := set.OnlyChanged(set.All(), nil); len(kept) != 0 || len(n.LeftOut) != len(set.All()) {
		t.Errorf("no change kept %d images and left out %d", len(kept), len(n.LeftOut))
	}
}
