package changes

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// ErrInvalidPath is wrapped by every error about a path that cannot be a
// changed file of the source.
var ErrInvalidPath = errors.New("invalid path")

// Changes is a set of changed files: paths relative to the root of the
// source, sorted and without duplicates. The zero value is the empty set.
type Changes struct {
	paths []string
}

// New returns the set of the given paths. A leading "./" is dropped; any
// other path that is not clean and relative is an error naming it (see
// [ErrInvalidPath]).
func New(paths []string) (Changes, error) {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		c, err := clean(p)
		if err != nil {
			return Changes{}, err
		}
		out = append(out, c)
	}
	return fromClean(out), nil
}

// Parse reads the text form: one path a line. Surrounding white space and a
// carriage return are dropped and blank lines are skipped, so a path that
// begins or ends with a space cannot be carried. An invalid path is an error
// that gives its line number.
func Parse(text string) (Changes, error) {
	var out []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		c, err := clean(line)
		if err != nil {
			return Changes{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	return fromClean(out), nil
}

// ParseList reads the comma-separated form of a command-line flag or an
// action input, e.g. "frontend/src/x.ts,go.mod". Surrounding white space is
// dropped and empty entries are skipped. A path with a comma cannot be
// carried this way: use [Parse].
func ParseList(list string) (Changes, error) {
	var out []string
	for i, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		c, err := clean(item)
		if err != nil {
			return Changes{}, fmt.Errorf("entry %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	return fromClean(out), nil
}

// Paths returns the changed paths, sorted. The result is a copy.
func (c Changes) Paths() []string { return slices.Clone(c.paths) }

// Len returns the number of changed paths.
func (c Changes) Len() int { return len(c.paths) }

// String returns the text form that [Parse] reads: each path followed by a
// newline, or "" when nothing changed.
func (c Changes) String() string {
	var b strings.Builder
	for _, p := range c.paths {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.String()
}

// List returns the comma-separated form that [ParseList] reads. A path with
// a comma is an error naming it, as that form cannot carry it.
func (c Changes) List() (string, error) {
	for _, p := range c.paths {
		if strings.Contains(p, ",") {
			return "", fmt.Errorf("%w %q: it has a comma, which the comma-separated form cannot carry: use one path a line", ErrInvalidPath, p)
		}
	}
	return strings.Join(c.paths, ","), nil
}

// fromClean returns the set of paths already checked by clean.
func fromClean(paths []string) Changes {
	if len(paths) == 0 {
		return Changes{}
	}
	slices.Sort(paths)
	return Changes{paths: slices.Compact(paths)}
}

// clean checks one path and returns it without a leading "./".
func clean(p string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w %q: %s", ErrInvalidPath, p, why)
	}
	switch {
	case p == "":
		return bad("empty")
	case strings.ContainsAny(p, "\n\r\x00"):
		return bad("it has a line break or a NUL byte")
	case strings.TrimSpace(p) != p:
		return bad("it begins or ends with white space, which one path a line cannot carry")
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || isDrive(p):
		return bad("it is absolute: want a path relative to the root of the source")
	}
	rel := p
	for strings.HasPrefix(rel, "./") {
		rel = rel[len("./"):]
	}
	if slices.Contains(strings.Split(rel, "/"), "..") {
		return bad(`it has a ".." element: want a path inside the source`)
	}
	want := strings.TrimPrefix(path.Clean("/"+rel), "/")
	switch {
	case want == "":
		return bad("it names the root of the source, not a file")
	case strings.HasSuffix(rel, "/"):
		return bad("it names a directory: list the changed files under it")
	case want != rel:
		return bad(fmt.Sprintf("it is not clean: want %q", want))
	}
	return rel, nil
}

// isDrive reports whether p begins like a Windows absolute path, C:\ or C:/.
func isDrive(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '/' || p[2] == '\\') &&
		('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z')
}
