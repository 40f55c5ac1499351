package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/kfp-dagger/kfp-dagger/internal/changes"
)

// App runs one kfp command for one workflow step. Every outside effect goes
// through a seam set with an Option, so tests need neither Dagger nor GitHub.
type App struct {
	action     *githubactions.Action
	runner     Runner
	environ    func() []string
	stdout     io.Writer
	stderr     io.Writer
	resultsDir string
	secrets    []string
}

// Option configures an App.
type Option func(*App) *App

// WithAction sets the GitHub Actions wrapper that inputs, the event context,
// outputs, the step summary and log commands go through.
func WithAction(a *githubactions.Action) Option {
	return func(app *App) *App { app.action = a; return app }
}

// WithRunner sets the runner for dagger and git; the default is ExecRunner.
func WithRunner(r Runner) Option {
	return func(app *App) *App { app.runner = r; return app }
}

// WithEnviron sets the environment the children's environment is made
// from; the default is os.Environ.
func WithEnviron(f func() []string) Option {
	return func(app *App) *App { app.environ = f; return app }
}

// WithStdout sets where the dagger output is echoed; the default is os.Stdout.
func WithStdout(w io.Writer) Option {
	return func(app *App) *App { app.stdout = w; return app }
}

// WithStderr sets where the dagger progress goes; the default is os.Stderr.
func WithStderr(w io.Writer) Option {
	return func(app *App) *App { app.stderr = w; return app }
}

// WithResultsDir sets the folder `test` exports its results to; the default
// is test-results, relative to the working directory.
func WithResultsDir(dir string) Option {
	return func(app *App) *App { app.resultsDir = dir; return app }
}

// New returns an App with the given options applied over the defaults.
func New(opts ...Option) *App {
	app := &App{
		runner:     ExecRunner{},
		environ:    os.Environ,
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		resultsDir: "test-results",
	}
	for _, opt := range opts {
		if opt != nil {
			app = opt(app)
		}
	}
	if app.action == nil {
		app.action = githubactions.New()
	}
	return app
}

// Run reads the inputs and the event, runs the dagger call, and writes the
// report to the step summary and the outputs. The error is what the step
// fails with.
func (a *App) Run(ctx context.Context) error {
	// Mask the password before anything can print it.
	if pw := a.action.GetInput("password"); pw != "" {
		a.secrets = append(a.secrets, pw)
		for _, line := range strings.Split(pw, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				a.action.AddMask(line)
				if line != pw {
					a.secrets = append(a.secrets, line)
				}
			}
		}
	}
	gh, err := a.action.Context()
	if err != nil {
		return fmt.Errorf("read the GitHub context: %w", err)
	}
	cfg, err := readConfig(a.action.GetInput, gh.Actor)
	if err != nil {
		return err
	}
	for _, n := range cfg.Notices {
		a.action.Noticef("%s", n)
	}
	if !commitRE.MatchString(gh.SHA) {
		return fmt.Errorf("GITHUB_SHA %q is not a full commit id: run this in a GitHub Actions workflow step", gh.SHA)
	}
	v, err := resolveVersion(gh.Ref)
	switch {
	case cfg.Command == "publish-all" && err != nil:
		return err
	case cfg.Command == "publish-all" && v.Value == "":
		return fmt.Errorf("publish-all publishes only a push to refs/heads/master or a release tag refs/tags/X.Y.Z, not %q (event %s)", gh.Ref, orDefault(gh.EventName, "unknown"))
	case err != nil:
		a.action.Warningf("%v; %s runs without a version (the module's default, master)", err, cfg.Command)
		v = Version{}
	}
	if v.Notice != "" {
		a.action.Noticef("%s", v.Notice)
	}
	epoch, err := a.commitTime(ctx, cfg.Source)
	if err != nil {
		return err
	}

	changedFile, err := a.changedFiles(ctx, cfg)
	if err != nil {
		return err
	}
	args := daggerArgs(cfg, gh.SHA, v.Value, epoch, a.resultsDir, changedFile)
	a.action.Infof("dagger %s", strings.Join(args, " "))
	var out bytes.Buffer
	errTail := &tailBuffer{max: 64 << 10}
	runErr := a.runner.Run(ctx, "dagger", args, a.childEnv(cfg.Password),
		io.MultiWriter(&out, a.stdout), io.MultiWriter(errTail, a.stderr))
	if cfg.Command == "publish-all" {
		a.setOutput("version", v.Value)
	}
	if runErr != nil {
		report := a.failureReport(cfg.Command, out.String(), errTail.String())
		a.publish(report)
		detail := lastErrorLine(errTail.String())
		if detail != "" {
			return fmt.Errorf("dagger call %s failed (%v): %s", cfg.Command, runErr, detail)
		}
		return fmt.Errorf("dagger call %s failed: %v", cfg.Command, runErr)
	}

	var report string
	var stepErr error
	switch cfg.Command {
	case "test":
		report, stepErr = readTestResults(a.resultsDir)
		if report == "" {
			report = a.failureReport(cfg.Command, out.String(), errTail.String())
		}
	case "plan":
		report = "## kfp-dagger plan\n\n```text\n" + strings.TrimRight(out.String(), "\n") + "\n```\n"
	default:
		report = out.String()
	}
	a.publish(report)
	return stepErr
}

