package changes_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/changes"
	"github.com/kfp-dagger/kfp-dagger/internal/suites"
)

// isolate keeps the user's and the system's git configuration, and any
// repository around the temporary folders, out of the test.
func isolate(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed: under CI=true the change-selection tests must run")
		}
		t.Skip("git is not installed")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(t.TempDir()))
	for _, v := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// git runs git in dir as the test's author and returns its output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newRepo makes a KFP-shaped repository with one commit on master and
// checks out a new branch feature from it.
func newRepo(t *testing.T) string {
	t.Helper()
	isolate(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "master")
	for name, content := range map[string]string{
		"README.md":                       "# KFP\n",
		".gitignore":                      "*.log\nnode_modules/\n",
		"go.mod":                          "module github.com/kubeflow/pipelines\n\ngo 1.26\n",
		"go.sum":                          "",
		"frontend/src/x.ts":               "export const x = 1;\n",
		"frontend/src/y.ts":               "export const y = 2;\n",
		"backend/src/apiserver/server.go": "package main\n",
		"backend/src/apiserver/visualization/s.py": "print('hi')\n",
	} {
		write(t, dir, name, content)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	git(t, dir, "checkout", "-q", "-b", "feature")
	return dir
}

func commitAll(t *testing.T, dir, msg string) {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", msg)
}

func fromGit(t *testing.T, dir, since string) []string {
	t.Helper()
	c, err := changes.FromGit(context.Background(), dir, since)
	if err != nil {
		t.Fatalf("FromGit(%s) error: %v", since, err)
	}
	return c.Paths()
}

func imageNames(imgs []catalog.Image) []string {
	var out []string
	for _, img := range imgs {
		out = append(out, img.Name)
	}
	return out
}

func components(ss []suites.Suite) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Component)
	}
	return out
}

func TestFromGitFrontendOnly(t *testing.T) {
	dir := newRepo(t)
	write(t, dir, "frontend/src/x.ts", "export const x = 3;\n")
	commitAll(t, dir, "frontend")

	got := fromGit(t, dir, "master")
	if want := []string{"frontend/src/x.ts"}; !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}
	if imgs := imageNames(catalog.Builtin().Affected(got)); !slices.Equal(imgs, []string{"kfp-frontend"}) {
		t.Errorf("images affected by %q = %q, want only kfp-frontend", got, imgs)
	}
	if comps := components(suites.Affected(got)); !slices.Equal(comps, []string{"frontend"}) {
		t.Errorf("suites affected by %q = %q, want only frontend", got, comps)
	}
}

// goKind matches the Kind of an image compiled from Go.
var goKind = regexp.MustCompile(`\bgo\b`)

func TestFromGitGoMod(t *testing.T) {
	dir := newRepo(t)
	write(t, dir, "go.mod", "module github.com/kubeflow/pipelines\n\ngo 1.26.1\n")
	commitAll(t, dir, "bump go")

	got := fromGit(t, dir, "master")
	if want := []string{"go.mod"}; !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}

	// Every Go image, plus kfp-api-generator, whose Dockerfile reads its
	// tool versions from go.mod, and kfp-release, built FROM it.
	want := map[string]bool{"kfp-api-generator": true, "kfp-release": true}
	var goImages []string
	for _, img := range catalog.Builtin().All() {
		if goKind.MatchString(img.Kind) {
			want[img.Name] = true
			goImages = append(goImages, img.Name)
		}
	}
	if len(goImages) < 7 {
		t.Fatalf("the catalog has only %d Go images (%q): is Kind still spelled go?", len(goImages), goImages)
	}
	var wantNames []string
	for _, img := range catalog.Builtin().All() {
		if want[img.Name] {
			wantNames = append(wantNames, img.Name)
		}
	}
	affected := imageNames(catalog.Builtin().Affected(got))
	if !slices.Equal(affected, wantNames) {
		t.Errorf("images affected by go.mod = %q, want %q (Go images %q)", affected, wantNames, goImages)
	}
	for _, name := range goImages {
		if !slices.Contains(affected, name) {
			t.Errorf("Go image %s is not affected by go.mod", name)
		}
	}
	if comps := components(suites.Affected(got)); !slices.Equal(comps, []string{"backend"}) {
		t.Errorf("suites affected by go.mod = %q, want only backend", comps)
	}
}

