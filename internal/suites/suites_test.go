package suites

import (
	"slices"
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

// components returns the component of each suite.
func components(ss []Suite) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Component)
	}
	return out
}

func TestAffected(t *testing.T) {
	tests := []struct {
		name    string
		changed []string
		want    []string
	}{
		{name: "nothing", changed: nil, want: nil},
		{name: "frontend source", changed: []string{"frontend/src/x.ts"}, want: []string{"frontend"}},
		{name: "frontend node version", changed: []string{"frontend/.nvmrc"}, want: []string{"frontend"}},
		{name: "go.mod", changed: []string{"go.mod"}, want: []string{"backend"}},
		{name: "go.sum", changed: []string{"go.sum"}, want: []string{"backend"}},
		{name: "api module", changed: []string{"api/v2alpha1/pipeline_spec.proto"}, want: []string{"backend"}},
		{name: "api go.mod", changed: []string{"api/go.mod"}, want: []string{"backend"}},
		{name: "kubernetes_platform module", changed: []string{"kubernetes_platform/go/kubernetesplatform/kubernetes_executor_config.pb.go"}, want: []string{"backend"}},
		{name: "backend Go source", changed: []string{"backend/src/apiserver/server.go"}, want: []string{"backend"}},
		{name: "backend fixture", changed: []string{"backend/src/apiserver/config/config.json"}, want: []string{"backend"}},
		{name: "backend Dockerfile", changed: []string{"backend/Dockerfile.driver"}, want: []string{"backend"}},
		{name: "compiler golden file", changed: []string{"test_data/compiled-workflows/hello_world.yaml"}, want: []string{"backend"}},
		{name: "Go file outside backend, read by go mod tidy", changed: []string{"tools/gen/main.go"}, want: []string{"backend"}},
		{name: "visualization server only", changed: []string{"backend/src/apiserver/visualization/server.py"}, want: []string{"visualization-server"}},
		{name: "visualization requirements", changed: []string{"backend/src/apiserver/visualization/requirements.txt"}, want: []string{"visualization-server"}},
		{name: "metadata writer only", changed: []string{"backend/metadata_writer/src/metadata_writer.py"}, want: []string{"metadata-writer"}},
		{name: "Go file in a Python suite's folder", changed: []string{"backend/metadata_writer/x.go"}, want: []string{"backend", "metadata-writer"}},
		{name: "a sibling of the visualization folder", changed: []string{"backend/src/apiserver/visualization_test.go"}, want: []string{"backend"}},
		{name: "a prefix that is not a folder", changed: []string{"frontendx/a.ts", "backendfoo"}, want: nil},
		{name: "README", changed: []string{"README.md"}, want: nil},
		{name: "docs", changed: []string{"docs/guide.md", "samples/core/hello.py"}, want: nil},
		{name: "workflow", changed: []string{".github/workflows/ci.yml"}, want: nil},
		{name: "blank and dot-slash", changed: []string{"", " ", "./frontend/src/x.ts"}, want: []string{"frontend"}},
		{
			name:    "several, in suite order",
			changed: []string{"backend/metadata_writer/Dockerfile", "frontend/package.json", "go.mod", "backend/src/apiserver/visualization/exporter.py"},
			want:    []string{"backend", "frontend", "visualization-server", "metadata-writer"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := components(Affected(tt.changed)); !slices.Equal(got, tt.want) {
				t.Errorf("Affected(%q) = %q, want %q", tt.changed, got, tt.want)
			}
		})
	}
}

// TestInputsShape checks every suite reads its own folder and that the
// inputs are well formed.
func TestInputsShape(t *testing.T) {
	for _, s := range All() {
		if !s.Reads(s.Dir + "/some/file") {
			t.Errorf("%s: Inputs %q do not cover its folder %s/", s.Component, s.Inputs, s.Dir)
		}
		if !slices.IsSorted(s.Inputs) || len(slices.Compact(slices.Clone(s.Inputs))) != len(s.Inputs) {
			t.Errorf("%s: Inputs are not sorted and unique: %q", s.Component, s.Inputs)
		}
		for _, in := range s.Inputs {
			if in == "" || strings.HasPrefix(in, "/") || strings.HasPrefix(in, "./") || strings.Contains(in, "..") {
				t.Errorf("%s: input %q is not a clean repo-relative path", s.Component, in)
			}
		}
		for _, ex := range s.Except {
			if !strings.HasSuffix(ex, "/") || !s.readsDirIgnoringExcept(ex) {
				t.Errorf("%s: Except %q is not a directory under its Inputs", s.Component, ex)
			}
		}
	}
}

// readsDirIgnoringExcept reports whether dir lies under a directory input.
func (s Suite) readsDirIgnoringExcept(dir string) bool {
	for _, in := range s.Inputs {
		if strings.HasSuffix(in, "/") && strings.HasPrefix(dir, in) {
			return true
		}
	}
	return false
}

func TestAllReturnsCopies(t *testing.T) {
	all := All()
	all[0].Inputs[0] = "changed"
	all[0].Packages[0] = "changed"
	sel, _ := Select("backend")
	sel[0].Except[0] = "changed"
	again := All()
	if again[0].Inputs[0] == "changed" || again[0].Packages[0] == "changed" || again[0].Except[0] == "changed" {
		t.Fatalf("changing a returned suite changed the list: %+v", again[0])
	}
	aff := Affected([]string{"go.mod"})
	aff[0].Inputs[0] = "changed"
	if All()[0].Inputs[0] == "changed" {
		t.Fatal("changing the result of Affected changed the list")
	}
}

// TestOnlyChanged keeps the suites a change reaches and names the others.
func TestOnlyChanged(t *testing.T) {
	kept, unchanged := OnlyChanged(All(), []string{"frontend/src/app.ts"})
	if len(kept) != 1 || kept[0].Component != "frontend" {
		t.Errorf("kept %v, want frontend", kept)
	}
	if len(unchanged) != len(All())-1 || slices.Contains(unchanged, "frontend") {
		t.Errorf("unchanged %v, want every component but frontend", unchanged)
	}
	if kept, _ := OnlyChanged(All(), []string{"README.md"}); len(kept) != 0 {
		t.Errorf("README.md change kept %v", kept)
	}
}
