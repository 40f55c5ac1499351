package changes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Errors of [FromGit], for errors.Is; each error also says, on one line,
// what to do about it.
var (
	// ErrNotRepository means the directory is not in a git work tree.
	ErrNotRepository = errors.New("not a git work tree")
	// ErrUnknownRef means the since ref names no commit of the repository.
	ErrUnknownRef = errors.New("unknown ref")
	// ErrNoMergeBase means since and HEAD have no common ancestor in the
	// history the repository holds.
	ErrNoMergeBase = errors.New("no merge base")
	// ErrShallow means the repository is a shallow clone that lacks the
	// history needed; it comes with ErrUnknownRef or ErrNoMergeBase.
	ErrShallow = errors.New("shallow clone")
)

// fetchMore is the advice for a shallow clone that lacks history.
const fetchMore = "fetch more history (actions/checkout with fetch-depth: 0, or git fetch --unshallow)"

// FromGit returns the files of the work tree at repoDir that changed since
// the ref since (a branch, tag or commit, e.g. origin/master): the files
// changed from the merge base of since and HEAD to HEAD, as a pull request
// shows them, plus the uncommitted changes of the work tree: staged,
// unstaged, and untracked files that are not ignored. A renamed file counts as both its
// old and its new path; a deleted file counts too. Files changed on since's
// side after the branch point do not.
//
// Paths are relative to repoDir, which may be a subdirectory of the work
// tree; files outside it are left out. FromGit runs the git of the host's
// PATH and changes nothing in the repository.
func FromGit(ctx context.Context, repoDir, since string) (Changes, error) {
	if since == "" || strings.HasPrefix(since, "-") {
		return Changes{}, fmt.Errorf("%w %q: want a branch, tag or commit, e.g. origin/master", ErrUnknownRef, since)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return Changes{}, fmt.Errorf("changes since %s need git on the PATH: %w", since, err)
	}
	if fi, err := os.Stat(repoDir); err != nil {
		return Changes{}, fmt.Errorf("changes since %s: %w", since, err)
	} else if !fi.IsDir() {
		return Changes{}, fmt.Errorf("changes since %s: %s is not a directory", since, repoDir)
	}
	g := gitIn{dir: repoDir}
	fail := func(err error) (Changes, error) {
		return Changes{}, fmt.Errorf("changes since %s in %s: %w", since, repoDir, err)
	}

	out, err := g.run(ctx, "rev-parse", "--is-inside-work-tree")
	if err != nil && exitCode(err) > 0 {
		return Changes{}, fmt.Errorf("%s: %w: %w", repoDir, ErrNotRepository, err)
	}
	if err != nil {
		return fail(err)
	}
	if strings.TrimSpace(out) != "true" {
		return Changes{}, fmt.Errorf("%s: %w (it is inside a .git directory or a bare repository)", repoDir, ErrNotRepository)
	}
	head, ok, err := g.commit(ctx, "HEAD")
	if err != nil {
		return fail(err)
	}
	if !ok {
		return Changes{}, fmt.Errorf("%s: HEAD has no commit yet: commit before asking what changed since %s", repoDir, since)
	}
	shallow, err := g.shallow(ctx)
	if err != nil {
		return fail(err)
	}
	from, ok, err := g.commit(ctx, since)
	if err != nil {
		return fail(err)
	}
	if !ok {
		if shallow {
			return Changes{}, fmt.Errorf("%w %q in %s: no branch, tag or commit of that name in this %w: %s", ErrUnknownRef, since, repoDir, ErrShallow, fetchMore)
		}
		return Changes{}, fmt.Errorf("%w %q in %s: no branch, tag or commit of that name%s", ErrUnknownRef, since, repoDir, g.didYouMean(ctx, since))
	}
	base, ok, err := g.mergeBase(ctx, from, head)
	if err != nil {
		return fail(err)
	}
	if !ok {
		if shallow {
			return Changes{}, fmt.Errorf("%w of %q and HEAD in %s: this %w does not reach back to it: %s", ErrNoMergeBase, since, repoDir, ErrShallow, fetchMore)
		}
		return Changes{}, fmt.Errorf("%w of %q and HEAD in %s: their histories are unrelated", ErrNoMergeBase, since, repoDir)
	}

	diff := []string{"diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", "--relative"}
	var paths []string
	for _, args := range [][]string{
		slices.Concat(diff, []string{base, head, "--"}),       // committed since the branch point
		slices.Concat(diff, []string{"--cached", head, "--"}), // staged
		slices.Concat(diff, []string{"--"}),                   // unstaged
		{"ls-files", "-z", "--others", "--exclude-standard"},  // untracked, not ignored
	} {
		out, err := g.run(ctx, args...)
		if err != nil {
			return fail(err)
		}
		for _, p := range strings.Split(out, "\x00") {
			// ls-files names an untracked nested repository with a
			// trailing slash.
			if p = strings.TrimSuffix(p, "/"); p != "" {
				paths = append(paths, p)
			}
		}
	}
	c, err := New(paths)
	if err != nil {
		return fail(err)
	}
	return c, nil
}

// gitIn runs git in one directory.
type gitIn struct {
	dir string
}

// commit resolves rev to a commit id; false means no such commit.
func (g gitIn) commit(ctx context.Context, rev string) (string, bool, error) {
	out, err := g.run(ctx, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if exitCode(err) == 1 && out == "" {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(out), true, nil
}

// mergeBase returns the best common ancestor of a and b; false means none.
func (g gitIn) mergeBase(ctx context.Context, a, b string) (string, bool, error) {
	out, err := g.run(ctx, "merge-base", a, b)
	if exitCode(err) == 1 && strings.TrimSpace(out) == "" {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(out), true, nil
}

// shallow reports whether the repository is a shallow clone.
func (g gitIn) shallow(ctx context.Context) (bool, error) {
	out, err := g.run(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) == "true", nil
}

// didYouMean suggests origin/<ref> when only the remote-tracking branch
// exists, as in CI checkouts; it returns "" otherwise.
func (g gitIn) didYouMean(ctx context.Context, ref string) string {
	if strings.HasPrefix(ref, "origin/") {
		return ""
	}
	if _, ok, err := g.commit(ctx, "refs/remotes/origin/"+ref); err == nil && ok {
		return fmt.Sprintf(" (did you mean origin/%s?)", ref)
	}
	return ""
}

// run runs git with args in g.dir and returns its standard output. A failed
// run's error gives the command, the exit status and git's message on one
// line, and wraps the *exec.ExitError (or the context's error).
func (g gitIn) run(ctx context.Context, args ...string) (string, error) {
	full := slices.Concat([]string{"--no-optional-locks", "-C", g.dir}, args)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = gitEnv(os.Environ())
	cmd.Stdin = nil
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.String(), nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return stdout.String(), fmt.Errorf("git %s: %w", strings.Join(args, " "), ctxErr)
	}
	msg := strings.Join(strings.Fields(stderr.String()), " ")
	if msg == "" {
		return stdout.String(), fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return stdout.String(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, msg)
}

// exitCode returns the exit code of a run that exited, or -1.
func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

// gitEnv returns env without the variables that would point git at another
// repository, index or work tree than the one in the directory it runs in,
// such as those git sets for a hook.
func gitEnv(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
			"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
			"GIT_NAMESPACE", "GIT_PREFIX", "GIT_EXTERNAL_DIFF", "GIT_OPTIONAL_LOCKS":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GIT_OPTIONAL_LOCKS=0")
}