func TestFromGitReadmeSelectsNothing(t *testing.T) {
	dir := newRepo(t)
	write(t, dir, "README.md", "# KFP, edited\n")
	write(t, dir, "docs/guide.md", "guide\n")
	commitAll(t, dir, "docs")

	got := fromGit(t, dir, "master")
	if want := []string{"README.md", "docs/guide.md"}; !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}
	if imgs := catalog.Builtin().Affected(got); len(imgs) != 0 {
		t.Errorf("images affected by %q = %q, want none", got, imageNames(imgs))
	}
	if ss := suites.Affected(got); len(ss) != 0 {
		t.Errorf("suites affected by %q = %q, want none", got, components(ss))
	}
}

func TestFromGitRenameAndDelete(t *testing.T) {
	dir := newRepo(t)
	git(t, dir, "mv", "backend/src/apiserver/server.go", "backend/src/apiserver/main.go")
	git(t, dir, "commit", "-q", "-m", "rename")
	git(t, dir, "rm", "-q", "frontend/src/y.ts")
	git(t, dir, "commit", "-q", "-m", "delete")

	got := fromGit(t, dir, "master")
	want := []string{"backend/src/apiserver/main.go", "backend/src/apiserver/server.go", "frontend/src/y.ts"}
	if !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}
}

// TestFromGitRenameDetectionOn checks that a rename gives both paths even
// when the user's configuration turns copy and rename detection on.
func TestFromGitRenameDetectionOn(t *testing.T) {
	dir := newRepo(t)
	git(t, dir, "config", "diff.renames", "copies")
	git(t, dir, "mv", "frontend/src/x.ts", "frontend/src/z.ts")
	git(t, dir, "commit", "-q", "-m", "rename")

	got := fromGit(t, dir, "master")
	if want := []string{"frontend/src/x.ts", "frontend/src/z.ts"}; !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}
}

func TestFromGitUncommitted(t *testing.T) {
	dir := newRepo(t)
	write(t, dir, "frontend/src/x.ts", "export const x = 4;\n") // unstaged
	write(t, dir, "go.sum", "example.com/m v1.0.0 h1:x\n")      // staged
	git(t, dir, "add", "go.sum")
	git(t, dir, "mv", "frontend/src/y.ts", "frontend/src/w.ts") // staged rename
	write(t, dir, "docs/new.md", "new\n")                       // untracked
	write(t, dir, "debug.log", "ignored\n")                     // ignored
	write(t, dir, "frontend/node_modules/a/index.js", "ignored\n")

	got := fromGit(t, dir, "master")
	want := []string{"docs/new.md", "frontend/src/w.ts", "frontend/src/x.ts", "frontend/src/y.ts", "go.sum"}
	if !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}
	// A file both committed on the branch and edited since is listed once.
	write(t, dir, "README.md", "committed\n")
	git(t, dir, "commit", "-q", "-m", "readme", "README.md")
	write(t, dir, "README.md", "edited again\n")
	got = fromGit(t, dir, "master")
	want = []string{"README.md", "docs/new.md", "frontend/src/w.ts", "frontend/src/x.ts", "frontend/src/y.ts", "go.sum"}
	if !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}
}

// TestFromGitNestedRepository: git lists an untracked repository inside the
// work tree as a directory; it counts as one changed path.
func TestFromGitNestedRepository(t *testing.T) {
	dir := newRepo(t)
	sub := filepath.Join(dir, "third_party", "sub")
	write(t, sub, "a.txt", "a\n")
	git(t, sub, "init", "-q", "-b", "master")
	commitAll(t, sub, "sub")

	got := fromGit(t, dir, "master")
	if want := []string{"third_party/sub"}; !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q", got, want)
	}
}

