package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/junit"
	"github.com/kfp-dagger/kfp-dagger/internal/suites"
	"github.com/kfp-dagger/kfp-dagger/internal/vulnscan"
)

// TestSummary is one component's entry in the summary.json that `kfp test`
// exports.
type TestSummary struct {
	Component   string   `json:"component"`
	Passed      int      `json:"passed"`
	Failed      int      `json:"failed"`
	Skipped     int      `json:"skipped"`
	Seconds     float64  `json:"duration_seconds"`
	FailedTests []string `json:"failed_tests"`
}

// readTestResults reads summary.json from dir and renders the Markdown
// report. It returns an error naming the failing tests when any failed.
func readTestResults(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return "", fmt.Errorf("read the test results: %w", err)
	}
	var sums []TestSummary
	if err := json.Unmarshal(b, &sums); err != nil {
		return "", fmt.Errorf("read the test results: %s: %w", filepath.Join(dir, "summary.json"), err)
	}
	if len(sums) == 0 {
		return "", fmt.Errorf("read the test results: %s lists no component", filepath.Join(dir, "summary.json"))
	}
	var md strings.Builder
	md.WriteString("## kfp-dagger test\n\n| component | passed | failed | skipped | duration |\n| --- | --- | --- | --- | --- |\n")
	var failing []string
	for _, s := range sums {
		fmt.Fprintf(&md, "| %s | %d | %d | %d | %.1fs |\n", s.Component, s.Passed, s.Failed, s.Skipped, s.Seconds)
		if s.Failed > 0 || len(s.FailedTests) > 0 {
			line := fmt.Sprintf("%s: %d failed", s.Component, max(s.Failed, len(s.FailedTests)))
			if len(s.FailedTests) > 0 {
				line += " (" + strings.Join(s.FailedTests, ", ") + ")"
			}
			failing = append(failing, line)
		}
	}
	if len(failing) == 0 {
		return md.String(), nil
	}
	md.WriteString("\n**Failing tests**\n\n")
	for _, f := range failing {
		md.WriteString("- " + f + "\n")
	}
	return md.String(), errors.New("tests failed: " + strings.Join(failing, "; "))
}

// failingTest is one failed test of one component.
type failingTest struct{ component, test string }

// failingTests lists the failed tests summary.json in dir names, for
// annotations; a component that failed without naming a test is listed once
// with the test "(unnamed)". Unreadable results list nothing: readTestResults
// reports those.
func failingTests(dir string) []failingTest {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil
	}
	var sums []TestSummary
	if json.Unmarshal(b, &sums) != nil {
		return nil
	}
	var out []failingTest
	for _, s := range sums {
		for _, t := range s.FailedTests {
			out = append(out, failingTest{s.Component, t})
		}
		if s.Failed > 0 && len(s.FailedTests) == 0 {
			out = append(out, failingTest{s.Component, "(unnamed)"})
		}
	}
	return out
}

// annotation is one error annotation: at a file (and line, else 1) when
// File is set.
type annotation struct {
	File, Line, Title, Message string
}

// scanAnnotations reads the summary.json scan-all exported to dir and
// returns one annotation per image and platform that did not pass, at the
// image's Dockerfile (under source, as the workflow's checkout has it).
func scanAnnotations(dir, source string) ([]annotation, error) {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, fmt.Errorf("read the scan results: %w", err)
	}
	var sum vulnscan.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, fmt.Errorf("read the scan results: %s: %w", filepath.Join(dir, "summary.json"), err)
	}
	var out []annotation
	for _, r := range sum.Results {
		if r.Status == vulnscan.Passed {
			continue
		}
		a := annotation{Title: fmt.Sprintf("kfp-dagger scan %s %s", r.Image, r.Platform)}
		if img, err := catalog.Builtin().Lookup(r.Image); err == nil {
			a.File = path.Join(filepath.ToSlash(source), img.Dockerfile)
		}
		if r.Status != vulnscan.Blocked {
			a.Message = fmt.Sprintf("not scanned: %s", r.Reason)
			out = append(out, a)
			continue
		}
		var ids []string
		for i, f := range r.Findings {
			if i == 5 {
				ids = append(ids, fmt.Sprintf("and %d more", len(r.Findings)-5))
				break
			}
			fix := "no fix yet"
			if f.Fixed != "" {
				fix = "fixed in " + f.Fixed
			}
			ids = append(ids, fmt.Sprintf("%s %s %s %s (%s)", f.ID, f.Severity, f.Package, f.Installed, fix))
		}
		a.Message = fmt.Sprintf("%d findings at or above %s: %s", len(r.Findings), r.Threshold, strings.Join(ids, "; "))
		out = append(out, a)
	}
	return out, nil
}

// locationRE finds where a test failed in its output: a Go, Python or
// JavaScript file and line, e.g. "server_test.go:42:" or "tests/test_x.py:12:".
var locationRE = regexp.MustCompile(`(?m)(?:^|\s)([\w./-]+\.(?:go|py|js|mjs|ts)):(\d+)(?::|\s|$)`)

// testAnnotations reads the JUnit reports test exported to dir (one
// COMPONENT.xml per suite) and returns one annotation per failed test, at
// the file and line its output names when it names one: a Go file is in the
// package's directory (the case's classname under the module path of the
// source's go.mod), any other is relative to the suite's directory.
func testAnnotations(dir, source string) []annotation {
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	module := goModulePath(filepath.Join(source, "go.mod"))
	var out []annotation
	for _, f := range files {
		component := strings.TrimSuffix(filepath.Base(f), ".xml")
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var s junit.Suites
		if xml.Unmarshal(data, &s) != nil {
			continue
		}
		suiteDir := ""
		if sel, err := suites.Select(component); err == nil && len(sel) == 1 {
			suiteDir = sel[0].Dir
		}
		var walk func(cases []junit.Case, nested []junit.Suite)
		walk = func(cases []junit.Case, nested []junit.Suite) {
			for _, c := range cases {
				p := c.Failure
				if p == nil {
					p = c.Error
				}
				if p == nil {
					continue
				}
				msg := p.Message // pytest and node say what failed here; go test says "failed"
				if msg == "" || msg == "failed" || msg == "package failed" {
					msg = firstLine(orDefault(msg, "failed"), p.Text)
				}
				a := annotation{Title: "kfp-dagger test " + component + ": " + c.Name, Message: msg}
				if m := locationRE.FindStringSubmatch(p.Text); m != nil {
					rel := path.Join(suiteDir, m[1])
					if strings.HasSuffix(m[1], ".go") && module != "" && strings.HasPrefix(c.Classname, module) {
						rel = path.Join(strings.TrimPrefix(strings.TrimPrefix(c.Classname, module), "/"), path.Base(m[1]))
					}
					a.File, a.Line = path.Join(filepath.ToSlash(source), rel), m[2]
				}
				out = append(out, a)
			}
			for _, n := range nested {
				walk(n.Cases, n.Suites)
			}
		}
		walk(s.Cases, s.Suites)
	}
	return out
}

// firstLine is the first line of a test's output that is not go test's
// own === or --- line, or else message.
func firstLine(message, text string) string {
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- ") {
			if len(l) > 300 {
				l = l[:300] + "…"
			}
			return l
		}
	}
	return message
}

// goModulePath is the module path a go.mod declares, or "".
func goModulePath(p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	return ""
}
