package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/kfp-dagger/kfp-dagger/internal/changes"
	"github.com/kfp-dagger/kfp-dagger/internal/report"
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
	ci         ci
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

// ci is the CI the run is in and how to talk to it.
type ci struct {
	event Event
	// input reads an input: INPUT_<NAME> on GitHub, KFP_<NAME> elsewhere.
	input func(string) string
	sink  Sink
	// github is set on GitHub Actions, where log commands work.
	github bool
}

// detect finds the CI from the environment: GitLab (GITLAB_CI=true), any
// other CI that sets KFP_CI_EVENT, or else GitHub Actions.
func (a *App) detect() (ci, error) {
	getenv := a.action.Getenv
	fromVars := func(name string) string {
		return getenv("KFP_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")))
	}
	files := dotenvFiles{output: getenv("KFP_OUTPUT_FILE"), summary: getenv("KFP_SUMMARY_FILE")}
	switch {
	case getenv("GITLAB_CI") == "true":
		ev, err := fromGitLab(getenv)
		return ci{event: ev, input: fromVars, sink: files}, err
	case getenv("KFP_CI_EVENT") != "":
		ev, err := fromShell(getenv)
		return ci{event: ev, input: fromVars, sink: files}, err
	}
	gh, err := a.action.Context()
	if err != nil {
		return ci{}, fmt.Errorf("read the GitHub context: %w", err)
	}
	return ci{event: fromGitHub(gh), input: a.action.GetInput, github: true,
		sink: githubFiles{output: getenv("GITHUB_OUTPUT"), summary: getenv("GITHUB_STEP_SUMMARY")}}, nil
}

