package workflowlint

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one broken rule at one line of a file.
type Problem struct {
	File string
	Line int
	// Rule names the rule, e.g. unpinned-uses.
	Rule string
	Msg  string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Rule, p.Msg)
}

var (
	// pinnedRE is owner/repo[/path]@<full commit sha>.
	pinnedRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@]+)?@[0-9a-f]{40}$`)
	// versionCommentRE is the version a pin's comment names, e.g. v7.0.1.
	versionCommentRE = regexp.MustCompile(`v[0-9]+(\.[0-9]+)*`)
	// untrustedRE is an expression of attacker-controllable event data.
	untrustedRE = regexp.MustCompile(`\$\{\{[^}]*\bgithub\.(event\.|head_ref)`)
	// signingUses are actions that sign or attest with the job's OIDC token.
	signingUses = []string{"actions/attest-build-provenance", "actions/attest", "actions/attest-sbom", "sigstore/cosign-installer"}
)

// Check checks one workflow (.github/workflows/*.yml) or composite action
// (action.yml); file names the problems.
func Check(file string, data []byte) ([]Problem, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a YAML mapping", file)
	}
	root := doc.Content[0]
	c := &checker{file: file}
	if runs := get(root, "runs"); runs != nil { // a composite action
		c.steps(get(runs, "steps"), false)
		return c.problems, nil
	}
	forPRs := triggersPullRequests(get(root, "on"))
	jobs := get(root, "jobs")
	if jobs == nil {
		return nil, fmt.Errorf("%s: neither a workflow (jobs) nor an action (runs)", file)
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		name, job := jobs.Content[i], jobs.Content[i+1]
		perms := get(job, "permissions")
		if perms == nil {
			c.add(name.Line, "job-permissions", "job %s does not declare its permissions", name.Value)
		}
		packagesWrite := permission(perms, "packages") == "write"
		if forPRs && packagesWrite {
			c.add(name.Line, "pr-packages-write", "job %s may write packages and the workflow runs for pull requests", name.Value)
		}
		steps := get(job, "steps")
		if permission(perms, "id-token") == "write" && !signs(steps) {
			c.add(name.Line, "id-token-unused", "job %s gets id-token: write but does not sign or attest", name.Value)
		}
		c.steps(steps, packagesWrite)
	}
	return c.problems, nil
}

type checker struct {
	file     string
	problems []Problem
}

func (c *checker) add(line int, rule, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: c.file, Line: line, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// steps checks the steps of one job or composite action; publishes is set
// when the job may write packages.
func (c *checker) steps(steps *yaml.Node, publishes bool) {
	if steps == nil {
		return
	}
	for _, step := range steps.Content {
		if uses := get(step, "uses"); uses != nil {
			c.uses(uses)
			with := get(step, "with")
			action, _, _ := strings.Cut(uses.Value, "@")
			switch action {
			case "actions/checkout":
				if v := get(with, "persist-credentials"); v == nil || v.Value != "false" {
					c.add(uses.Line, "persist-credentials", "actions/checkout without persist-credentials: false leaves the token in .git/config")
				}
			case "actions/setup-go":
				if v := get(with, "cache"); publishes && (v == nil || v.Value != "false") {
					c.add(uses.Line, "publish-cache", "actions/setup-go caches Go modules in a job that publishes: set cache: false")
				}
			}
		}
		if run := get(step, "run"); run != nil && untrustedRE.MatchString(run.Value) {
			c.add(run.Line, "run-injection", "run: expands github.event or head_ref; pass it through env: instead")
		}
	}
}

// uses checks that a uses: of another repository is pinned by commit SHA
// with its version in a comment.
func (c *checker) uses(n *yaml.Node) {
	v := n.Value
	if strings.HasPrefix(v, "./") || strings.HasPrefix(v, "docker://") && strings.Contains(v, "@sha256:") {
		return
	}
	if !pinnedRE.MatchString(v) {
		c.add(n.Line, "unpinned-uses", "%s is not pinned by a full commit SHA", v)
		return
	}
	if !versionCommentRE.MatchString(n.LineComment) {
		c.add(n.Line, "unpinned-uses", "%s: say which version the SHA is in a comment, e.g. # v1.2.3", v)
	}
}

// triggersPullRequests says whether an on: runs the workflow for pull
// requests, in any of its three forms.
func triggersPullRequests(on *yaml.Node) bool {
	if on == nil {
		return false
	}
	var events []string
	switch on.Kind {
	case yaml.ScalarNode:
		events = []string{on.Value}
	case yaml.SequenceNode:
		for _, e := range on.Content {
			events = append(events, e.Value)
		}
	case yaml.MappingNode:
		for i := 0; i < len(on.Content); i += 2 {
			events = append(events, on.Content[i].Value)
		}
	}
	return slices.Contains(events, "pull_request") || slices.Contains(events, "pull_request_target")
}

// permission is the level a permissions: block grants scope: read, write,
// or "" (none). write-all grants write to every scope.
func permission(perms *yaml.Node, scope string) string {
	switch {
	case perms == nil:
		return ""
	case perms.Kind == yaml.ScalarNode && perms.Value == "write-all":
		return "write"
	case perms.Kind == yaml.ScalarNode && perms.Value == "read-all":
		return "read"
	}
	if v := get(perms, scope); v != nil {
		return v.Value
	}
	return ""
}

// signs says whether the steps sign or attest.
func signs(steps *yaml.Node) bool {
	if steps == nil {
		return false
	}
	for _, step := range steps.Content {
		if uses := get(step, "uses"); uses != nil {
			action, _, _ := strings.Cut(uses.Value, "@")
			if slices.Contains(signingUses, action) {
				return true
			}
		}
		if run := get(step, "run"); run != nil && (strings.Contains(run.Value, "cosign sign") || strings.Contains(run.Value, "cosign attest")) {
			return true
		}
	}
	return false
}

// get is the value of key in a mapping node, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
