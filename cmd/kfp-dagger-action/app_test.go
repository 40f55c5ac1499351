package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/sethvargo/go-githubactions"
)

const (
	sha      = "0123456789abcdef0123456789abcdef01234567"
	password = "s3cr3t-Pa55"
	// signingKey is shaped like cosign.key: each body line is masked.
	signingKey         = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ-line-one\nZW5jcnlwdGVkLWtleS1ib2R5-line-two\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"
	signingKeyPassword = "k3y-Pa55w0rd"
	epoch              = "1715000000"
)

// call is one command the fake runner was asked to run.
type call struct {
	name string
	args []string
	env  []string
	// changed is what the --changed file held while the call ran.
	changed string
}

// fakeRunner answers git with a commit time and dagger with a canned
// report; for `test ... export --path=DIR` it writes summary.json to DIR.
type fakeRunner struct {
	calls       []call
	gitOut      string
	gitErr      error
	daggerOut   string
	daggerErr   error
	daggerStder string
	summary     string // summary.json written on export
	scanSummary string // summary.json written by scan-all
}

func (f *fakeRunner) Run(_ context.Context, name string, args []string, env []string, stdout, stderr io.Writer) error {
	c := call{name: name, args: append([]string(nil), args...), env: append([]string(nil), env...)}
	for _, a := range args {
		if file, ok := strings.CutPrefix(a, "--changed="); ok {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			c.changed = string(b)
		}
	}
	f.calls = append(f.calls, c)
	switch name {
	case "git":
		if f.gitErr != nil {
			fmt.Fprintln(stderr, "fatal: not a git repository")
			return f.gitErr
		}
		fmt.Fprintln(stdout, f.gitOut)
		return nil
	case "dagger":
		for _, a := range args {
			dir, ok := strings.CutPrefix(a, "--path=")
			if !ok {
				continue
			}
			// What test, scan-all and stage export.
			files := map[string]string{"summary.md": "| image | verdict |\n", "records.json": "[]\n"}
			switch {
			case slices.Contains(args, "scan-all"):
				files["summary.json"] = orDefault(f.scanSummary, `{"threshold":"HIGH","results":[]}`)
			case f.summary != "":
				files["summary.json"] = f.summary
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintln(stdout, dir)
		}
		io.WriteString(stdout, f.daggerOut)
		io.WriteString(stderr, f.daggerStder)
		return f.daggerErr
	}
	return fmt.Errorf("unexpected command %s", name)
}

func (f *fakeRunner) dagger() *call {
	for i := range f.calls {
		if f.calls[i].name == "dagger" {
			return &f.calls[i]
		}
	}
	return nil
}

const (
	passingSummary = `[{"component":"backend","passed":12,"failed":0,"skipped":1,"duration_seconds":3.2,"failed_tests":null},
{"component":"frontend","passed":4,"failed":0,"skipped":0,"duration_seconds":1.5,"failed_tests":[]}]`
	failingSummary = `[{"component":"backend","passed":11,"failed":1,"skipped":0,"duration_seconds":3.2,"failed_tests":["TestServer/healthz"]},
{"component":"frontend","passed":4,"failed":0,"skipped":0,"duration_seconds":1.5,"failed_tests":[]}]`
	apiServerDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	publishReport   = `{"title":"kfp-dagger publish-all","results":[{"image":"kfp-api-server","platforms":["linux/amd64","linux/arm64"],` +
		`"digest":"` + apiServerDigest + `","tags":["master"],"references":[],"size_bytes":1024,"duration_seconds":3,"retries":0,"status":"published"}],"left_out":[]}`
	buildReport = `{"title":"kfp-dagger build-all","results":[{"image":"kfp-driver","platforms":["linux/arm64"],"digest":"","tags":null,` +
		`"references":null,"size_bytes":0,"duration_seconds":3,"retries":0,"status":"built"}],"left_out":[]}`
)

func TestRun(t *testing.T) {
	base := func(extra ...string) []string {
		return append([]string{"--progress=plain", "call", "--source=.", "--commit=" + sha}, extra...)
	}
	tests := []struct {
		name    string
		ref     string
		event   string
		inputs  map[string]string
		runner  fakeRunner
		wantErr string   // substring of the error; "" means success
		want    []string // dagger argv; nil means dagger must not run
		// wantPassword: the dagger child's environment carries the password.
		wantPassword bool
		// wantSigning: it carries the signing key and its password.
		wantSigning bool
		wantOutputs map[string]string // substrings of outputs
		wantSummary []string          // substrings of the step summary
		wantLog     []string          // substrings of the workflow-command log
		noOutputs   []string          // outputs that must not be set
	}{
		{
			name:  "publish-all on a push to master",
			ref:   "refs/heads/master",
			event: "push",
			inputs: map[string]string{"command": "publish-all", "password": password, "images": " apiserver, driver,",
				"force": "driver", "concurrency": "3"},
			runner: fakeRunner{gitOut: epoch, daggerOut: publishReport},
			want: base("--version=master", "--source-date-epoch="+epoch, "with-registry-auth", "--address=ghcr.io/kubeflow", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD", "publish-all",
				"--registry=ghcr.io/kubeflow", "--format=json", "--images=apiserver,driver", "--force=driver", "--concurrency=3"),
			wantPassword: true,
			wantOutputs: map[string]string{"version": "master", "tags": "master," + sha, "report": "kfp-api-server",
				"digests": `{"kfp-api-server":"` + apiServerDigest + `"}`, "digest-kfp-api-server": apiServerDigest},
			wantSummary: []string{"kfp-api-server", "published"},
			// the call's group ends before each image gets its own
			wantLog: []string{"::endgroup::\n::group::kfp-dagger publish-all kfp-api-server: published\n",
				"index: " + apiServerDigest + "\n::endgroup::\n"},
		},
		{
			name:         "dry-run prints the call, runs nothing and claims no tags",
			ref:          "refs/heads/master",
			event:        "push",
			inputs:       map[string]string{"password": password, "dry-run": "true"},
			runner:       fakeRunner{gitOut: epoch},
			wantOutputs:  map[string]string{"version": "master"},
			noOutputs:    []string{"tags", "digests"},
			wantPassword: false,
		},
		{
			name:  "publish-all through a registry tunnel",
			ref:   "refs/heads/master",
			event: "push",
			inputs: map[string]string{"command": "publish-all", "password": password, "registry": "localhost:5000/kfp",
				"registry-tunnel": "tcp://localhost:5000"},
			runner: fakeRunner{gitOut: epoch, daggerOut: publishReport},
			want: base("--version=master", "--source-date-epoch="+epoch, "with-registry-auth", "--address=localhost:5000/kfp", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD",
				"with-registry-tunnel", "--service=tcp://localhost:5000", "publish-all", "--registry=localhost:5000/kfp", "--format=json", "--concurrency=2"),
			wantPassword: true,
		},
		{
			name:    "a registry tunnel that is not tcp:// is refused",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "publish-all", "password": password, "registry-tunnel": "localhost:5000"},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: `invalid registry-tunnel "localhost:5000": want tcp://HOST:PORT`,
		},
		{
			name:  "publish-all on a release tag, latest",
			ref:   "refs/tags/2.5.0",
			event: "push",
			inputs: map[string]string{"command": "publish-all", "password": password, "username": "bot",
				"registry": "ghcr.io/acme", "latest": "true"},
			runner: fakeRunner{gitOut: epoch, daggerOut: publishReport},
			want: base("--version=2.5.0", "--source-date-epoch="+epoch, "with-registry-auth", "--address=ghcr.io/acme", "--username=bot", "--secret=env:KFP_REGISTRY_PASSWORD", "publish-all",
				"--registry=ghcr.io/acme", "--format=json", "--latest", "--concurrency=2"),
			wantPassword: true,
			wantOutputs:  map[string]string{"version": "2.5.0", "tags": "2.5.0,latest," + sha},
		},
		{
			name:   "publish-all on a v-prefixed pre-release tag drops the v with a notice",
			ref:    "refs/tags/v2.5.0-rc.1",
			event:  "push",
			inputs: map[string]string{"command": "publish-all", "password": password, "source": "kfp", "module": "github.com/kfp-dagger/kfp-dagger@v0.1.0"},
			runner: fakeRunner{gitOut: epoch, daggerOut: publishReport},
			want: []string{"--progress=plain", "call", "-m", "github.com/kfp-dagger/kfp-dagger@v0.1.0", "--source=kfp", "--commit=" + sha, "--version=2.5.0-rc.1",
				"--source-date-epoch=" + epoch, "with-registry-auth", "--address=ghcr.io/kubeflow", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD",
				"publish-all", "--registry=ghcr.io/kubeflow", "--format=json", "--concurrency=2"},
			wantPassword: true,
			wantOutputs:  map[string]string{"version": "2.5.0-rc.1"},
			wantLog:      []string{"::notice::tag v2.5.0-rc.1 has a leading v"},
		},
		{
			name:    "publish-all on a pull request is refused",
			ref:     "refs/pull/7/merge",
			event:   "pull_request",
			inputs:  map[string]string{"command": "publish-all", "password": password},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: `GitHub event pull_request never publishes: publish-all runs on a push of master or a release tag, or by hand`,
		},
		{
			name:    "publish-all on a tag that is no version is refused",
			ref:     "refs/tags/nightly",
			event:   "push",
			inputs:  map[string]string{"command": "publish-all", "password": password},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: `tag "nightly" is not a release version`,
		},
		{
			name:    "publish-all without a password is refused",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "publish-all"},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: "publish-all needs registry credentials",
		},
		{
			name:    "auto on a push to master without a password is refused",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: "the GitHub event push runs publish-all, which needs registry credentials",
		},
		{
			name:    "force as a boolean is refused: it names images",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "publish-all", "password": password, "force": "true"},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: `input force names the images whose release tags may move, e.g. apiserver,driver; not "true"`,
		},
		{
			name:   "build-all on a pull request: no version, one platform, smoke, no registry",
			ref:    "refs/pull/7/merge",
			event:  "pull_request",
			inputs: map[string]string{"command": "build-all", "platforms": "linux/arm64", "smoke": "true"},
			runner: fakeRunner{gitOut: epoch, daggerOut: buildReport},
			want: base("--source-date-epoch="+epoch, "build-all", "--format=json", "--concurrency=2",
				"--platforms=linux/arm64", "--smoke"),
			wantOutputs: map[string]string{"report": "kfp-driver"},
			wantSummary: []string{"kfp-driver", "built"},
		},
		{
			name:  "build-all with a staging registry passes the password by env",
			ref:   "refs/heads/feature",
			event: "push",
			inputs: map[string]string{"command": "build-all", "password": password, "registry": "ghcr.io/acme/ci",
				"images": "api-generator,release"},
			runner: fakeRunner{gitOut: epoch, daggerOut: buildReport},
			want: base("--source-date-epoch="+epoch, "with-registry-auth", "--address=ghcr.io/acme/ci", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD",
				"build-all", "--format=json", "--concurrency=2", "--images=api-generator,release", "--registry=ghcr.io/acme/ci"),
			wantPassword: true,
		},
		{
			name:   "scan-all on a pull request with a mirror's Trivy image",
			ref:    "refs/pull/7/merge",
			event:  "pull_request",
			inputs: map[string]string{"command": "scan-all", "trivy-image": "mirror.example/trivy:0.74.0", "scan-dir": "RESULTS/scan"},
			runner: fakeRunner{gitOut: epoch},
			want: base("--source-date-epoch="+epoch, "with-trivy", "--image=mirror.example/trivy:0.74.0",
				"scan-all", "--fail-on-findings=false", "--concurrency=2", "export", "--path=RESULTS/scan"),
		},
		{
			name:   "test exports results and reports them",
			ref:    "refs/pull/7/merge",
			event:  "pull_request",
			inputs: map[string]string{"command": "test"},
			runner: fakeRunner{gitOut: epoch, summary: passingSummary},
			want: base("--source-date-epoch="+epoch, "test", "--component=all", "--concurrency=2",
				"--ignore-failures", "export", "--path=RESULTS"),
			wantOutputs: map[string]string{"report": "| backend | 12 | 0 | 1 | 3.2s |"},
			wantSummary: []string{"| backend | 12 | 0 | 1 | 3.2s |", "| frontend | 4 | 0 | 0 | 1.5s |"},
		},
		{
			name:    "test fails the step when summary.json shows a failure",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "test", "concurrency": "1"},
			runner:  fakeRunner{gitOut: epoch, summary: failingSummary},
			wantErr: "tests failed: backend: 1 failed (TestServer/healthz)",
			want: base("--version=master", "--source-date-epoch="+epoch, "test", "--component=all", "--concurrency=1",
				"--ignore-failures", "export", "--path=RESULTS"),
			wantSummary: []string{"| backend | 11 | 1 | 0 | 3.2s |", "- backend: 1 failed (TestServer/healthz)"},
		},
		{
			name:   "plan on a release tag",
			ref:    "refs/tags/2.5.0",
			event:  "push",
			inputs: map[string]string{"command": "plan", "latest": "true", "images": "apiserver"},
			runner: fakeRunner{gitOut: epoch, daggerOut: "ghcr.io/kubeflow/kfp-api-server:2.5.0\tlinux/amd64,linux/arm64\n"},
			want: base("--version=2.5.0", "--source-date-epoch="+epoch, "plan", "--registry=ghcr.io/kubeflow",
				"--format=text", "--images=apiserver", "--latest"),
			wantSummary: []string{"```text\nghcr.io/kubeflow/kfp-api-server:2.5.0"},
		},
		{
			name:  "publish-all with a signing key passes the key and its password by env",
			ref:   "refs/tags/v2.5.0",
			event: "push",
			inputs: map[string]string{"command": "publish-all", "password": password, "signing-key": signingKey,
				"signing-key-password": signingKeyPassword, "cosign-image": "mirror.example/cosign:v3.1.3",
				"trivy-image": "mirror.example/trivy:0.74.0"},
			runner: fakeRunner{gitOut: epoch, daggerOut: publishReport},
			want: base("--version=2.5.0", "--source-date-epoch="+epoch, "with-registry-auth", "--address=ghcr.io/kubeflow", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD",
				"with-cosign", "--image=mirror.example/cosign:v3.1.3", "with-trivy", "--image=mirror.example/trivy:0.74.0",
				"with-signing-key", "--key=env:KFP_DAGGER_SIGNING_KEY", "--password=env:KFP_DAGGER_SIGNING_KEY_PASSWORD",
				"publish-all", "--registry=ghcr.io/kubeflow", "--format=json", "--concurrency=2"),
			wantPassword: true,
			wantSigning:  true,
		},
		{
			name:  "stage with smoke records each platform's smoke run",
			ref:   "refs/tags/v2.5.0",
			event: "push",
			inputs: map[string]string{"command": "stage", "password": password, "platforms": "linux/arm64", "smoke": "true",
				"signing-key": signingKey}, // the key is not stage's: it never reaches this call
			runner: fakeRunner{gitOut: epoch, daggerOut: ""},
			want: base("--version=2.5.0", "--source-date-epoch="+epoch, "with-registry-auth", "--address=ghcr.io/kubeflow", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD", "stage",
				"--registry=ghcr.io/kubeflow", "--platforms=linux/arm64", "--smoke", "--concurrency=2", "export", "--path=kfp-records"),
			wantPassword: true,
			wantSigning:  false,
		},
		{
			name:  "promote of stage records with a signing key passes the key by env",
			ref:   "refs/tags/v2.5.0",
			event: "push",
			inputs: map[string]string{"command": "promote", "password": password, "signing-key": signingKey,
				"signing-key-password": signingKeyPassword, "records": "a/records.json,b/records.json"},
			runner: fakeRunner{gitOut: epoch, daggerOut: publishReport}, // promote's report has publish-all's shape
			want: base("--version=2.5.0", "--source-date-epoch="+epoch, "with-registry-auth", "--address=ghcr.io/kubeflow", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD",
				"with-signing-key", "--key=env:KFP_DAGGER_SIGNING_KEY", "--password=env:KFP_DAGGER_SIGNING_KEY_PASSWORD",
				"promote", "--registry=ghcr.io/kubeflow", "--format=json", "--records=a/records.json", "--records=b/records.json"),
			wantPassword: true,
			wantSigning:  true,
			wantOutputs:  map[string]string{"report": "kfp-api-server"},
		},
		{
			name:    "a signing key password without a key is refused",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "publish-all", "password": password, "signing-key-password": signingKeyPassword},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: "input signing-key-password needs the signing-key input",
		},
		{
			name:    "an unknown command names the valid ones",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "deploy", "password": password},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: `invalid command "deploy": want one of auto, test, build-all, scan-all, plan, publish-all, stage, promote`,
		},
		{
			name:    "a bad boolean is an error",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "plan", "latest": "yes"},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: `invalid latest "yes": want true or false`,
		},
		{
			name:    "a bad concurrency is an error",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "build-all", "concurrency": "0"},
			runner:  fakeRunner{gitOut: epoch},
			wantErr: `invalid concurrency "0"`,
		},
		{
			name:    "no git checkout",
			ref:     "refs/heads/master",
			event:   "push",
			inputs:  map[string]string{"command": "build-all"},
			runner:  fakeRunner{gitErr: errors.New("exit status 128")},
			wantErr: "read the commit time of . (git log -1 --format=%ct): exit status 128: fatal: not a git repository",
		},
		{
			name:   "a failed publish reports the error line, the password redacted",
			ref:    "refs/heads/master",
			event:  "push",
			inputs: map[string]string{"command": "publish-all", "password": password},
			runner: fakeRunner{gitOut: epoch, daggerErr: errors.New("exit status 1"),
				daggerStder: "1 : connect\nError: publish kfp-driver: 401 Unauthorized for user octocat token " + password + "\n"},
			want: base("--version=master", "--source-date-epoch="+epoch, "with-registry-auth", "--address=ghcr.io/kubeflow", "--username=octocat", "--secret=env:KFP_REGISTRY_PASSWORD", "publish-all",
				"--registry=ghcr.io/kubeflow", "--format=json", "--concurrency=2"),
			wantPassword: true,
			wantErr:      "dagger call publish-all failed (exit status 1): Error: publish kfp-driver: 401 Unauthorized for user octocat token ***",
			wantOutputs:  map[string]string{"version": "master", "report": "token ***"},
			noOutputs:    []string{"tags", "digests"},
			wantSummary:  []string{"## kfp-dagger publish-all failed", "401 Unauthorized"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			results := filepath.Join(dir, "test-results")
			outputFile := filepath.Join(dir, "output")
			summaryFile := filepath.Join(dir, "summary")
			env := map[string]string{
				"GITHUB_ACTIONS":      "true",
				"GITHUB_ACTOR":        "octocat",
				"GITHUB_SHA":          sha,
				"GITHUB_REF":          tc.ref,
				"GITHUB_EVENT_NAME":   tc.event,
				"GITHUB_OUTPUT":       outputFile,
				"GITHUB_STEP_SUMMARY": summaryFile,
				"HOME":                "/home/runner",
			}
			for k, v := range tc.inputs {
				env["INPUT_"+strings.ToUpper(k)] = strings.ReplaceAll(v, "RESULTS", results)
			}
			environ := func() []string {
				var kv []string
				for k, v := range env {
					kv = append(kv, k+"="+v)
				}
				return append(kv, PasswordEnv+"=stale")
			}
			var log, stdout, stderr bytes.Buffer
			runner := tc.runner
			app := New(
				WithAction(githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(&log))),
				WithRunner(&runner),
				WithEnviron(environ),
				WithStdout(&stdout),
				WithStderr(&stderr),
				WithResultsDir(results),
			)
			err := app.Run(context.Background())
			// main fails the step with exactly this, redacted.
			fatal := ""
			if err != nil {
				fatal = app.redact(oneLine(err.Error()))
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Run: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Run succeeded, want error containing %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(fatal, tc.wantErr):
				t.Fatalf("Run error\n got: %s\nwant: ...%s...", fatal, tc.wantErr)
			}

			d := runner.dagger()
			if tc.want == nil {
				if d != nil {
					t.Fatalf("dagger ran with %q, want no call", d.args)
				}
			} else {
				if d == nil {
					t.Fatal("dagger did not run")
				}
				want := make([]string, len(tc.want))
				for i, a := range tc.want {
					want[i] = strings.ReplaceAll(a, "RESULTS", results)
				}
				if !reflect.DeepEqual(d.args, want) {
					t.Errorf("dagger argv\n got: %q\nwant: %q", d.args, want)
				}
				if got := hasEnv(d.env, PasswordEnv+"="+password); got != tc.wantPassword {
					t.Errorf("dagger env has %s=<password>: %v, want %v", PasswordEnv, got, tc.wantPassword)
				}
				if got := hasEnv(d.env, SigningKeyEnv+"="+signingKey) && hasEnv(d.env, SigningKeyPasswordEnv+"="+signingKeyPassword); got != tc.wantSigning {
					t.Errorf("dagger env has the signing key and its password: %v, want %v", got, tc.wantSigning)
				}
				if hasEnv(d.env, PasswordEnv+"=stale") {
					t.Errorf("dagger env keeps the inherited %s", PasswordEnv)
				}
				if !hasEnv(d.env, "HOME=/home/runner") {
					t.Errorf("dagger env lost HOME: %q", d.env)
				}
			}

			// The secrets go only to the dagger child's environment, each
			// under its own variable, never as an input variable.
			secrets := []string{password, signingKeyPassword, "eyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ-line-one", "ZW5jcnlwdGVkLWtleS1ib2R5-line-two"}
			for _, c := range runner.calls {
				for _, sec := range secrets {
					for _, a := range c.args {
						if strings.Contains(a, sec) {
							t.Errorf("%s argv contains a secret: %q", c.name, c.args)
						}
					}
				}
				for _, kv := range c.env {
					for _, in := range []string{"INPUT_PASSWORD=", "INPUT_SIGNING-KEY=", "INPUT_SIGNING-KEY-PASSWORD="} {
						if strings.HasPrefix(kv, in) {
							t.Errorf("%s env contains %s", c.name, in)
						}
					}
					for _, sec := range secrets {
						if c.name != "dagger" && strings.Contains(kv, sec) {
							t.Errorf("%s env contains a secret", c.name)
						}
					}
				}
			}
			outputs := readFile(t, outputFile)
			summary := readFile(t, summaryFile)
			for what, s := range map[string]string{"outputs": outputs, "step summary": summary, "error": fatal} {
				for _, sec := range secrets {
					if strings.Contains(s, sec) {
						t.Errorf("%s contain a secret:\n%s", what, s)
					}
				}
			}
			for in, secs := range map[string][]string{"signing-key-password": secrets[1:2], "signing-key": secrets[2:]} {
				if _, ok := tc.inputs[in]; !ok {
					continue
				}
				for _, sec := range secs {
					if !strings.Contains(log.String(), "::add-mask::"+sec+"\n") {
						t.Errorf("%s not masked; log:\n%s", sec, log.String())
					}
				}
			}
			for _, line := range strings.Split(log.String(), "\n") {
				if strings.Contains(line, password) && line != "::add-mask::"+password {
					t.Errorf("log line shows the password outside add-mask: %q", line)
				}
			}
			if _, ok := tc.inputs["password"]; ok && !strings.Contains(log.String(), "::add-mask::"+password+"\n") {
				t.Errorf("password not masked; log:\n%s", log.String())
			}

			for name, want := range tc.wantOutputs {
				if !strings.Contains(outputs, name+"<<") || !strings.Contains(outputs, want) {
					t.Errorf("output %s does not contain %q; outputs:\n%s", name, want, outputs)
				}
			}
			for _, name := range tc.noOutputs {
				if strings.Contains(outputs, name+"<<") {
					t.Errorf("output %s is set; outputs:\n%s", name, outputs)
				}
			}
			for _, want := range tc.wantSummary {
				if !strings.Contains(summary, want) {
					t.Errorf("step summary does not contain %q; summary:\n%s", want, summary)
				}
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(log.String(), want) {
					t.Errorf("log does not contain %q; log:\n%s", want, log.String())
				}
			}
			if open, closed := strings.Count(log.String(), "::group::"), strings.Count(log.String(), "::endgroup::"); open != closed {
				t.Errorf("%d groups opened, %d closed; log:\n%s", open, closed, log.String())
			}
		})
	}
}