// Run reads the event and the inputs, decides the dagger calls, runs them,
// and writes the report to the summary and the outputs. The error is what
// the step fails with.
func (a *App) Run(ctx context.Context) error {
	c, err := a.detect()
	a.ci = c // Fail prints for this CI even when its event is bad
	if err != nil {
		return err
	}
	// Mask the secrets before anything can print them: each whole, and
	// each line of one (a PEM key) on its own.
	for _, si := range secretInputs {
		sec := c.input(si.Input)
		if sec == "" {
			continue
		}
		a.secrets = append(a.secrets, sec)
		for _, line := range strings.Split(sec, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "-----") {
				if c.github {
					a.action.AddMask(line)
				}
				if line != sec {
					a.secrets = append(a.secrets, line)
				}
			}
		}
	}
	cfg, err := readConfig(c.input, c.event.Actor)
	if err != nil {
		return err
	}
	for _, n := range cfg.Notices {
		a.notice("%s", n)
	}
	if !commitRE.MatchString(c.event.SHA) {
		return fmt.Errorf("commit %q of the %s is not a full commit id: run this in a CI job", c.event.SHA, c.event.describe())
	}
	steps, err := decide(c.event, cfg)
	if err != nil {
		return err
	}
	for _, s := range steps {
		if slices.Contains(publishing, s.Command) && (cfg.Username == "" || cfg.Password == "") {
			return fmt.Errorf("the %s runs %s, which needs registry credentials: set the username and password inputs", c.event.describe(), s.Command)
		}
		if s.Notice != "" {
			a.notice("%s", s.Notice)
		}
	}
	epoch, err := a.commitTime(ctx, cfg.Source)
	if err != nil {
		return err
	}

	var reports []string
	var errs []error
	digests := map[string]string{}
	for _, s := range steps {
		rep, err := a.runStep(ctx, cfg, s, epoch, digests)
		if rep != "" {
			reports = append(reports, rep)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	failed := len(errs) > 0
	report := a.redact(strings.Join(reports, "\n"))
	if report != "" {
		errs = append(errs, c.sink.Summary(report))
	}
	errs = append(errs, a.setOutput("report", report))
	for _, s := range steps {
		if slices.Contains(publishing, s.Command) {
			errs = append(errs, a.setOutput("version", s.Version))
			if !failed && !cfg.DryRun { // the tags moved
				ts, err := stepTags(s, c.event.SHA, len(cfg.Records) > 0)
				errs = append(errs, err, a.setOutput("tags", strings.Join(ts, ",")))
			}
			break
		}
	}
	if len(digests) > 0 {
		js, err := json.Marshal(digests)
		errs = append(errs, err, a.setOutput("digests", string(js)))
		// subjects feeds a matrix of attestation jobs: one per index.
		type subject struct {
			Name   string `json:"name"`
			Digest string `json:"digest"`
		}
		var subjects []subject
		for _, img := range slices.Sorted(maps.Keys(digests)) {
			errs = append(errs, a.setOutput("digest-"+img, digests[img]))
			subjects = append(subjects, subject{strings.TrimSuffix(cfg.Registry, "/") + "/" + img, digests[img]})
		}
		js, err = json.Marshal(subjects)
		errs = append(errs, err, a.setOutput("subjects", string(js)))
	}
	return errors.Join(errs...)
}

// runStep runs one dagger call and returns its Markdown report. Index
// digests it reports are added to digests.
func (a *App) runStep(ctx context.Context, cfg Config, s Step, epoch int64, digests map[string]string) (string, error) {
	changedFile, err := a.changedFiles(ctx, cfg, s)
	if err != nil {
		return "", err
	}
	if changedFile != "" {
		defer os.Remove(changedFile) // a temporary list, for this call only
	}
	args := daggerArgs(cfg, s, a.ci.event.SHA, epoch, a.resultsDir, changedFile)
	if cfg.DryRun {
		fmt.Fprintln(a.stdout, "dagger "+strings.Join(args, " "))
		return "", nil
	}
	a.group("kfp-dagger " + s.Command)
	grouped := true
	endGroup := func() {
		if grouped {
			a.endGroup()
			grouped = false
		}
	}
	defer endGroup()
	// imageGroups ends the call's group, then gives each image of rep a
	// group of its own (GitHub does not nest groups).
	imageGroups := func(rep report.Report) {
		endGroup()
		a.imageGroups(s.Command, rep)
	}
	a.info("dagger %s", strings.Join(args, " "))
	var out bytes.Buffer
	errTail := &tailBuffer{max: 256 << 10}
	runErr := a.runner.Run(ctx, "dagger", args, a.childEnv(cfg),
		io.MultiWriter(&out, a.stdout), io.MultiWriter(errTail, a.stderr))
	if runErr != nil {
		// publish-all, build-all and promote print their report after the
		// error line.
		if rep, ok := reportAfterError(errTail.String()); ok {
			addDigests(digests, rep)
			imageGroups(rep)
			return a.redact(rep.Markdown()), a.stepError(s.Command, runErr, errTail.String())
		}
		return a.failureReport(s.Command, out.String(), errTail.String()), a.stepError(s.Command, runErr, errTail.String())
	}
	switch s.Command {
	case "test":
		rep, err := readTestResults(a.resultsDir)
		if rep == "" {
			rep = a.failureReport(s.Command, out.String(), errTail.String())
		}
		// At the failing line when the JUnit reports say where; else one
		// per test summary.json names.
		notes := testAnnotations(a.resultsDir, cfg.Source)
		if len(notes) == 0 {
			for _, f := range failingTests(a.resultsDir) {
				notes = append(notes, annotation{Title: "kfp-dagger test " + f.component, Message: f.test + " failed"})
			}
		}
		for _, n := range notes {
			a.annotate(n)
		}
		return rep, err
	case "build-all", "publish-all", "promote":
		var rep report.Report
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			return a.failureReport(s.Command, out.String(), errTail.String()), fmt.Errorf("%s printed no JSON report: %w", s.Command, err)
		}
		if s.Command != "build-all" {
			addDigests(digests, rep)
		}
		imageGroups(rep)
		return rep.Markdown(), nil
	case "scan-all":
		md, err := os.ReadFile(filepath.Join(cfg.ScanDir, "summary.md"))
		if err != nil {
			return "", fmt.Errorf("scan-all: read the summary: %w", err)
		}
		notes, err := scanAnnotations(cfg.ScanDir, cfg.Source)
		if err != nil {
			return "", fmt.Errorf("scan-all: %w", err)
		}
		for _, n := range notes {
			a.annotate(n)
		}
		return "## kfp-dagger scan-all\n\n" + string(md), nil
	case "stage":
		md, err := os.ReadFile(filepath.Join(cfg.RecordsDir, "summary.md"))
		if err != nil {
			return "", fmt.Errorf("stage: read the stage report: %w", err)
		}
		if err := a.setOutput("records", filepath.Join(cfg.RecordsDir, "records.json")); err != nil {
			return "", err
		}
		return "## kfp-dagger stage\n\n" + string(md), nil
	}
	return "## kfp-dagger " + s.Command + "\n\n```text\n" + strings.TrimRight(out.String(), "\n") + "\n```\n", nil
}

// stepError is the one line a failed dagger call ends the step with.
func (a *App) stepError(command string, runErr error, stderr string) error {
	if detail := lastErrorLine(stderr); detail != "" {
		return fmt.Errorf("dagger call %s failed (%v): %s", command, runErr, detail)
	}
	return fmt.Errorf("dagger call %s failed: %w", command, runErr)
}

// reportAfterError finds the JSON report a failed publish-all or build-all
// prints after dagger's "Error: " line.
func reportAfterError(stderr string) (report.Report, bool) {
	i := strings.LastIndex(stderr, "\nError: ")
	if i < 0 {
		return report.Report{}, false
	}
	rest := stderr[i:]
	start, end := strings.Index(rest, "\n{"), strings.LastIndex(rest, "\n}")
	if start < 0 || end < start {
		return report.Report{}, false
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(rest[start+1:end+2]), &rep); err != nil || len(rep.Results) == 0 {
		return report.Report{}, false
	}
	return rep, true
}

// addDigests adds the index digest of every published image of rep.
func addDigests(digests map[string]string, rep report.Report) {
	for _, r := range rep.Results {
		if r.Status == report.StatusPublished && r.Digest != "" {
			digests[r.Image] = r.Digest
		}
	}
}

