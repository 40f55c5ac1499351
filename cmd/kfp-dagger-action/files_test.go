package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
)

// parseOutputs reads a GITHUB_OUTPUT file the way the runner does: name=value
// lines and name<<DELIM heredocs.
func parseOutputs(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("heredoc %s never ends", name)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, _ := strings.Cut(l, "=")
		out[name] = val
	}
	return out
}

// A value that holds go-githubactions' fixed delimiter and a forged output
// stays one value: the delimiter is random per write.
func TestOutputCannotForgeAnother(t *testing.T) {
	p := filepath.Join(t.TempDir(), "output")
	g := githubFiles{output: p}
	forged := "line\n_GitHubActionsFileCommandDelimeter_\nversion=6.6.6\nghadelimiter_\nversion<<EOF\n6.6.6\nEOF"
	if err := g.Output("report", forged); err != nil {
		t.Fatal(err)
	}
	if err := g.Output("version", "2.5.0"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	got := parseOutputs(t, string(data))
	if got["version"] != "2.5.0" || got["report"] != forged || len(got) != 2 {
		t.Errorf("outputs = %q, want report verbatim and version 2.5.0", got)
	}
	if err := g.Output("a\nb", "x"); err == nil {
		t.Error("an output name with a newline was written")
	}
}

// An unwritable GITHUB_OUTPUT or GITHUB_STEP_SUMMARY after a successful
// publish ends the step with one error line; nothing panics.
func TestUnwritableFilesAreOneErrorLine(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: a directory stands in for the unwritable file")
	}
	for _, which := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		t.Run(which, func(t *testing.T) {
			dir := t.TempDir()
			bad := filepath.Join(dir, "not-a-file")
			if err := os.Mkdir(bad, 0o755); err != nil { // opening a directory for append fails, even for root
				t.Fatal(err)
			}
			env := map[string]string{
				"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octocat", "GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/master",
				"GITHUB_EVENT_NAME": "push", "GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
				"INPUT_PASSWORD": password,
			}
			env[which] = bad
			runner := &fakeRunner{gitOut: epoch, daggerOut: publishReport}
			app := New(
				WithAction(githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }), githubactions.WithWriter(io.Discard))),
				WithRunner(runner), WithEnviron(func() []string { return nil }), WithStdout(io.Discard), WithStderr(io.Discard))
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("Run panicked: %v", r)
					}
				}()
				err = app.Run(context.Background())
			}()
			if err == nil || !strings.Contains(err.Error(), which) {
				t.Fatalf("error = %v, want one naming %s", err, which)
			}
			if line := oneLine(err.Error()); !strings.Contains(line, "is a directory") {
				t.Errorf("error line %q does not say why", line)
			}
		})
	}
}

// On GitLab and other CIs, single-line outputs go to a dotenv file and the
// report to a Markdown file.
func TestDotenvSink(t *testing.T) {
	dir := t.TempDir()
	d := dotenvFiles{output: filepath.Join(dir, "kfp.env"), summary: filepath.Join(dir, "report.md")}
	for name, v := range map[string]string{"version": "2.5.0", "digest-kfp-driver": "sha256:ab", "report": "## a\nb"} {
		if err := d.Output(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Summary("## report\n"); err != nil {
		t.Fatal(err)
	}
	env, _ := os.ReadFile(d.output)
	for _, want := range []string{"KFP_VERSION=2.5.0\n", "KFP_DIGEST_KFP_DRIVER=sha256:ab\n"} {
		if !bytes.Contains(env, []byte(want)) {
			t.Errorf("dotenv %q lacks %q", env, want)
		}
	}
	if bytes.Contains(env, []byte("REPORT")) {
		t.Errorf("dotenv holds a multi-line value: %q", env)
	}
}
