package oneline

import "testing"

func TestMessage(t *testing.T) {
	for in, want := range map[string]string{
		`query: query Query {node(id:"x"){... on Directory{dockerBuild(a:"b"){withLabel(n:"v"){sync}}}} error: parse selections: missing required input field "value"`: `parse selections: missing required input field "value"`,
		"plain\nerror  text":   "plain error text",
		"Dockerfile not found": "Dockerfile not found",
	} {
		if got := Message(in); got != want {
			t.Errorf("Message(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExec(t *testing.T) {
	got := Exec([]string{"go", "test"}, 1, "ok\n", "a\nb\nc\n--- FAIL: TestX\n")
	want := "go test exited with code 1: b | c | --- FAIL: TestX"
	if got != want {
		t.Errorf("Exec() = %q, want %q", got, want)
	}
	if got := Exec([]string{"x"}, 2, "only stdout", ""); got != "x exited with code 2: only stdout" {
		t.Errorf("Exec() = %q", got)
	}
}