// changedFiles writes the files changed since s.Since (its merge base with
// HEAD, plus uncommitted changes) to a file for --changed, and returns its
// path; "" when the step has no since.
func (a *App) changedFiles(ctx context.Context, cfg Config, s Step) (string, error) {
	if s.Since == "" {
		return "", nil
	}
	c, err := changes.FromGit(ctx, cfg.Source, s.Since)
	if err != nil {
		return "", fmt.Errorf("since %s: %w", s.Since, err)
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
	a.notice("%d files changed since %s: %s selects only the images and tests they reach", c.Len(), s.Since, s.Command)
	return f.Name(), nil
}

// commitTime is the commit time of the checkout at source, in Unix seconds.
func (a *App) commitTime(ctx context.Context, source string) (int64, error) {
	var out, errOut bytes.Buffer
	err := a.runner.Run(ctx, "git", []string{"-C", source, "log", "-1", "--format=%ct"}, a.childEnv(Config{}), &out, &errOut)
	if err != nil {
		return 0, fmt.Errorf("read the commit time of %s (git log -1 --format=%%ct): %v: %s", source, err, oneLine(errOut.String()))
	}
	t, err := strconv.ParseInt(strings.TrimSpace(out.String()), 10, 64)
	if err != nil || t < 0 {
		return 0, fmt.Errorf("read the commit time of %s: git log printed %q, want Unix seconds", source, strings.TrimSpace(out.String()))
	}
	return t, nil
}

// childEnv is the children's environment: this process's without any
// secret input, plus the variable each secret that is set reaches dagger
// through (PasswordEnv, SigningKeyEnv, SigningKeyPasswordEnv).
func (a *App) childEnv(cfg Config) []string {
	drop := map[string]bool{}
	for _, si := range secretInputs {
		drop[si.Env] = true
		for _, v := range inputVars(si.Input) {
			drop[v] = true
		}
	}
	var env []string
	for _, kv := range a.environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			env = append(env, kv)
		}
	}
	for _, kv := range [][2]string{{PasswordEnv, cfg.Password}, {SigningKeyEnv, cfg.SigningKey}, {SigningKeyPasswordEnv, cfg.SigningKeyPassword}} {
		if kv[1] != "" {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	return env
}

// Fail prints err as the one line the run fails with, redacted: an error
// annotation on GitHub, a plain line on stderr elsewhere.
func (a *App) Fail(err error) {
	line := a.redact(oneLine(err.Error()))
	if a.ci.github || a.ci.input == nil { // GitHub, or failed before the CI was known
		a.action.Errorf("%s", line)
		return
	}
	fmt.Fprintf(a.stderr, "kfp-dagger: error: %s\n", line)
}

// setOutput writes one output, redacted.
func (a *App) setOutput(name, value string) error {
	return a.ci.sink.Output(name, a.redact(value))
}

// notice, info, errorf, group and endGroup log through GitHub's workflow
// commands on GitHub, and as plain lines on stderr elsewhere.
func (a *App) notice(format string, v ...any) {
	if a.ci.github {
		a.action.Noticef(format, v...)
		return
	}
	fmt.Fprintf(a.stderr, "kfp-dagger: "+format+"\n", v...)
}

func (a *App) info(format string, v ...any) {
	if a.ci.github {
		a.action.Infof(format, v...)
		return
	}
	fmt.Fprintf(a.stderr, format+"\n", v...)
}

// annotate reports an error annotation: on GitHub at its file (line 1,
// which GitHub needs to place it), elsewhere as a plain line.
func (a *App) annotate(n annotation) {
	if a.ci.github {
		fields := map[string]string{"title": n.Title}
		if n.File != "" {
			fields["file"], fields["line"] = n.File, orDefault(n.Line, "1")
		}
		a.action.WithFieldsMap(fields).Errorf("%s", n.Message)
		return
	}
	where := ""
	if n.File != "" {
		where = n.File + ":" + orDefault(n.Line, "1") + ": "
	}
	fmt.Fprintf(a.stderr, "kfp-dagger: error: %s%s: %s\n", where, n.Title, n.Message)
}

func (a *App) group(title string) {
	if a.ci.github {
		a.action.Group(title)
		return
	}
	fmt.Fprintf(a.stderr, "--- %s\n", title)
}

// imageGroups writes one log group per image of rep, titled with the
// image and its outcome: platforms, index digest, the references its tags
// hold, and the error.
func (a *App) imageGroups(command string, rep report.Report) {
	for _, r := range rep.Results {
		a.group(fmt.Sprintf("kfp-dagger %s %s: %s", command, r.Image, r.Status))
		a.info("platforms: %s", strings.Join(r.Platforms, ", "))
		if r.Digest != "" {
			a.info("index: %s", r.Digest)
		}
		for _, ref := range r.References {
			a.info("%s", ref)
		}
		if len(r.StagedBefore) > 0 {
			a.info("kept as staged by an earlier run: %s", strings.Join(r.StagedBefore, ", "))
		}
		if r.Evidence != "" {
			a.info("evidence: %s", r.Evidence)
		}
		if r.Error != "" {
			a.info("error: %s", a.redact(r.Error))
		}
		a.endGroup()
	}
}

func (a *App) endGroup() {
	if a.ci.github {
		a.action.EndGroup()
	}
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
