package gitsource

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
)

// ReadFile returns the contents of a file under the .git directory, by path
// relative to it ("HEAD", "refs/heads/main"). It returns an error wrapping
// fs.ErrNotExist for a missing file.
type ReadFile func(path string) (string, error)

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// IsCommit reports whether s is a full, lowercase hexadecimal commit id.
func IsCommit(s string) bool { return fullSHA.MatchString(s) }

// Head returns the commit that HEAD points at, following one level of
// symbolic ref through loose refs and then packed-refs.
func Head(read ReadFile) (string, error) {
	head, err := read("HEAD")
	if err != nil {
		return "", fmt.Errorf("read .git/HEAD: %w", err)
	}
	head = strings.TrimSpace(head)
	if IsCommit(head) {
		return head, nil // detached HEAD, as in CI checkouts
	}
	ref, ok := strings.CutPrefix(head, "ref: ")
	if !ok {
		return "", fmt.Errorf("read .git/HEAD: unexpected contents %q", head)
	}
	ref = strings.TrimSpace(ref)
	loose, err := read(ref)
	switch {
	case err == nil:
		if c := strings.TrimSpace(loose); IsCommit(c) {
			return c, nil
		}
		return "", fmt.Errorf("read .git/%s: not a commit id", ref)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read .git/%s: %w", ref, err)
	}
	packed, err := read("packed-refs")
	if err != nil {
		return "", fmt.Errorf("resolve %s: no loose ref and no packed-refs: %w", ref, err)
	}
	for _, line := range strings.Split(packed, "\n") {
		sha, name, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && name == ref && IsCommit(sha) {
			return sha, nil
		}
	}
	return "", fmt.Errorf("resolve %s: not in packed-refs", ref)
}
