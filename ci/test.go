package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/fanout"
	"github.com/kfp-dagger/kfp-dagger/internal/junit"
	"github.com/kfp-dagger/kfp-dagger/internal/suites"
)

// Test runs KFP components' test suites in containers, as KFP's CI does, and
// returns a directory with a JUnit XML file per component, summary.md and
// summary.json; it fails, naming the failing tests, when a test fails.
func (m *Kfp) Test(
	ctx context.Context,
	// Component to test: backend, frontend, visualization-server, metadata-writer or all.
	// +optional
	// +default="all"
	component string,
	// How many components are tested at once.
	// +optional
	// +default=2
	concurrency int,
	// Return the results even when tests fail, for CI test reporters; check summary.json.
	// +optional
	ignoreFailures bool,
) (*dagger.Directory, error) {
	sel, err := suites.Select(component)
	if err != nil {
		return nil, err
	}
	var unchanged []string
	if m.SelectChanged {
		sel, unchanged = suites.OnlyChanged(sel, m.Changed)
	}
	if err := fanout.ValidateConcurrency(concurrency); err != nil {
		return nil, err
	}
	for _, s := range sel {
		ok, err := m.Source.Exists(ctx, s.Dir)
		if err != nil {
			return nil, fmt.Errorf("test %s: %w", s.Component, err)
		}
		if !ok {
			return nil, fmt.Errorf("test %s: the source has no %s/", s.Component, s.Dir)
		}
	}
	results := make([]junit.Summary, len(sel))
	reports := make([]string, len(sel))
	errs := fanout.Run(ctx, len(sel), concurrency, false, func(ctx context.Context, i int) error {
		start := time.Now()
		xml, err := m.runSuite(ctx, sel[i])
		if err != nil {
			return fmt.Errorf("test %s: %w", sel[i].Component, err)
		}
		s, err := junit.Summarize(sel[i].Component, []byte(xml))
		if err != nil {
			return err
		}
		s.Duration = time.Since(start)
		s.Seconds = s.Duration.Seconds()
		results[i], reports[i] = s, xml
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := dag.Directory()
	var md strings.Builder
	md.WriteString("| component | passed | failed | skipped | duration |\n| --- | --- | --- | --- | --- |\n")
	var failing []string
	for i, s := range results {
		out = out.WithNewFile(s.Component+".xml", reports[i])
		fmt.Fprintf(&md, "| %s | %d | %d | %d | %.1fs |\n", s.Component, s.Passed, s.Failed, s.Skipped, s.Seconds)
		if !s.OK() {
			failing = append(failing, s.String())
		}
	}
	js, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return nil, err
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(&md, "\nNot run, none of their inputs changed: %s\n", strings.Join(unchanged, ", "))
	}
	out = out.WithNewFile("summary.md", md.String()).WithNewFile("summary.json", string(js)+"\n")
	if len(failing) > 0 && !ignoreFailures {
		return nil, fmt.Errorf("tests failed: %s", strings.Join(failing, "; "))
	}
	return out, nil
}

// runSuite runs one suite in its container and returns its JUnit report.
func (m *Kfp) runSuite(ctx context.Context, s suites.Suite) (string, error) {
	switch s.Runner {
	case suites.GoTest:
		return m.goTest(ctx, s)
	case suites.NPM:
		return m.npmTest(ctx, s)
	case suites.Pytest:
		return m.pytest(ctx, s)
	}
	return "", fmt.Errorf("no runner %q", s.Runner)
}

// goTest checks go.mod and go.sum are tidy, then runs go test -json with the
// module and build caches in cache volumes.
func (m *Kfp) goTest(ctx context.Context, s suites.Suite) (string, error) {
	ctr := dag.Container().From("golang:1.26-bookworm").
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("kfp-go-mod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("kfp-go-build")).
		WithDirectory("/src", m.Source).
		WithWorkdir("/src")
	tidy := ctr.WithExec([]string{"sh", "-c",
		`cp go.mod /tmp/go.mod && cp go.sum /tmp/go.sum && go mod tidy && ` +
			`git diff --no-index --exit-code /tmp/go.mod go.mod && git diff --no-index --exit-code /tmp/go.sum go.sum`},
		dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := tidy.ExitCode(ctx)
	if err != nil {
		return "", oneLine(err)
	}
	if code != 0 {
		diff, _ := tidy.Stdout(ctx)
		return "", fmt.Errorf("go mod tidy changes go.mod or go.sum; run it and commit: %s", firstLines(diff, 6))
	}
	run := ctr.WithExec(append([]string{"go", "test", "-json", "-cover"}, s.Packages...),
		dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	stdout, err := run.Stdout(ctx)
	if err != nil {
		return "", oneLine(err)
	}
	suites, err := junit.FromGoTestJSON(strings.NewReader(stdout))
	if err != nil {
		return "", err
	}
	if len(suites.Suites) == 0 {
		stderr, _ := run.Stderr(ctx)
		return "", fmt.Errorf("go test ran no test: %s", firstLines(stderr, 6))
	}
	b, err := suites.Marshal()
	return string(b), err
}

// npmTest runs npm ci then npm run test:ci, with node's JUnit reporter added
// through NODE_OPTIONS and the npm cache in a cache volume.
func (m *Kfp) npmTest(ctx context.Context, s suites.Suite) (string, error) {
	nvmrc, err := m.readOptional(ctx, "frontend/.nvmrc")
	if err != nil {
		return "", err
	}
	node := strings.TrimPrefix(strings.TrimSpace(nvmrc), "v")
	if node == "" {
		return "", errors.New("frontend/.nvmrc is missing or empty: it names the Node.js version")
	}
	ctr := dag.Container().From("node:"+node+"-bookworm-slim").
		WithMountedCache("/root/.npm", dag.CacheVolume("kfp-npm")).
		WithDirectory("/src", m.Source.Directory(s.Dir), dagger.ContainerWithDirectoryOpts{Exclude: []string{"node_modules"}}).
		WithWorkdir("/src").
		WithEnvVariable("CI", "true").
		WithExec([]string{"npm", "ci", "--no-audit", "--no-fund"}).
		WithEnvVariable("NODE_OPTIONS", "--test-reporter=junit --test-reporter-destination=/tmp/junit.xml").
		WithExec([]string{"npm", "run", "test:ci"}, dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	return m.reportOrFailure(ctx, ctr, "/tmp/junit.xml")
}

// pytest runs pytest in the component folder with a JUnit report.
func (m *Kfp) pytest(ctx context.Context, s suites.Suite) (string, error) {
	ctr := dag.Container().From("python:3.11-slim-bookworm").
		WithDirectory("/src", m.Source.Directory(s.Dir), dagger.ContainerWithDirectoryOpts{Exclude: []string{"__pycache__", ".pytest_cache"}}).
		WithWorkdir("/src").
		WithEnvVariable("PYTHONDONTWRITEBYTECODE", "1").
		WithExec([]string{"python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=/tmp/junit.xml"},
			dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	return m.reportOrFailure(ctx, ctr, "/tmp/junit.xml")
}

// reportOrFailure returns the JUnit file the run wrote; a run that wrote none
// (it could not start its tests) fails with its output.
func (m *Kfp) reportOrFailure(ctx context.Context, ctr *dagger.Container, path string) (string, error) {
	if _, err := ctr.Sync(ctx); err != nil {
		return "", oneLine(err)
	}
	xml, err := ctr.File(path).Contents(ctx)
	if err == nil && strings.TrimSpace(xml) != "" {
		return xml, nil
	}
	code, _ := ctr.ExitCode(ctx)
	stdout, _ := ctr.Stdout(ctx)
	stderr, _ := ctr.Stderr(ctx)
	return "", fmt.Errorf("no test report (exit code %d): %s %s", code, firstLines(stderr, 6), firstLines(stdout, 6))
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(strings.Fields(strings.Join(lines, " | ")), " ")
}
