package workflowlint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const repoRoot = "../.."

// TestRepository holds the repository's workflows and its action.yml to
// the rules.
func TestRepository(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github/workflows/*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(repoRoot, "action.yml"))
	if len(files) < 3 {
		t.Fatalf("found %d files, want the workflows and action.yml", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		problems, err := Check(strings.TrimPrefix(f, repoRoot+"/"), data)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	}
}

const good = `on:
  pull_request:
  push:
permissions: {}
jobs:
  check:
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE"
      - uses: ./
`

// TestRules breaks each rule once in an otherwise clean workflow and checks
// that exactly that rule is reported, at its line.
func TestRules(t *testing.T) {
	if ps, err := Check("good.yml", []byte(good)); err != nil || len(ps) != 0 {
		t.Fatalf("the clean workflow: %v %v", ps, err)
	}
	for _, tc := range []struct {
		rule, from, to string
		line           int
	}{
		{"unpinned-uses", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "actions/checkout@v7", 10},
		{"unpinned-uses", " # v7.0.1", "", 10},
		{"job-permissions", "    permissions:\n      contents: read\n", "", 6},
		{"pr-packages-write", "      contents: read\n", "      contents: read\n      packages: write\n", 6},
		{"id-token-unused", "      contents: read\n", "      contents: read\n      id-token: write\n", 6},
		{"run-injection", `run: echo "$TITLE"`, `run: echo "${{ github.event.pull_request.title }}"`, 15},
		{"run-injection", `run: echo "$TITLE"`, `run: git checkout ${{ github.head_ref }}`, 15},
		{"persist-credentials", "        with:\n          persist-credentials: false\n", "", 10},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			bad := strings.Replace(good, tc.from, tc.to, 1)
			if bad == good {
				t.Fatalf("%q is not in the workflow", tc.from)
			}
			ps, err := Check("bad.yml", []byte(bad))
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 || ps[0].Rule != tc.rule || ps[0].Line != tc.line {
				t.Errorf("problems %v, want one %s at line %d", ps, tc.rule, tc.line)
			}
		})
	}
}

// A job that signs may hold id-token: write; a publishing job may not
// cache Go modules; a workflow that never runs for pull requests may write
// packages.
func TestPublishingWorkflow(t *testing.T) {
	wf := `on:
  push:
jobs:
  attest:
    permissions:
      id-token: write
      packages: write
    steps:
      - uses: actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32 # v4.1.0
  stage:
    permissions:
      packages: write
    steps:
      - uses: actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e # v7.0.0
`
	ps, err := Check("publish.yml", []byte(wf))
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, p := range ps {
		rules = append(rules, p.Rule)
	}
	if !slices.Equal(rules, []string{"publish-cache"}) {
		t.Errorf("rules %q, want only publish-cache", rules)
	}
}