func TestFromGitNothingChanged(t *testing.T) {
	dir := newRepo(t)
	c, err := changes.FromGit(context.Background(), dir, "master")
	if err != nil || c.Len() != 0 || c.String() != "" {
		t.Fatalf("FromGit on a fresh branch = %q, %v; want nothing", c.Paths(), err)
	}
	// since may be HEAD itself, or a commit id.
	write(t, dir, "go.mod", "module x\n")
	if got := fromGit(t, dir, "HEAD"); !slices.Equal(got, []string{"go.mod"}) {
		t.Errorf("FromGit(HEAD) = %q, want [go.mod]", got)
	}
	if got := fromGit(t, dir, git(t, dir, "rev-parse", "master")); !slices.Equal(got, []string{"go.mod"}) {
		t.Errorf("FromGit(<commit id>) = %q, want [go.mod]", got)
	}
}

func TestFromGitMergeBase(t *testing.T) {
	dir := newRepo(t)
	write(t, dir, "frontend/src/x.ts", "export const x = 5;\n")
	commitAll(t, dir, "feature work")
	// master moves on after the branch point.
	git(t, dir, "checkout", "-q", "master")
	write(t, dir, "go.mod", "module github.com/kubeflow/pipelines\n\ngo 1.27\n")
	write(t, dir, "backend/src/apiserver/new.go", "package main\n")
	commitAll(t, dir, "master work")
	git(t, dir, "checkout", "-q", "feature")

	got := fromGit(t, dir, "master")
	if want := []string{"frontend/src/x.ts"}; !slices.Equal(got, want) {
		t.Fatalf("FromGit = %q, want %q (files changed only on master must not count)", got, want)
	}
	// Merging master into the branch does not bring master's files in either.
	git(t, dir, "merge", "-q", "--no-edit", "master")
	if got := fromGit(t, dir, "master"); !slices.Equal(got, []string{"frontend/src/x.ts"}) {
		t.Fatalf("after merging master, FromGit = %q, want [frontend/src/x.ts]", got)
	}
}

func TestFromGitSubdirectory(t *testing.T) {
	dir := newRepo(t)
	write(t, dir, "frontend/src/x.ts", "export const x = 6;\n")
	write(t, dir, "go.mod", "module y\n")
	commitAll(t, dir, "both")
	write(t, dir, "frontend/untracked.ts", "u\n")

	got := fromGit(t, filepath.Join(dir, "frontend"), "master")
	if want := []string{"src/x.ts", "untracked.ts"}; !slices.Equal(got, want) {
		t.Fatalf("FromGit(frontend/) = %q, want %q", got, want)
	}
}

func TestFromGitRoundTrip(t *testing.T) {
	dir := newRepo(t)
	write(t, dir, "docs/a, b.md", "comma\n")
	write(t, dir, "frontend/src/x.ts", "x\n")
	got, err := changes.FromGit(context.Background(), dir, "master")
	if err != nil {
		t.Fatal(err)
	}
	again, err := changes.Parse(got.String())
	if err != nil || !slices.Equal(again.Paths(), got.Paths()) {
		t.Fatalf("Parse(String()) = %q, %v; want %q", again.Paths(), err, got.Paths())
	}
	if _, err := got.List(); err == nil {
		t.Error("List() of a path with a comma: no error")
	}
}

// checkErr checks err is a one-line error that wraps each of targets and
// contains each of parts.
func checkErr(t *testing.T, err error, targets []error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("error %q does not wrap %v", msg, target)
		}
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not contain %q", msg, p)
		}
	}
}

func TestFromGitUnknownRef(t *testing.T) {
	dir := newRepo(t)
	_, err := changes.FromGit(context.Background(), dir, "origin/nope")
	checkErr(t, err, []error{changes.ErrUnknownRef}, `unknown ref "origin/nope"`, "no branch, tag or commit of that name")
	if errors.Is(err, changes.ErrShallow) {
		t.Errorf("a full repository's error %q says shallow", err)
	}

	for _, bad := range []string{"", "--output=/tmp/x"} {
		_, err = changes.FromGit(context.Background(), dir, bad)
		checkErr(t, err, []error{changes.ErrUnknownRef}, "unknown ref", "want a branch, tag or commit")
	}
}

