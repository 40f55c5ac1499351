package junit

import (
	"reflect"
	"strings"
	"testing"
)

const goJSON = `{"Action":"start","Package":"example.com/a"}
{"Action":"run","Package":"example.com/a","Test":"TestOK"}
{"Action":"output","Package":"example.com/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"example.com/a","Test":"TestOK","Elapsed":0.01}
{"Action":"run","Package":"example.com/a","Test":"TestBad"}
{"Action":"output","Package":"example.com/a","Test":"TestBad","Output":"    a_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"example.com/a","Test":"TestBad","Elapsed":0.02}
{"Action":"run","Package":"example.com/a","Test":"TestLater"}
{"Action":"skip","Package":"example.com/a","Test":"TestLater","Elapsed":0}
{"Action":"fail","Package":"example.com/a","Elapsed":0.5}
# example.com/b
{"Action":"output","Package":"example.com/b","Output":"b.go:3:1: syntax error\n"}
{"Action":"fail","Package":"example.com/b","Elapsed":0}
{"Action":"output","Package":"example.com/c","Output":"?   \texample.com/c\t[no test files]\n"}
{"Action":"skip","Package":"example.com/c","Elapsed":0}
`

func TestFromGoTestJSONRoundTrip(t *testing.T) {
	suites, err := FromGoTestJSON(strings.NewReader(goJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(suites.Suites) != 2 {
		t.Fatalf("got %d suites, want 2 (a and b; c has no tests): %+v", len(suites.Suites), suites.Suites)
	}
	a := suites.Suites[0]
	if a.Name != "example.com/a" || a.Tests != 3 || a.Failures != 1 || a.Skipped != 1 || a.Time != 0.5 {
		t.Errorf("suite a = %+v", a)
	}
	if !strings.Contains(a.Cases[1].Failure.Text, "got 1, want 2") {
		t.Errorf("failure text %q lacks the test's output", a.Cases[1].Failure.Text)
	}
	xml, err := suites.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize("backend", xml)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com/a.TestBad", "example.com/b.package"}
	if s.Passed != 1 || s.Failed != 2 || s.Skipped != 1 || !reflect.DeepEqual(s.FailedTests, want) || s.OK() {
		t.Errorf("Summarize = %+v, want 1 passed, 2 failed %v, 1 skipped", s, want)
	}
}

func TestSummarizeForeignReports(t *testing.T) {
	pytest := `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="3" time="0.1">
<testcase classname="test_exporter" name="test_ok" time="0.01"/>
<testcase classname="test_exporter" name="test_table_escapes_html" time="0.01"><failure message="assert">trace</failure></testcase>
<testcase classname="test_server" name="test_skip" time="0"><skipped message="later"/></testcase>
</testsuite></testsuites>`
	node := `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
	<testsuite name="build" tests="2" failures="0" skipped="0" time="0.2">
		<testcase name="writes build info" time="0.1" classname="test"/>
		<testsuite name="nested"><testcase name="inner" time="0.1" classname="test"/></testsuite>
	</testsuite>
	<testcase name="top level" time="0.1" classname="test"/>
</testsuites>`
	s, err := Summarize("visualization-server", []byte(pytest))
	if err != nil {
		t.Fatal(err)
	}
	if s.Passed != 1 || s.Failed != 1 || s.Skipped != 1 || s.FailedTests[0] != "test_exporter.test_table_escapes_html" {
		t.Errorf("pytest summary = %+v", s)
	}
	s, err = Summarize("frontend", []byte(node))
	if err != nil {
		t.Fatal(err)
	}
	if s.Passed != 3 || s.Failed != 0 || !s.OK() {
		t.Errorf("node summary = %+v, want 3 passed: nested suites and top-level cases count", s)
	}
	if _, err := Summarize("x", []byte("not xml")); err == nil {
		t.Error("Summarize(garbage) succeeded")
	}
	if got := (Summary{Component: "backend", Passed: 2, Failed: 1, FailedTests: []string{"p.TestX"}}).String(); got != "backend: 2 passed, 1 failed, 0 skipped in 0s (failing: p.TestX)" {
		t.Errorf("String() = %q", got)
	}
}
