package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// gitlabJob is the part of a .gitlab-ci.yml job the test runs.
type gitlabJob struct {
	Extends   string            `yaml:"extends"`
	Rules     []gitlabRule      `yaml:"rules"`
	Variables map[string]string `yaml:"variables"`
	Script    []string          `yaml:"script"`
}

type gitlabRule struct {
	If string `yaml:"if"`
}

// ruleRE is one comparison of a rules:if: $VAR == "x", $VAR =~ /re/.
var ruleRE = regexp.MustCompile(`^\$(\w+)\s*(==|=~)\s*(?:"([^"]*)"|/(.*)/)$`)

// matches evaluates a rules:if made of ==, =~, && and || (&& binds tighter,
// as in GitLab), against vars.
func matches(t *testing.T, expr string, vars map[string]string) bool {
	t.Helper()
	for _, or := range strings.Split(expr, "||") {
		all := true
		for _, and := range strings.Split(or, "&&") {
			m := ruleRE.FindStringSubmatch(strings.TrimSpace(and))
			if m == nil {
				t.Fatalf("rule %q: the test cannot evaluate %q", expr, and)
			}
			v := vars[m[1]]
			ok := v == m[3]
			if m[2] == "=~" {
				ok = regexp.MustCompile(m[4]).MatchString(v)
			}
			all = all && ok
		}
		if all {
			return true
		}
	}
	return false
}

// TestGitLabPipeline runs the script lines of every .gitlab-ci.yml job
// whose rules match GitLab's predefined variables for a merge request, a
// push to master and a tag, in dry-run: the entry point prints the dagger
// calls it would make.
func TestGitLabPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the entry point with go run")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]yaml.Node
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]gitlabJob{}
	var globals struct {
		Variables map[string]string `yaml:"variables"`
		Workflow  struct {
			Rules []gitlabRule `yaml:"rules"`
		} `yaml:"workflow"`
	}
	if err := yaml.Unmarshal(data, &globals); err != nil {
		t.Fatal(err)
	}
	for name, node := range file {
		var j gitlabJob
		if node.Kind == yaml.MappingNode && node.Decode(&j) == nil && (len(j.Script) > 0 || strings.HasPrefix(name, ".")) {
			jobs[name] = j
		}
	}
	repo, base := gitHistory(t)
	head := strings.TrimSpace(gitIn(t, repo)("rev-parse", "HEAD"))

	for _, tc := range []struct {
		name string
		vars map[string]string
		// job -> the dagger calls its script prints: the function, then
		// flags the call must have.
		want map[string][][]string
	}{
		{"merge request", map[string]string{
			"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "pr",
			"CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_MERGE_REQUEST_PROJECT_ID": "7", "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "9",
		}, map[string][][]string{"check": {{"test", "--changed"}, {"build-all", "--smoke", "--changed"}, {"scan-all", "--changed"}}}},
		{"push to master", map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "master"},
			map[string][][]string{"test": {{"test", "--version=master"}},
				"publish": {{"publish-all", "--version=master", "--registry=registry.gitlab.example/kfp/pipelines", "--username=gitlab-ci-token"}}}},
		{"tag", map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "2.5.0"},
			map[string][][]string{"test": {{"test", "--version=2.5.0"}}, "publish": {{"publish-all", "--version=2.5.0"}}}},
		{"tag run by hand with latest", map[string]string{"CI_PIPELINE_SOURCE": "web", "CI_COMMIT_TAG": "2.5.0", "KFP_LATEST": "true"},
			map[string][][]string{"test": {{"test", "--version=2.5.0"}}, "publish": {{"promote", "--version=2.5.0", "--latest"}}}},
		{"schedule", map[string]string{"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "master"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{
				"GITLAB_CI": "true", "CI_COMMIT_SHA": head, "GITLAB_USER_LOGIN": "maintainer",
				"CI_REGISTRY_IMAGE": "registry.gitlab.example/kfp/pipelines", "CI_REGISTRY_USER": "gitlab-ci-token",
				"CI_REGISTRY_PASSWORD": password,
			}
			for k, v := range tc.vars {
				vars[k] = v
			}
			runs := false
			for _, r := range globals.Workflow.Rules {
				runs = runs || matches(t, r.If, vars)
			}
			if runs != (tc.want != nil) {
				t.Fatalf("workflow rules start a pipeline: %v, want %v", runs, tc.want != nil)
			}
			var ran []string
			for name, job := range jobs {
				if strings.HasPrefix(name, ".") || !slices.ContainsFunc(job.Rules, func(r gitlabRule) bool { return matches(t, r.If, vars) }) {
					continue
				}
				ran = append(ran, name)
				want, ok := tc.want[name]
				if !ok {
					t.Errorf("job %s runs, want only %v", name, tc.want)
					continue
				}
				out := runGitLabJob(t, root, repo, globals.Variables, jobs[job.Extends], job, vars)
				calls := dryRunCalls(out)
				if len(calls) != len(want) {
					t.Fatalf("job %s printed %d dagger calls, want %d:\n%s", name, len(calls), len(want), out)
				}
				for i, w := range want {
					if calls[i][0] != w[0] {
						t.Errorf("job %s call %d is %s, want %s", name, i+1, calls[i][0], w[0])
					}
					for _, flag := range w[1:] {
						if !slices.ContainsFunc(calls[i], func(a string) bool { return a == flag || strings.HasPrefix(a, flag+"=") }) {
							t.Errorf("job %s: %s lacks %s: %q", name, w[0], flag, calls[i])
						}
					}
				}
				if strings.Contains(out, password) {
					t.Errorf("job %s printed the registry password", name)
				}
				if name == "publish" && !strings.Contains(out, "--secret=env:KFP_REGISTRY_PASSWORD") {
					t.Errorf("publish does not read the password from the environment:\n%s", out)
				}
			}
			if len(ran) != len(tc.want) {
				t.Errorf("jobs %v ran, want %v", ran, tc.want)
			}
		})
	}
}