// TestFromGitDidYouMean: in a CI checkout only origin/master exists.
func TestFromGitDidYouMean(t *testing.T) {
	src := newRepo(t)
	write(t, src, "frontend/src/x.ts", "x\n")
	commitAll(t, src, "feature")
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, src, "clone", "-q", "--branch", "feature", "file://"+src, clone)

	_, err := changes.FromGit(context.Background(), clone, "master")
	checkErr(t, err, []error{changes.ErrUnknownRef}, `unknown ref "master"`, "did you mean origin/master?")
	if got := fromGit(t, clone, "origin/master"); !slices.Equal(got, []string{"frontend/src/x.ts"}) {
		t.Errorf("FromGit(origin/master) = %q, want [frontend/src/x.ts]", got)
	}
}

// shallowSource makes a repository whose master and feature each have a
// commit after their branch point, so a depth-1 clone misses the base.
func shallowSource(t *testing.T) string {
	t.Helper()
	src := newRepo(t)
	write(t, src, "frontend/src/x.ts", "feature\n")
	commitAll(t, src, "feature")
	git(t, src, "checkout", "-q", "master")
	write(t, src, "README.md", "master\n")
	commitAll(t, src, "master")
	return src
}

func TestFromGitShallowMissingRef(t *testing.T) {
	src := shallowSource(t)
	clone := filepath.Join(t.TempDir(), "shallow")
	git(t, src, "clone", "-q", "--depth", "1", "--branch", "feature", "file://"+src, clone)

	for _, since := range []string{"origin/master", "master"} {
		_, err := changes.FromGit(context.Background(), clone, since)
		checkErr(t, err, []error{changes.ErrUnknownRef, changes.ErrShallow},
			`unknown ref "`+since+`"`, "shallow clone", "fetch more history", "fetch-depth: 0")
	}
}

func TestFromGitShallowMissingMergeBase(t *testing.T) {
	src := shallowSource(t)
	clone := filepath.Join(t.TempDir(), "shallow")
	git(t, src, "clone", "-q", "--depth", "1", "--no-single-branch", "file://"+src, clone)
	git(t, clone, "checkout", "-q", "-b", "feature", "origin/feature")

	_, err := changes.FromGit(context.Background(), clone, "origin/master")
	checkErr(t, err, []error{changes.ErrNoMergeBase, changes.ErrShallow},
		`no merge base of "origin/master" and HEAD`, "shallow clone", "fetch more history", "fetch-depth: 0")

	// With the history fetched, the same clone works.
	git(t, clone, "fetch", "-q", "--unshallow")
	if got := fromGit(t, clone, "origin/master"); !slices.Equal(got, []string{"frontend/src/x.ts"}) {
		t.Errorf("after --unshallow, FromGit = %q, want [frontend/src/x.ts]", got)
	}
}

func TestFromGitUnrelatedHistories(t *testing.T) {
	dir := newRepo(t)
	git(t, dir, "checkout", "-q", "--orphan", "other")
	commitAll(t, dir, "orphan")
	_, err := changes.FromGit(context.Background(), dir, "master")
	checkErr(t, err, []error{changes.ErrNoMergeBase}, `no merge base of "master" and HEAD`, "unrelated")
	if errors.Is(err, changes.ErrShallow) {
		t.Errorf("error %q says shallow", err)
	}
}

func TestFromGitNotARepository(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	_, err := changes.FromGit(context.Background(), dir, "master")
	checkErr(t, err, []error{changes.ErrNotRepository}, dir, "not a git work tree", "not a git repository")
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Errorf("error %q does not keep git's exit error in its chain", err)
	}

	_, err = changes.FromGit(context.Background(), filepath.Join(dir, "missing"), "master")
	checkErr(t, err, []error{os.ErrNotExist}, "missing")
}

func TestFromGitNoCommitYet(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "master")
	_, err := changes.FromGit(context.Background(), dir, "master")
	checkErr(t, err, nil, "HEAD has no commit yet")
}

func TestFromGitCancelled(t *testing.T) {
	dir := newRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := changes.FromGit(ctx, dir, "master")
	checkErr(t, err, []error{context.Canceled})
}
