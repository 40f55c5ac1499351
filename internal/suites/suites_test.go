package suites

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	got, err := Select("all")
	if err != nil || len(got) != 4 {
		t.Fatalf("Select(all) = %v, %v; want 4 suites", got, err)
	}
	one, err := Select("frontend")
	if err != nil || len(one) != 1 || one[0].Dir != "frontend" || one[0].Runner != NPM {
		t.Fatalf("Select(frontend) = %+v, %v", one, err)
	}
	_, err = Select("sdk")
	want := `unknown component "sdk"; valid components: backend, frontend, visualization-server, metadata-writer, all`
	if err == nil || err.Error() != want {
		t.Fatalf("Select(sdk) error = %v, want %q", err, want)
	}
	for _, s := range All() {
		if s.Runner == GoTest && len(s.Packages) == 0 || strings.HasSuffix(s.Dir, "/") {
			t.Errorf("suite %+v is malformed", s)
		}
	}
}