func hasEnv(env []string, kv string) bool {
	for _, e := range env {
		if e == kv {
			return true
		}
	}
	return false
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// Without GITHUB_OUTPUT and GITHUB_STEP_SUMMARY (a run outside a workflow)
// the report still goes to stdout and nothing panics.
func TestRunOutsideAWorkflow(t *testing.T) {
	env := map[string]string{"GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/feature", "GITHUB_EVENT_NAME": "push", "INPUT_COMMAND": "build-all"}
	var stdout bytes.Buffer
	runner := &fakeRunner{gitOut: epoch, daggerOut: buildReport}
	app := New(
		WithAction(githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(io.Discard))),
		WithRunner(runner), WithEnviron(func() []string { return nil }), WithStdout(&stdout), WithStderr(io.Discard))
	if err := app.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), `"title":"kfp-dagger build-all"`) {
		t.Errorf("stdout = %q, want the report", stdout.String())
	}
}

func TestResolveVersion(t *testing.T) {
	for _, tc := range []struct {
		ref, want, notice, err string
	}{
		{ref: "refs/heads/master", want: "master"},
		{ref: "refs/tags/2.17.0", want: "2.17.0"},
		{ref: "refs/tags/2.5.0-rc.1", want: "2.5.0-rc.1"},
		{ref: "refs/tags/v2.17.0", want: "2.17.0", notice: "tag v2.17.0 has a leading v: building it as version 2.17.0"},
		{ref: "refs/tags/2.17", err: `tag "2.17" is not a release version`},
		{ref: "refs/tags/2.5.0+build.1", err: "is not a release version"},
		{ref: "refs/tags/02.5.0", err: "is not a release version"},
		{ref: "refs/heads/main"},
		{ref: "refs/heads/release-2.5"},
		{ref: "refs/pull/1/merge"},
		{ref: ""},
	} {
		v, err := resolveVersion(tc.ref)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("resolveVersion(%q) error = %v, want %q", tc.ref, err, tc.err)
			}
			continue
		}
		if err != nil || v.Value != tc.want || v.Notice != tc.notice {
			t.Errorf("resolveVersion(%q) = %+v, %v; want %q, notice %q", tc.ref, v, err, tc.want, tc.notice)
		}
	}
}

