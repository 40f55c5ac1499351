package e2e

import (
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	workflowPath = ".github/workflows/image-builds-master.yml"
	leftOutMLMD  = "left out: kfp-metadata-envoy (not in " + workflowPath + "), kfp-metadata-writer (not in " + workflowPath + ")"
)

// copySample copies the sample tree, less build outputs and caches, to a
// temporary directory and returns it.
func copySample(t *testing.T, repoRoot string) string {
	t.Helper()
	src, dst := filepath.Join(repoRoot, "sample"), t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch {
		case d.IsDir() && (d.Name() == "node_modules" || d.Name() == "__pycache__" || d.Name() == ".pytest_cache" || rel == filepath.Join("frontend", "build")):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy the sample tree: %v", err)
	}
	return dst
}

// editWorkflow replaces each old string of the tree's image-build workflow
// with its new one, and fails the test when one is not there.
func editWorkflow(t *testing.T, tree string, oldNew ...string) {
	t.Helper()
	p := filepath.Join(tree, workflowPath)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("%s has no %q", workflowPath, oldNew[i])
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// removeMLMD applies KFP's ML Metadata removal (kubeflow/pipelines#13986)
// to a copy of the sample tree: backend/metadata_writer/ goes, and so do the
// two images' matrix entries and metadata-writer's exclude.
func removeMLMD(t *testing.T, tree string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(tree, "backend", "metadata_writer")); err != nil {
		t.Fatal(err)
	}
	editWorkflow(t, tree,
		"          - name: kfp-metadata-envoy\n            dockerfile: third_party/metadata_envoy/Dockerfile\n            context: .\n", "",
		"          - name: kfp-metadata-writer\n            dockerfile: backend/metadata_writer/Dockerfile\n            context: .\n", "",
		"          - image: { name: kfp-metadata-writer }\n            arch: { arch_name: arm64 }\n\n", "",
	)
}

// tableImages returns the NAME column of the images table and its last line.
func tableImages(t *testing.T, out string) ([]string, string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("images printed no table:\n%s", out)
	}
	var names []string
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "kfp-") {
			names = append(names, f[0])
		}
	}
	return names, lines[len(lines)-1]
}

// planImages returns the image of each reference plan printed, once each, and
// the platforms it printed for it, and the last line.
func planImages(t *testing.T, out string) (map[string]string, string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	imgs := map[string]string{}
	for _, l := range lines {
		ref, platforms, ok := strings.Cut(l, "\t")
		if !ok {
			continue
		}
		repo, _, _ := strings.Cut(ref, ":")
		if !strings.HasPrefix(ref, "ghcr.io/kubeflow/") {
			t.Errorf("plan printed %q, want a reference under ghcr.io/kubeflow", ref)
		}
		imgs[path.Base(repo)] = platforms
	}
	return imgs, lines[len(lines)-1]
}

// TestImageSetOfTheSample: the sample tree's workflow publishes the 13
// images of KFP 2.17, so images and plan list 15 with the two tool images,
// and leave nothing out.
func TestImageSetOfTheSample(t *testing.T) {
	e := requireEnv(t)
	out := e.dagger(t, "images").mustSucceed(t)
	names, last := tableImages(t, out)
	if len(names) != 15 || strings.HasPrefix(last, "left out") {
		t.Errorf("images lists %d images (%q), last line %q; want 15 and nothing left out", len(names), names, last)
	}
	imgs, last := planImages(t, e.dagger(t, "--commit="+testCommit, "plan", "--registry=ghcr.io/kubeflow").mustSucceed(t))
	if len(imgs) != 15 || strings.HasPrefix(last, "left out") {
		t.Errorf("plan pushes %d images (%v), last line %q; want 15 and nothing left out", len(imgs), imgs, last)
	}
	if imgs["kfp-metadata-writer"] != "linux/amd64" || imgs["kfp-inverse-proxy-agent"] != "linux/amd64" || imgs["kfp-driver"] != "linux/amd64,linux/arm64" {
		t.Errorf("plan platforms: %v; want amd64 only for metadata-writer and inverse-proxy-agent, both for driver", imgs)
	}
}

// TestImageSetWithoutMLMetadata: on a tree after KFP's ML Metadata removal,
// images and plan list 11 published images and the 2 tools, and name the two
// images left out; asking for one of them by name is an error saying why.
func TestImageSetWithoutMLMetadata(t *testing.T) {
	e := requireEnv(t)
	tree := copySample(t, e.repoRoot)
	removeMLMD(t, tree)
	src := "--source=" + tree

	names, last := tableImages(t, e.dagger(t, src, "images").mustSucceed(t))
	if len(names) != 13 || slices.Contains(names, "kfp-metadata-writer") || slices.Contains(names, "kfp-metadata-envoy") {
		t.Errorf("images lists %d images %q; want 13, without kfp-metadata-writer and kfp-metadata-envoy", len(names), names)
	}
	if last != leftOutMLMD {
		t.Errorf("images ends with %q, want %q", last, leftOutMLMD)
	}

	var js struct {
		Images  []struct{ Name string }
		LeftOut []struct{ Name, Reason string }
	}
	out := e.dagger(t, src, "images", "--format=json").mustSucceed(t)
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("images --format=json: %v\n%s", err, out)
	}
	if len(js.Images) != 13 || len(js.LeftOut) != 2 || js.LeftOut[0].Name != "kfp-metadata-envoy" || js.LeftOut[1].Name != "kfp-metadata-writer" {
		t.Errorf("images --format=json: %d images, left out %+v; want 13 and the two ML Metadata images", len(js.Images), js.LeftOut)
	}

	imgs, last := planImages(t, e.dagger(t, "--commit="+testCommit, src, "plan", "--registry=ghcr.io/kubeflow").mustSucceed(t))
	if len(imgs) != 13 || imgs["kfp-metadata-writer"] != "" || imgs["kfp-metadata-envoy"] != "" {
		t.Errorf("plan pushes %d images %v; want 13, without the ML Metadata images", len(imgs), imgs)
	}
	if last != leftOutMLMD {
		t.Errorf("plan ends with %q, want %q", last, leftOutMLMD)
	}

	line := errorLine(e.dagger(t, "--commit="+testCommit, src, "plan", "--images=driver,metadata-writer").mustFail(t))
	if want := "image left out of this source tree: kfp-metadata-writer (not in " + workflowPath + ")"; !strings.Contains(line, want) {
		t.Errorf("plan --images=metadata-writer: error line %q does not contain %q", line, want)
	}
}

// TestImageSetBadWorkflow: a workflow naming an image kfp-dagger cannot
// build, or one that is not YAML, fails images with one line saying so.
func TestImageSetBadWorkflow(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		name   string
		oldNew []string
		want   string
	}{
		{
			name: "unknown image",
			oldNew: []string{"          - name: kfp-driver\n",
				"          - name: kfp-foo\n            dockerfile: foo/Dockerfile\n            context: .\n          - name: kfp-driver\n"},
			want: workflowPath + ` names image "kfp-foo", which kfp-dagger cannot build (known: kfp-api-server, `,
		},
		{
			name:   "not YAML",
			oldNew: []string{"        arch:\n", "        arch: [\n"},
			want:   "parse " + workflowPath + ": yaml: line ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := copySample(t, e.repoRoot)
			editWorkflow(t, tree, tc.oldNew...)
			line := errorLine(e.dagger(t, "--source="+tree, "images").mustFail(t))
			if !strings.Contains(line, tc.want) {
				t.Errorf("error line %q does not contain %q", line, tc.want)
			}
		})
	}
}