// runGitLabJob runs a job's script lines with sh, in the repository root,
// with the variables GitLab would give it, in dry-run; returns the output.
func runGitLabJob(t *testing.T, root, source string, globals map[string]string, parent, job gitlabJob, ci map[string]string) string {
	t.Helper()
	vars := map[string]string{}
	for _, m := range []map[string]string{globals, parent.Variables, job.Variables, ci} {
		for k, v := range m {
			vars[k] = os.Expand(v, func(k string) string { return vars[k] })
		}
	}
	vars["KFP_SOURCE"] = source // the test's history instead of the sample
	vars["KFP_DRY_RUN"] = "true"
	vars["KFP_OUTPUT_FILE"] = filepath.Join(t.TempDir(), "kfp.env")
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "KFP_") || strings.HasPrefix(k, "CI_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	// GitLab runs a job's script lines in one shell, stopping at the first failure.
	cmd := exec.Command("sh", "-ec", strings.Join(job.Script, "\n"))
	cmd.Dir, cmd.Env = root, env
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script %q: %v\n%s", job.Script, err, b)
	}
	return string(b)
}

// dryRunCalls parses the dagger calls a dry run prints: each call's
// function name first, then every argument of the call.
func dryRunCalls(out string) [][]string {
	var calls [][]string
	for _, line := range strings.Split(out, "\n") {
		args, ok := strings.CutPrefix(line, "dagger ")
		if !ok {
			continue
		}
		f := strings.Fields(args)
		if verb := daggerVerb(f); verb != "" {
			calls = append(calls, append([]string{verb}, f...))
		}
	}
	return calls
}

// daggerVerb is the module function a dagger call's argv runs: the first
// word after the constructor's flags (which end with --source-date-epoch)
// that is neither a flag nor a with-… function setting up the module.
func daggerVerb(args []string) string {
	i := slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "--source-date-epoch=") })
	if i < 0 {
		return ""
	}
	for _, a := range args[i+1:] {
		if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "with-") {
			return a
		}
	}
	return ""
}

// TestShellEntry runs kfp-dagger-ci.sh, the entry of any other CI, for a
// push of a tag, a change and an unknown event.
func TestShellEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the entry point")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	repo, base := gitHistory(t)
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(filepath.Join(root, "kfp-dagger-ci.sh"), args...)
		cmd.Dir = repo
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "GITHUB_") && !strings.HasPrefix(k, "KFP_") && k != "GITLAB_CI" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, env...)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	dry := []string{"KFP_DRY_RUN=true", "KFP_SOURCE=.", "KFP_PASSWORD=" + password, "KFP_USERNAME=ci", "KFP_REGISTRY=registry.example/kfp"}

	out, err := run(dry, "push", "refs/tags/2.5.0")
	if err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	calls := dryRunCalls(out)
	if len(calls) != 1 || calls[0][0] != "publish-all" || !slices.Contains(calls[0], "--version=2.5.0") ||
		!slices.Contains(calls[0], "-m") || !slices.Contains(calls[0], root) {
		t.Errorf("push of a tag printed %q, want publish-all --version=2.5.0 of the module at %s", calls, root)
	}
	if strings.Contains(out, password) {
		t.Error("the password was printed")
	}

	out, err = run([]string{"KFP_DRY_RUN=true", "KFP_SOURCE=."}, "change", base)
	if err != nil {
		t.Fatalf("change: %v\n%s", err, out)
	}
	if calls := dryRunCalls(out); len(calls) != 3 || calls[1][0] != "build-all" {
		t.Errorf("a change printed %q, want test, build-all, scan-all", calls)
	}

	out, err = run(dry, "nightly", "refs/heads/master")
	if err == nil || !strings.Contains(out, `unknown event "nightly": want push, change or dispatch`) {
		t.Errorf("unknown event: %v\n%s", err, out)
	}
	out, err = run(dry, "push", "refs/heads/feature")
	if err == nil || !strings.Contains(out, "kfp-dagger: error: event push of refs/heads/feature: kfp-dagger publishes only refs/heads/master and release tags") {
		t.Errorf("push of a feature branch: %v\n%s", err, out)
	}
}