func TestReadTestResults(t *testing.T) {
	for _, tc := range []struct {
		name, json, err string
	}{
		{name: "pass", json: passingSummary},
		{name: "fail", json: failingSummary, err: "tests failed: backend: 1 failed (TestServer/healthz)"},
		{name: "failed count without names", json: `[{"component":"frontend","passed":1,"failed":2}]`, err: "tests failed: frontend: 2 failed"},
		{name: "empty", json: `[]`, err: "lists no component"},
		{name: "not json", json: `{`, err: "read the test results"},
		{name: "missing", err: "read the test results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.json != "" {
				if err := os.WriteFile(filepath.Join(dir, "summary.json"), []byte(tc.json), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := readTestResults(dir)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("readTestResults = %v, want error %q", err, tc.err)
			}
		})
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 5}
	io.WriteString(tb, "abc")
	io.WriteString(tb, "defgh")
	if got := tb.String(); got != "defgh" {
		t.Errorf("tail = %q, want defgh", got)
	}
}

// sourceWithWorkflow returns a source tree whose image-build workflow is
// data.
func sourceWithWorkflow(t *testing.T, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, catalog.WorkflowPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReadConfigImages(t *testing.T) {
	all := len(catalog.Builtin().All())
	removed, err := os.ReadFile("../../internal/catalog/testdata/image-builds-master-mlmd-removed.yml")
	if err != nil {
		t.Fatal(err)
	}
	withoutMLMD := sourceWithWorkflow(t, removed)
	broken := sourceWithWorkflow(t, []byte("jobs: ["))
	for _, tc := range []struct {
		name    string
		inputs  map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{
			name:   "exclude leaves every other image, by name",
			inputs: map[string]string{"command": "build-all", "exclude": "release"},
			check: func(t *testing.T, c Config) {
				if len(c.Images) != all-1 || slices.Contains(c.Images, "kfp-release") ||
					!slices.Contains(c.Images, "kfp-api-generator") || !slices.Contains(c.Images, "kfp-api-server") {
					t.Errorf("images = %q, want all %d but kfp-release", c.Images, all)
				}
			},
		},
		{
			name:   "exclude lists the images the source tree builds",
			inputs: map[string]string{"command": "publish-all", "username": "u", "password": "p", "source": withoutMLMD, "exclude": "metadata-writer,release"},
			check: func(t *testing.T, c Config) {
				want := []string{
					"kfp-api-server", "kfp-frontend", "kfp-persistence-agent", "kfp-scheduled-workflow-controller",
					"kfp-viewer-crd-controller", "kfp-visualization-server", "kfp-launcher", "kfp-driver",
					"kfp-cache-deployer", "kfp-cache-server", "kfp-inverse-proxy-agent", "kfp-api-generator",
				}
				if !slices.Equal(c.Images, want) {
					t.Errorf("images = %q, want %q", c.Images, want)
				}
			},
		},
		{
			name:    "exclude on a source tree with a broken workflow",
			inputs:  map[string]string{"command": "build-all", "source": broken, "exclude": "release"},
			wantErr: "input exclude: parse .github/workflows/image-builds-master.yml: yaml: ",
		},
		{name: "exclude and images", inputs: map[string]string{"command": "build-all", "exclude": "release", "images": "driver"}, wantErr: "not both"},
		{name: "exclude an unknown image", inputs: map[string]string{"command": "publish-all", "exclude": "nope"}, wantErr: `input exclude: `},
		{name: "exclude with test", inputs: map[string]string{"command": "test", "exclude": "release"}, wantErr: "not test"},
		{name: "platforms with publish-all", inputs: map[string]string{"command": "publish-all", "platforms": "linux/amd64"}, wantErr: "applies only to build-all"},
		{
			name:   "an upper-case registry owner is lowercased with a notice",
			inputs: map[string]string{"command": "plan", "registry": "ghcr.io/OctoCat"},
			check: func(t *testing.T, c Config) {
				if c.Registry != "ghcr.io/octocat" || len(c.Notices) != 1 {
					t.Errorf("registry = %q, notices %q; want ghcr.io/octocat and one notice", c.Registry, c.Notices)
				}
			},
		},
		{
			name:   "defaults",
			inputs: map[string]string{},
			check: func(t *testing.T, c Config) {
				want := Config{Command: "auto", Registry: "ghcr.io/kubeflow", Username: "octocat", Source: ".", Concurrency: 2,
					RecordsDir: "kfp-records", ScanDir: "kfp-scan"}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("config = %+v, want %+v", c, want)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := readConfig(func(k string) string { return tc.inputs[k] }, "octocat")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("readConfig error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// TestRunSince: with the since input, the action lists the files changed on
// a real git history since the merge base and hands them to --changed.
func TestRunSince(t *testing.T) {
	repo, _ := gitHistory(t)
	env := map[string]string{"GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/pr", "GITHUB_EVENT_NAME": "push",
		"INPUT_COMMAND": "plan", "INPUT_SOURCE": repo, "INPUT_SINCE": "master"}
	var log bytes.Buffer
	runner := &fakeRunner{gitOut: epoch, daggerOut: "plan\n"}
	app := New(
		WithAction(githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(&log))),
		WithRunner(runner), WithEnviron(func() []string { return nil }), WithStdout(io.Discard), WithStderr(io.Discard))
	if err := app.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := runner.dagger()
	if d == nil {
		t.Fatal("dagger did not run")
	}
	var file string
	for _, a := range d.args {
		if f, ok := strings.CutPrefix(a, "--changed="); ok {
			file = f
		}
	}
	if file == "" || slices.Index(d.args, "--changed="+file) > slices.Index(d.args, "plan") {
		t.Fatalf("dagger args %q: want --changed=FILE before the command", d.args)
	}
	if got := d.changed; got != "frontend/src/app.js\n" {
		t.Errorf("changed files = %q, want frontend/src/app.js", got)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the changed-files list %s is left behind after the run (%v)", file, err)
	}
	if !strings.Contains(log.String(), "1 files changed since master") {
		t.Errorf("no notice of the change selection in the log:\n%s", log.String())
	}

	// since on publish-all is refused: a publish covers every image.
	if _, err := readConfig(func(k string) string {
		return map[string]string{"command": "publish-all", "since": "master", "password": "x"}[k]
	}, "octocat"); err == nil || !strings.Contains(err.Error(), "input since applies to build-all, scan-all, plan and test, not publish-all") {
		t.Errorf("since with publish-all: %v", err)
	}
}
