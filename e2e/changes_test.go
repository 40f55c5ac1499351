package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/changes"
)

// gitTree turns a copy of the sample into a git repository with one commit
// on master, and returns a function that commits edits on a new branch.
func gitTree(t *testing.T, tree string) func(branch string, edit func()) {
	t.Helper()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "-c", "init.defaultBranch=master"}, args...)...)
		cmd.Dir = tree
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "sample")
	return func(branch string, edit func()) {
		git("checkout", "-q", "-b", branch, "master")
		edit()
		git("add", "-A")
		git("commit", "-q", "-m", branch)
	}
}

// appendTo adds a line to a file of the tree.
func appendTo(t *testing.T, tree, rel, line string) func() {
	return func() {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(tree, rel), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(line + "\n"); err != nil {
			t.Fatal(err)
		}
	}
}

// changedFile writes what changed on the checked-out branch since master, as
// the host computes it, to a file the module reads with --changed.
func changedFile(t *testing.T, tree string) (string, []string) {
	t.Helper()
	c, err := changes.FromGit(context.Background(), tree, "master")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "changed.txt")
	if err := os.WriteFile(p, []byte(c.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, c.Paths()
}

// TestChangeSelection: on a real git history of the sample, a change to
// frontend/ plans kfp-frontend alone and tests the frontend alone; a change
// to go.mod plans every Go image (and the tool images that read go.mod);
// a README change plans and tests nothing. Unselected images are named.
func TestChangeSelection(t *testing.T) {
	e := requireEnv(t)
	tree := copySample(t, e.repoRoot)
	branch := gitTree(t, tree)
	src := "--source=" + tree

	branch("frontend-only", appendTo(t, tree, "frontend/src/app.js", "// a one-line change"))
	file, paths := changedFile(t, tree)
	if !slices.Equal(paths, []string{"frontend/src/app.js"}) {
		t.Fatalf("changes since master: %v, want frontend/src/app.js", paths)
	}
	imgs, last := planImages(t, e.dagger(t, src, "--changed="+file, "plan", "--registry=ghcr.io/kubeflow").mustSucceed(t))
	if len(imgs) != 1 || imgs["kfp-frontend"] == "" {
		t.Errorf("plan after a frontend change: %v, want kfp-frontend alone", imgs)
	}
	if !strings.HasPrefix(last, "left out: kfp-api-server ("+catalog.ReasonUnchanged+")") {
		t.Errorf("plan after a frontend change ends with %q, want the unchanged images named", last)
	}

	branch("go-mod", appendTo(t, tree, "go.mod", "// a one-line change"))
	file, _ = changedFile(t, tree)
	imgs, _ = planImages(t, e.dagger(t, src, "--changed="+file, "plan", "--registry=ghcr.io/kubeflow").mustSucceed(t))
	var want []string
	for _, img := range catalog.Builtin().All() {
		if strings.Contains(img.Kind, "go") || img.Name == "kfp-api-generator" || img.Name == "kfp-release" {
			want = append(want, img.Name)
		}
	}
	var got []string
	for name := range imgs {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("plan after a go.mod change: %v, want every Go image and the tools that read go.mod: %v", got, want)
	}

	branch("readme", appendTo(t, tree, "README.md", "a one-line change"))
	file, _ = changedFile(t, tree)
	imgs, _ = planImages(t, e.dagger(t, src, "--changed="+file, "plan", "--registry=ghcr.io/kubeflow").mustSucceed(t))
	if len(imgs) != 0 {
		t.Errorf("plan after a README change: %v, want nothing", imgs)
	}
	out := t.TempDir()
	e.dagger(t, src, "--changed="+file, "test", "export", "--path="+out).mustSucceed(t)
	summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(summary), "Not run, none of their inputs changed: backend, frontend, visualization-server, metadata-writer") {
		t.Errorf("test after a README change: summary.md\n%s", summary)
	}
	if xmls, _ := filepath.Glob(filepath.Join(out, "*.xml")); len(xmls) != 0 {
		t.Errorf("test after a README change ran suites: %v", xmls)
	}
	// A pull request that touches no image passes its scan: nothing to scan.
	scanned := t.TempDir()
	e.dagger(t, src, "--changed="+file, "scan-all", "export", "--path="+scanned).mustSucceed(t)
	if md, err := os.ReadFile(filepath.Join(scanned, "summary.md")); err != nil || !strings.Contains(string(md), "The change reaches no image: nothing to scan.") {
		t.Errorf("scan-all after a README change: %v\n%s", err, md)
	}

	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte("../etc/passwd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	line := errorLine(e.dagger(t, src, "--changed="+bad, "plan").mustFail(t))
	if !strings.Contains(line, `changed files: line 1: invalid path "../etc/passwd"`) {
		t.Errorf("a bad changed-files list: error line %q", line)
	}
}
