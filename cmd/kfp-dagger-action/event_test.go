package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/kfp-dagger/kfp-dagger/internal/junit"
)

// TestGitHubEvents feeds the entry point webhook payloads shaped after
// GitHub's documented schemas (testdata/github), with the inputs the
// workflows pass, and checks what each event runs: the dagger calls, the
// version and the tags, or the one line that refuses it.
func TestGitHubEvents(t *testing.T) {
	repo, base := gitHistory(t) // a real repository: pull requests select by merge base
	type want struct {
		calls   []string // the dagger functions, in order
		version string   // --version of the calls
		latest  bool     // --latest on the publishing call
		tags    string   // the tags output
		since   bool     // --changed on every call
		err     string   // the refusal line; calls must be empty
	}
	publishInputs := map[string]string{"password": password}
	for _, tc := range []struct {
		file, event, ref string
		inputs           map[string]string
		want             want
	}{
		{"push-master.json", "push", "refs/heads/master", publishInputs,
			want{calls: []string{"publish-all"}, version: "master", tags: "master," + sha}},
		{"push-tag.json", "push", "refs/tags/2.5.0", publishInputs,
			want{calls: []string{"publish-all"}, version: "2.5.0", tags: "2.5.0," + sha}},
		{"push-tag-deleted.json", "push", "refs/tags/2.5.0", publishInputs,
			want{err: "GitHub event push deletes refs/tags/2.5.0: nothing to build or publish"}},
		{"push-branch.json", "push", "refs/heads/feature", publishInputs,
			want{err: "GitHub event push of refs/heads/feature: kfp-dagger publishes only refs/heads/master and release tags refs/tags/X.Y.Z"}},
		{"pull_request-fork.json", "pull_request", "refs/pull/7/merge", nil,
			want{calls: []string{"test", "build-all", "scan-all"}, since: true}},
		{"pull_request-same-repo.json", "pull_request", "refs/pull/7/merge", nil,
			want{calls: []string{"test", "build-all", "scan-all"}, since: true}},
		{"pull_request-fork.json", "pull_request", "refs/pull/7/merge", map[string]string{"command": "build-all", "platforms": "linux/arm64"},
			want{calls: []string{"build-all"}, since: true}},
		{"pull_request-same-repo.json", "pull_request", "refs/pull/7/merge", publishInputs,
			want{err: "GitHub event pull_request gets no registry credentials: remove the password input from this job"}},
		{"pull_request_target.json", "pull_request_target", "refs/heads/master", publishInputs,
			want{err: "GitHub event pull_request_target does not run kfp-dagger: it runs on push, pull_request and workflow_dispatch"}},
		{"schedule.json", "schedule", "refs/heads/master", publishInputs,
			want{err: "GitHub event schedule does not run kfp-dagger"}},
		{"workflow_dispatch-latest.json", "workflow_dispatch", "refs/tags/2.5.0", map[string]string{"password": password, "latest": "true"},
			want{calls: []string{"promote"}, version: "2.5.0", latest: true, tags: "latest"}},
		{"workflow_dispatch.json", "workflow_dispatch", "refs/tags/2.5.0", map[string]string{"password": password, "latest": "false"},
			want{calls: []string{"publish-all"}, version: "2.5.0", tags: "2.5.0," + sha}},
		{"workflow_dispatch-latest.json", "workflow_dispatch", "refs/heads/master", map[string]string{"password": password, "latest": "true"},
			want{err: "latest names a release: refs/heads/master is not a release tag"}},
		{"workflow_run.json", "workflow_run", "refs/heads/master", publishInputs,
			want{err: "GitHub event workflow_run does not run kfp-dagger"}},
		{"release.json", "release", "refs/tags/2.5.0", publishInputs,
			want{err: "GitHub event release does not run kfp-dagger"}},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json")+"@"+tc.ref, func(t *testing.T) {
			dir := t.TempDir()
			payload, err := os.ReadFile(filepath.Join("testdata/github", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			// The pull request's base is a commit of the repository the test made.
			payload = bytes.ReplaceAll(payload, []byte(`"sha": "89abcdef0123456789abcdef0123456789abcdef"`), []byte(`"sha": "`+base+`"`))
			eventPath := filepath.Join(dir, "event.json")
			if err := os.WriteFile(eventPath, payload, 0o644); err != nil {
				t.Fatal(err)
			}
			outputFile, summaryFile := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
			env := map[string]string{
				"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octocat", "GITHUB_SHA": sha, "GITHUB_REF": tc.ref,
				"GITHUB_EVENT_NAME": tc.event, "GITHUB_EVENT_PATH": eventPath,
				"GITHUB_OUTPUT": outputFile, "GITHUB_STEP_SUMMARY": summaryFile,
				"INPUT_SOURCE": repo, "INPUT_SCAN-DIR": filepath.Join(dir, "scan"),
			}
			for k, v := range tc.inputs {
				env["INPUT_"+strings.ToUpper(k)] = v
			}
			runner := &fakeRunner{gitOut: epoch, summary: passingSummary, daggerOut: publishReport}
			var log bytes.Buffer
			app := New(
				WithAction(githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(&log))),
				WithRunner(runner), WithEnviron(func() []string { return nil }), WithStdout(io.Discard), WithStderr(io.Discard),
				WithResultsDir(filepath.Join(dir, "results")))
			err = app.Run(context.Background())
			var calls []string
			for _, c := range runner.calls {
				if c.name != "dagger" {
					continue
				}
				fn := daggerVerb(c.args)
				calls = append(calls, fn)
				if got := slices.Contains(c.args, "--version="+tc.want.version); tc.want.version != "" && !got {
					t.Errorf("%s: argv %q lacks --version=%s", fn, c.args, tc.want.version)
				}
				if tc.want.version == "" && slices.ContainsFunc(c.args, func(a string) bool { return strings.HasPrefix(a, "--version=") }) {
					t.Errorf("%s: argv %q has a version, want none", fn, c.args)
				}
				if got := slices.Contains(c.args, "--latest"); got != tc.want.latest {
					t.Errorf("%s: --latest %v, want %v", fn, got, tc.want.latest)
				}
				if got := slices.ContainsFunc(c.args, func(a string) bool { return strings.HasPrefix(a, "--changed=") }); got != tc.want.since {
					t.Errorf("%s: --changed %v, want %v", fn, got, tc.want.since)
				}
				if tc.event == "pull_request" && slices.ContainsFunc(c.args, func(a string) bool { return strings.HasPrefix(a, "--secret") || a == "with-registry-auth" }) {
					t.Errorf("%s on a pull request gets a password: %q", fn, c.args)
				}
			}
			if tc.want.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.err) {
					t.Fatalf("error = %v, want %q", err, tc.want.err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				if len(calls) > 0 {
					t.Errorf("dagger ran %q for a refused event", calls)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if !slices.Equal(calls, tc.want.calls) {
				t.Errorf("dagger calls %q, want %q", calls, tc.want.calls)
			}
			outputs := readFile(t, outputFile)
			if tc.want.tags != "" && !strings.Contains(outputs, "\n"+tc.want.tags+"\n") {
				t.Errorf("tags output is not %q:\n%s", tc.want.tags, outputs)
			}
			if strings.Contains(outputs, password) || strings.Contains(readFile(t, summaryFile), password) {
				t.Error("the password reached the outputs or the summary")
			}
		})
	}
}

// gitHistory makes a repository with a master commit and a feature commit
// on top that changes frontend/, and returns it and the master commit: the
// base of the pull requests.
func gitHistory(t *testing.T) (repo, base string) {
	t.Helper()
	repo = t.TempDir()
	git := gitIn(t, repo)
	writeIn(t, repo, "go.mod", "module x\n")
	writeIn(t, repo, "frontend/src/app.js", "1\n")
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "base")
	base = strings.TrimSpace(git("rev-parse", "HEAD"))
	git("checkout", "-q", "-b", "pr")
	writeIn(t, repo, "frontend/src/app.js", "2\n")
	git("commit", "-q", "-am", "frontend change")
	return repo, base
}