// changedFiles writes the files changed since cfg.Since (its merge base with
// HEAD, plus uncommitted changes) to a file for --changed, and returns its
// path; "" when no since input is set.
func (a *App) changedFiles(ctx context.Context, cfg Config) (string, error) {
	if cfg.Since == "" {
		return "", nil
	}
	c, err := changes.FromGit(ctx, cfg.Source, cfg.Since)
	if err != nil {
		return "", fmt.Errorf("input since: %w", err)
	}
	f, err := os.CreateTemp("", "kfp-dagger-changed-*.txt")
	if err != nil {
		return "", fmt.Errorf("write the changed files: %w", err)
	}
	_, err = f.WriteString(c.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write the changed files: %w", err)
	}
	a.action.Noticef("%d files changed since %s: %s selects only the images and tests they reach", c.Len(), cfg.Since, cfg.Command)
	return f.Name(), nil
}

// commitTime is the commit time of the checkout at source, in Unix seconds.
func (a *App) commitTime(ctx context.Context, source string) (int64, error) {
	var out, errOut bytes.Buffer
	err := a.runner.Run(ctx, "git", []string{"-C", source, "log", "-1", "--format=%ct"}, a.childEnv(""), &out, &errOut)
	if err != nil {
		return 0, fmt.Errorf("read the commit time of %s (git log -1 --format=%%ct): %v: %s", source, err, oneLine(errOut.String()))
	}
	t, err := strconv.ParseInt(strings.TrimSpace(out.String()), 10, 64)
	if err != nil || t < 0 {
		return 0, fmt.Errorf("read the commit time of %s: git log printed %q, want Unix seconds", source, strings.TrimSpace(out.String()))
	}
	return t, nil
}

// childEnv is the children's environment: this process's, without the
// password input, plus PasswordEnv when there is a password.
func (a *App) childEnv(password string) []string {
	var env []string
	for _, kv := range a.environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == passwordInput || name == PasswordEnv {
			continue
		}
		env = append(env, kv)
	}
	if password != "" {
		env = append(env, PasswordEnv+"="+password)
	}
	return env
}

// publish writes the report to the step summary and the report output.
func (a *App) publish(report string) {
	report = a.redact(report)
	if a.action.Getenv("GITHUB_STEP_SUMMARY") != "" {
		a.action.AddStepSummary(report)
	}
	a.setOutput("report", report)
}

func (a *App) setOutput(name, value string) {
	if a.action.Getenv("GITHUB_OUTPUT") == "" {
		return // not in a workflow step: nowhere to write outputs
	}
	a.action.SetOutput(name, a.redact(value))
}

// failureReport is the summary of a failed call: the report when there is
// one, and the end of dagger's output.
func (a *App) failureReport(command, stdout, stderr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## kfp-dagger %s failed\n\n", command)
	if s := strings.TrimSpace(stdout); s != "" {
		b.WriteString(s + "\n\n")
	}
	if tail := lastLines(stderr, 40); tail != "" {
		b.WriteString("<details><summary>end of the dagger output</summary>\n\n```text\n" + tail + "\n```\n\n</details>\n")
	}
	return a.redact(b.String())
}

// redact replaces the password wherever it appears.
func (a *App) redact(s string) string {
	for _, sec := range a.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// oneLine joins the lines of s into one, for a ::error:: command.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// lastErrorLine is the last line of dagger's output that reports an error,
// or else its last line.
func lastErrorLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "Error:") || strings.HasPrefix(l, "! ") {
			return oneLine(l)
		}
	}
	return oneLine(lines[len(lines)-1])
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
