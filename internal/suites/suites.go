package suites

import (
	"fmt"
	"slices"
	"strings"
)

// Runner is the test tool of a suite.
type Runner string

// The test tools KFP's CI uses.
const (
	GoTest Runner = "go test"
	NPM    Runner = "npm"
	Pytest Runner = "pytest"
)

// Suite is one component's tests.
type Suite struct {
	// Component is the name `test --component` takes.
	Component string
	// Dir is the folder, relative to a KFP checkout, the tests run in.
	Dir string
	// Runner is the tool that runs them.
	Runner Runner
	// Packages are the go test package patterns (GoTest only).
	Packages []string
	// Inputs lists what the suite reads in a KFP checkout, so that a change
	// to it means the suite must run again: files, directories written with
	// a trailing "/", and "*.ext" for every file with that extension
	// anywhere. See [Suite.Reads].
	Inputs []string
	// Except lists directories, with a trailing "/", under the file and
	// directory Inputs whose files the suite does not read; an "*.ext"
	// input still matches there.
	Except []string
}

// goModule lists what `go mod tidy` and the build of the root module read
// besides Go files: the module files and the two modules go.mod replaces
// with local directories.
var goModule = []string{"go.mod", "go.sum", "api/", "kubernetes_platform/"}

// all is every suite. Inputs follow what each suite's container runs (see
// ci/test.go):
//
//   - backend mounts the whole checkout, checks that `go mod tidy` changes
//     nothing, which reads every Go file of the root module wherever it is,
//     and runs go test ./backend/..., whose tests also read their fixtures
//     under backend/ and the compiler's golden files in test_data/. The two
//     Python suites' folders hold no Go package, so a change there that is
//     not a Go file leaves backend alone.
//   - frontend, visualization-server and metadata-writer mount only their
//     own folder (frontend also reads frontend/.nvmrc, which is in it).
var all = []Suite{
	{
		Component: "backend", Dir: "backend", Runner: GoTest, Packages: []string{"./backend/..."},
		Inputs: sorted(append([]string{"*.go", "backend/", "test_data/"}, goModule...)),
		Except: []string{"backend/metadata_writer/", "backend/src/apiserver/visualization/"},
	},
	{Component: "frontend", Dir: "frontend", Runner: NPM, Inputs: []string{"frontend/"}},
	{
		Component: "visualization-server", Dir: "backend/src/apiserver/visualization", Runner: Pytest,
		Inputs: []string{"backend/src/apiserver/visualization/"},
	},
	{
		Component: "metadata-writer", Dir: "backend/metadata_writer", Runner: Pytest,
		Inputs: []string{"backend/metadata_writer/"},
	},
}

// All returns every suite. The result is a copy: changing it does not change
// the list.
func All() []Suite {
	out := make([]Suite, len(all))
	for i, s := range all {
		out[i] = s.clone()
	}
	return out
}

// Reads reports whether the suite reads the file at p, a path relative to a
// KFP checkout as `git diff --name-only` prints it: p matches an "*.ext"
// input, or it is a file input or lies under a directory input and not
// under an Except directory.
func (s Suite) Reads(p string) bool {
	p = strings.TrimPrefix(strings.TrimSpace(p), "./")
	if p == "" {
		return false
	}
	for _, in := range s.Inputs {
		if ext, ok := strings.CutPrefix(in, "*"); ok && strings.HasSuffix(p, ext) {
			return true
		}
	}
	for _, ex := range s.Except {
		if strings.HasPrefix(p, ex) {
			return false
		}
	}
	for _, in := range s.Inputs {
		if p == in || strings.HasSuffix(in, "/") && strings.HasPrefix(p, in) {
			return true
		}
	}
	return false
}

// Affected returns the suites that read one of the changed paths, in the
// order of [All]. A path no suite reads, such as README.md or docs/,
// selects nothing.
func Affected(changed []string) []Suite {
	var out []Suite
	for _, s := range all {
		for _, p := range changed {
			if s.Reads(p) {
				out = append(out, s.clone())
				break
			}
		}
	}
	return out
}

func (s Suite) clone() Suite {
	s.Packages = slices.Clone(s.Packages)
	s.Inputs = slices.Clone(s.Inputs)
	s.Except = slices.Clone(s.Except)
	return s
}

func sorted(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// Names returns the component names, in order.
func Names() []string {
	var n []string
	for _, s := range all {
		n = append(n, s.Component)
	}
	return n
}

// Select returns the suite of one component, or all of them for "all".
func Select(component string) ([]Suite, error) {
	component = strings.TrimSpace(component)
	if component == "all" {
		return All(), nil
	}
	for _, s := range all {
		if s.Component == component {
			return []Suite{s.clone()}, nil
		}
	}
	return nil, fmt.Errorf("unknown component %q; valid components: %s, all", component, strings.Join(Names(), ", "))
}

// OnlyChanged returns the suites of sel that read a changed file
// ([Affected]), and the components of the others, in the order of sel.
func OnlyChanged(sel []Suite, changed []string) (kept []Suite, unchanged []string) {
	hit := map[string]bool{}
	for _, s := range Affected(changed) {
		hit[s.Component] = true
	}
	for _, s := range sel {
		if hit[s.Component] {
			kept = append(kept, s)
		} else {
			unchanged = append(unchanged, s.Component)
		}
	}
	return kept, unchanged
}