// gitIn returns a function that runs git in dir and returns its output.
func gitIn(t *testing.T, dir string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=master"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
}

// writeIn writes content to rel under dir, making its folders.
func writeIn(t *testing.T, dir, rel, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A blocked or unscanned image is annotated at its Dockerfile; a passing one
// is not.
func TestScanAnnotations(t *testing.T) {
	repo, _ := gitHistory(t)
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/feature", "GITHUB_EVENT_NAME": "push",
		"INPUT_COMMAND": "scan-all", "INPUT_SOURCE": repo, "INPUT_SCAN-DIR": filepath.Join(dir, "scan"),
	}
	scan := `{"threshold":"HIGH","results":[
 {"image":"kfp-driver","platform":"linux/amd64","status":"blocked","threshold":"HIGH","findings":[
  {"id":"CVE-2026-0001","severity":"CRITICAL","package":"openssl","installed":"3.0.1","fixed":"3.0.9","target":"debian"}]},
 {"image":"kfp-frontend","platform":"linux/arm64","status":"error","threshold":"HIGH","findings":[],"reason":"build failed"},
 {"image":"kfp-launcher","platform":"linux/amd64","status":"passed","threshold":"HIGH","findings":[]}]}`
	runner := &fakeRunner{gitOut: epoch, scanSummary: scan}
	var log bytes.Buffer
	app := New(
		WithAction(githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(&log))),
		WithRunner(runner), WithEnviron(func() []string { return nil }), WithStdout(io.Discard), WithStderr(io.Discard))
	if err := app.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"::error file=" + repo + "/backend/Dockerfile.driver,line=1,title=kfp-dagger scan kfp-driver linux/amd64::1 findings at or above HIGH: CVE-2026-0001 CRITICAL openssl 3.0.1 (fixed in 3.0.9)",
		"::error file=" + repo + "/frontend/Dockerfile,line=1,title=kfp-dagger scan kfp-frontend linux/arm64::not scanned: build failed",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "kfp-launcher") {
		t.Errorf("a passing image is annotated:\n%s", log.String())
	}
}

