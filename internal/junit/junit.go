package junit

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Suites is the root element of a JUnit report.
type Suites struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []Suite  `xml:"testsuite"`
	Cases   []Case   `xml:"testcase"` // node's runner puts top-level tests here
}

// Suite is one test suite: a Go package, a pytest session, a node test file.
type Suite struct {
	Name     string  `xml:"name,attr"`
	Tests    int     `xml:"tests,attr"`
	Failures int     `xml:"failures,attr"`
	Errors   int     `xml:"errors,attr"`
	Skipped  int     `xml:"skipped,attr"`
	Time     float64 `xml:"time,attr"`
	Cases    []Case  `xml:"testcase"`
	Suites   []Suite `xml:"testsuite"` // node nests suites
}

// Case is one test.
type Case struct {
	Classname string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	Time      float64  `xml:"time,attr"`
	Failure   *Problem `xml:"failure,omitempty"`
	Error     *Problem `xml:"error,omitempty"`
	Skipped   *Problem `xml:"skipped,omitempty"`
}

// Problem is a failure, error or skip with its message.
type Problem struct {
	Message string `xml:"message,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Summary counts the tests of one component.
type Summary struct {
	Component   string        `json:"component"`
	Passed      int           `json:"passed"`
	Failed      int           `json:"failed"`
	Skipped     int           `json:"skipped"`
	Duration    time.Duration `json:"-"`
	Seconds     float64       `json:"duration_seconds"`
	FailedTests []string      `json:"failed_tests"`
}

// OK reports whether no test failed.
func (s Summary) OK() bool { return s.Failed == 0 }

// String is the one-line form: "backend: 12 passed, 1 failed, 0 skipped in 3.2s".
func (s Summary) String() string {
	line := fmt.Sprintf("%s: %d passed, %d failed, %d skipped in %s", s.Component, s.Passed, s.Failed, s.Skipped, s.Duration.Round(100*time.Millisecond))
	if len(s.FailedTests) > 0 {
		line += " (failing: " + strings.Join(s.FailedTests, ", ") + ")"
	}
	return line
}

// Summarize counts the cases of a JUnit report, failures and errors alike as failed.
func Summarize(component string, report []byte) (Summary, error) {
	var all []Suite
	var root Suites
	if err := xml.Unmarshal(report, &root); err == nil && root.XMLName.Local == "testsuites" {
		all = append(root.Suites, Suite{Cases: root.Cases})
	} else {
		var one Suite
		if err := xml.Unmarshal(report, &one); err != nil {
			return Summary{}, fmt.Errorf("parse %s JUnit report: %w", component, err)
		}
		all = []Suite{one}
	}
	s := Summary{Component: component, FailedTests: []string{}}
	var walk func([]Suite)
	walk = func(suites []Suite) {
		for _, su := range suites {
			for _, c := range su.Cases {
				switch {
				case c.Failure != nil || c.Error != nil:
					s.Failed++
					s.FailedTests = append(s.FailedTests, caseName(c))
				case c.Skipped != nil:
					s.Skipped++
				default:
					s.Passed++
				}
			}
			walk(su.Suites)
		}
	}
	walk(all)
	return s, nil
}

func caseName(c Case) string {
	if c.Classname == "" {
		return c.Name
	}
	return c.Classname + "." + c.Name
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

// FromGoTestJSON converts `go test -json` output into a JUnit report, one
// suite per package. A package that fails without a failing test (a build
// error, a panic in init) becomes a failing case named after the package.
func FromGoTestJSON(r io.Reader) (Suites, error) {
	type pkgState struct {
		suite   Suite
		output  map[string]*strings.Builder
		failed  bool
		results map[string]bool
	}
	pkgs := map[string]*pkgState{}
	get := func(p string) *pkgState {
		if s, ok := pkgs[p]; ok {
			return s
		}
		s := &pkgState{suite: Suite{Name: p}, output: map[string]*strings.Builder{}, results: map[string]bool{}}
		pkgs[p] = s
		return s
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue // build output that is not JSON
		}
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			return Suites{}, fmt.Errorf("parse go test -json line %q: %w", line, err)
		}
		if ev.Package == "" {
			continue
		}
		p := get(ev.Package)
		b, ok := p.output[ev.Test]
		if !ok {
			b = &strings.Builder{}
			p.output[ev.Test] = b
		}
		switch ev.Action {
		case "output":
			b.WriteString(ev.Output)
		case "pass", "fail", "skip":
			if ev.Test == "" {
				p.suite.Time = ev.Elapsed
				p.failed = ev.Action == "fail"
				continue
			}
			c := Case{Classname: ev.Package, Name: ev.Test, Time: ev.Elapsed}
			switch ev.Action {
			case "fail":
				c.Failure = &Problem{Message: "failed", Text: b.String()}
				p.results[ev.Test] = true
			case "skip":
				c.Skipped = &Problem{Message: "skipped", Text: b.String()}
			}
			p.suite.Cases = append(p.suite.Cases, c)
		}
	}
	if err := sc.Err(); err != nil {
		return Suites{}, fmt.Errorf("read go test -json output: %w", err)
	}
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out Suites
	for _, n := range names {
		p := pkgs[n]
		if p.failed && len(p.results) == 0 {
			text := ""
			if b, ok := p.output[""]; ok {
				text = b.String()
			}
			p.suite.Cases = append(p.suite.Cases, Case{Classname: n, Name: "package", Failure: &Problem{Message: "package failed", Text: text}})
		}
		if len(p.suite.Cases) == 0 {
			continue // no test files
		}
		for _, c := range p.suite.Cases {
			p.suite.Tests++
			switch {
			case c.Failure != nil:
				p.suite.Failures++
			case c.Skipped != nil:
				p.suite.Skipped++
			}
		}
		out.Suites = append(out.Suites, p.suite)
	}
	return out, nil
}

// Marshal writes the report as indented JUnit XML.
func (s Suites) Marshal() ([]byte, error) {
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
