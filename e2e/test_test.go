package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfp-dagger/kfp-dagger/internal/junit"
)

// TestTestAllComponentsPass runs every component's tests on the sample tree
// and parses the exported JUnit files.
func TestTestAllComponentsPass(t *testing.T) {
	e := requireEnv(t)
	dir := t.TempDir()
	e.dagger(t, "test", "--component=all", "export", "--path="+dir).mustSucceed(t)
	for _, c := range []string{"backend", "frontend", "visualization-server", "metadata-writer"} {
		b, err := os.ReadFile(filepath.Join(dir, c+".xml"))
		if err != nil {
			t.Fatalf("no JUnit file for %s: %v", c, err)
		}
		s, err := junit.Summarize(c, b)
		if err != nil {
			t.Fatal(err)
		}
		if s.Passed == 0 || !s.OK() {
			t.Errorf("%s: %s", c, s)
		}
		t.Logf("e2e: %s", s)
	}
	summary, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !strings.Contains(string(summary), `"component": "metadata-writer"`) {
		t.Errorf("summary.json missing or incomplete: %v\n%s", err, summary)
	}
}

// TestTestFailingSampleNamesTheTest runs the suites of a sample with one
// failing Go test and one failing pytest test.
func TestTestFailingSampleNamesTheTest(t *testing.T) {
	e := requireEnv(t)
	src := "--source=" + filepath.Join(e.repoRoot, "testdata", "failing-sample")
	for component, failing := range map[string]string{
		"backend":              "TestParseScheduleRejectsEmpty",
		"visualization-server": "test_table_escapes_html",
	} {
		line := errorLine(e.dagger(t, src, "test", "--component="+component).mustFail(t))
		if !strings.Contains(line, "tests failed: "+component) || !strings.Contains(line, failing) {
			t.Errorf("%s: error line %q does not name %s", component, line, failing)
		}
	}
	// the results are still there for CI reporters when asked for
	dir := t.TempDir()
	e.dagger(t, src, "test", "--component=backend", "--ignore-failures", "export", "--path="+dir).mustSucceed(t)
	b, err := os.ReadFile(filepath.Join(dir, "backend.xml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := junit.Summarize("backend", b)
	if err != nil || s.Failed != 1 || s.Passed == 0 {
		t.Errorf("failing sample backend summary = %s, %v; want exactly 1 failure", s, err)
	}
}

// TestTestBadInput checks an unknown component and a source without the
// component's folder.
func TestTestBadInput(t *testing.T) {
	e := requireEnv(t)
	line := errorLine(e.dagger(t, "test", "--component=sdk").mustFail(t))
	if !strings.Contains(line, `unknown component "sdk"; valid components: backend, frontend`) {
		t.Errorf("unknown component: %q", line)
	}
	src := "--source=" + filepath.Join(e.repoRoot, "testdata", "failing-sample")
	line = errorLine(e.dagger(t, src, "test", "--component=frontend").mustFail(t))
	if !strings.Contains(line, "the source has no frontend/") {
		t.Errorf("missing folder: %q", line)
	}
}
