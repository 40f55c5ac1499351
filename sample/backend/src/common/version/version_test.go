package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestLineHasProgramVersionAndArch(t *testing.T) {
	oldV, oldC := Version, Commit
	defer func() { Version, Commit = oldV, oldC }()
	Version, Commit = "2.17.0", "abc123"

	got := Line("kfp-driver")
	want := "kfp-driver version=2.17.0 commit=abc123 arch=" + runtime.GOARCH
	if got != want {
		t.Fatalf("Line() = %q, want %q", got, want)
	}
	if strings.Contains(got, "\n") {
		t.Fatalf("Line() must be a single line, got %q", got)
	}
}

func TestEmptyLinkerValuesFallBackToDefaults(t *testing.T) {
	oldV, oldC := Version, Commit
	defer func() { Version, Commit = oldV, oldC }()
	Version, Commit = "", ""

	v, c := Info()
	if v != "dev" || c != "unknown" {
		t.Fatalf("Info() = %q, %q; want dev, unknown", v, c)
	}
}