// A failed Go test is annotated at the line its output names, in its
// package's directory; a failed pytest test relative to its suite.
func TestTestAnnotations(t *testing.T) {
	dir, source := t.TempDir(), t.TempDir()
	writeIn(t, source, "go.mod", "module github.com/kubeflow/pipelines\n\ngo 1.26\n")
	goJSON := `{"Action":"run","Package":"github.com/kubeflow/pipelines/backend/src/apiserver","Test":"TestHealthz"}
{"Action":"output","Package":"github.com/kubeflow/pipelines/backend/src/apiserver","Test":"TestHealthz","Output":"=== RUN   TestHealthz\n"}
{"Action":"output","Package":"github.com/kubeflow/pipelines/backend/src/apiserver","Test":"TestHealthz","Output":"    server_test.go:42: got 500, want 200\n"}
{"Action":"fail","Package":"github.com/kubeflow/pipelines/backend/src/apiserver","Test":"TestHealthz","Elapsed":0.1}
{"Action":"fail","Package":"github.com/kubeflow/pipelines/backend/src/apiserver","Elapsed":0.2}
`
	s, err := junit.FromGoTestJSON(strings.NewReader(goJSON))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := s.Marshal()
	writeIn(t, dir, "backend.xml", string(x))
	writeIn(t, dir, "visualization-server.xml", `<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="1" failures="1">
<testcase classname="tests.test_server" name="test_render"><failure message="AssertionError: 1 != 2">def test_render():
&gt;       assert 1 == 2
E       AssertionError

tests/test_server.py:12: AssertionError</failure></testcase></testsuite></testsuites>`)
	got := testAnnotations(dir, source)
	want := []annotation{
		{File: source + "/backend/src/apiserver/server_test.go", Line: "42", Title: "kfp-dagger test backend: TestHealthz", Message: "server_test.go:42: got 500, want 200"},
		{File: source + "/backend/src/apiserver/visualization/tests/test_server.py", Line: "12", Title: "kfp-dagger test visualization-server: test_render", Message: "AssertionError: 1 != 2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("annotations\n got %+v\nwant %+v", got, want)
	}
}
