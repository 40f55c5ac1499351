package changes

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
		err  string
	}{
		{name: "none", in: nil, want: nil},
		{name: "sorted and deduplicated", in: []string{"go.mod", "frontend/src/x.ts", "go.mod", "README.md"}, want: []string{"README.md", "frontend/src/x.ts", "go.mod"}},
		{name: "leading dot-slash dropped", in: []string{"./go.mod", "././frontend/a.ts"}, want: []string{"frontend/a.ts", "go.mod"}},
		{name: "comma and spaces inside", in: []string{"docs/a, b.md", "a b/c"}, want: []string{"a b/c", "docs/a, b.md"}},
		{name: "dot files", in: []string{".dockerignore", ".github/workflows/ci.yml", "a/.b"}, want: []string{".dockerignore", ".github/workflows/ci.yml", "a/.b"}},
		{name: "dots inside names", in: []string{"a..b", "..a/b"}, want: []string{"..a/b", "a..b"}},
		{name: "empty", in: []string{"go.mod", ""}, err: `invalid path "": empty`},
		{name: "absolute", in: []string{"/etc/passwd"}, err: `invalid path "/etc/passwd": it is absolute: want a path relative to the root of the source`},
		{name: "windows absolute", in: []string{`C:\src\go.mod`}, err: `invalid path "C:\\src\\go.mod": it is absolute: want a path relative to the root of the source`},
		{name: "dot-dot", in: []string{"../other/go.mod"}, err: `invalid path "../other/go.mod": it has a ".." element: want a path inside the source`},
		{name: "dot-dot inside", in: []string{"frontend/../go.mod"}, err: `invalid path "frontend/../go.mod": it has a ".." element: want a path inside the source`},
		{name: "dot-dot at the end", in: []string{"frontend/.."}, err: `invalid path "frontend/..": it has a ".." element: want a path inside the source`},
		{name: "root", in: []string{"."}, err: `invalid path ".": it names the root of the source, not a file`},
		{name: "directory", in: []string{"frontend/"}, err: `invalid path "frontend/": it names a directory: list the changed files under it`},
		{name: "double slash", in: []string{"frontend//x.ts"}, err: `invalid path "frontend//x.ts": it is not clean: want "frontend/x.ts"`},
		{name: "dot element", in: []string{"frontend/./x.ts"}, err: `invalid path "frontend/./x.ts": it is not clean: want "frontend/x.ts"`},
		{name: "slash after dot-slash", in: []string{".//x.ts"}, err: `invalid path ".//x.ts": it is not clean: want "x.ts"`},
		{name: "newline", in: []string{"a\nb"}, err: `invalid path "a\nb": it has a line break or a NUL byte`},
		{name: "surrounding space", in: []string{" go.mod"}, err: `invalid path " go.mod": it begins or ends with white space, which one path a line cannot carry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.in)
			if got := errString(err); got != tt.err {
				t.Fatalf("New(%q) error = %q, want %q", tt.in, got, tt.err)
			}
			if err != nil && !errors.Is(err, ErrInvalidPath) {
				t.Errorf("New(%q) error %v does not wrap ErrInvalidPath", tt.in, err)
			}
			if got := c.Paths(); !slices.Equal(got, tt.want) {
				t.Errorf("New(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if c.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", c.Len(), len(tt.want))
			}
		})
	}
}

func TestParse(t *testing.T) {
	c, err := Parse("go.mod\r\n\n  frontend/src/x.ts  \ndocs/a, b.md\ngo.mod\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"docs/a, b.md", "frontend/src/x.ts", "go.mod"}
	if got := c.Paths(); !slices.Equal(got, want) {
		t.Errorf("Parse() = %q, want %q", got, want)
	}
	if got, want := c.String(), "docs/a, b.md\nfrontend/src/x.ts\ngo.mod\n"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	again, err := Parse(c.String())
	if err != nil || !slices.Equal(again.Paths(), c.Paths()) {
		t.Errorf("Parse(String()) = %q, %v; want %q", again.Paths(), err, c.Paths())
	}

	for in, wantErr := range map[string]string{
		"go.mod\n\n/abs/x\n":     `line 3: invalid path "/abs/x": it is absolute: want a path relative to the root of the source`,
		"../x":                   `line 1: invalid path "../x": it has a ".." element: want a path inside the source`,
		"a\nb\nc/../../d\n":      `line 3: invalid path "c/../../d": it has a ".." element: want a path inside the source`,
		"frontend/\ngo.mod":      `line 1: invalid path "frontend/": it names a directory: list the changed files under it`,
		"ok\nbad\x00name\nok2\n": `line 2: invalid path "bad\x00name": it has a line break or a NUL byte`,
	} {
		_, err := Parse(in)
		if got := errString(err); got != wantErr {
			t.Errorf("Parse(%q) error = %q, want %q", in, got, wantErr)
		}
		if !errors.Is(err, ErrInvalidPath) {
			t.Errorf("Parse(%q) error does not wrap ErrInvalidPath", in)
		}
	}

	for _, empty := range []string{"", "\n", " \n\t\n"} {
		c, err := Parse(empty)
		if err != nil || c.Len() != 0 || c.String() != "" || c.Paths() != nil {
			t.Errorf("Parse(%q) = %q, %v; want an empty set", empty, c.Paths(), err)
		}
	}
}

func TestParseList(t *testing.T) {
	c, err := ParseList(" go.mod, frontend/src/x.ts,,./README.md ,go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"README.md", "frontend/src/x.ts", "go.mod"}
	if got := c.Paths(); !slices.Equal(got, want) {
		t.Errorf("ParseList() = %q, want %q", got, want)
	}
	list, err := c.List()
	if err != nil || list != "README.md,frontend/src/x.ts,go.mod" {
		t.Errorf("List() = %q, %v", list, err)
	}
	again, err := ParseList(list)
	if err != nil || !slices.Equal(again.Paths(), c.Paths()) {
		t.Errorf("ParseList(List()) = %q, %v; want %q", again.Paths(), err, c.Paths())
	}

	_, err = ParseList("go.mod,/etc/passwd")
	if got, want := errString(err), `entry 2: invalid path "/etc/passwd": it is absolute: want a path relative to the root of the source`; got != want {
		t.Errorf("ParseList() error = %q, want %q", got, want)
	}

	// A path with a comma has only the one-path-a-line form.
	comma, err := New([]string{"docs/a,b.md", "go.mod"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = comma.List()
	if got, want := errString(err), `invalid path "docs/a,b.md": it has a comma, which the comma-separated form cannot carry: use one path a line`; got != want {
		t.Errorf("List() error = %q, want %q", got, want)
	}
	if got, want := comma.String(), "docs/a,b.md\ngo.mod\n"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	if l, err := (Changes{}).List(); err != nil || l != "" {
		t.Errorf("empty List() = %q, %v", l, err)
	}
}

func TestPathsIsACopy(t *testing.T) {
	c, err := New([]string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	c.Paths()[0] = "changed"
	if c.Paths()[0] != "a" {
		t.Fatal("changing the result of Paths changed the set")
	}
}

func TestGitEnv(t *testing.T) {
	got := gitEnv([]string{"HOME=/root", "GIT_DIR=/x/.git", "GIT_WORK_TREE=/x", "GIT_INDEX_FILE=/x/i", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_OPTIONAL_LOCKS=1"})
	want := []string{"HOME=/root", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_OPTIONAL_LOCKS=0"}
	if !slices.Equal(got, want) {
		t.Errorf("gitEnv() = %q, want %q", got, want)
	}
	if strings.Contains(strings.Join(got, " "), "GIT_DIR") {
		t.Error("GIT_DIR kept")
	}
}
