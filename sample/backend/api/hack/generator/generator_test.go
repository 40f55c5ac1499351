package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"pipeline_id":     "PipelineID",
		"display_name":    "DisplayName",
		"commit_sha":      "CommitSHA",
		"next_page_token": "NextPageToken",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAPIRejectsUnknownType(t *testing.T) {
	_, err := ParseAPI([]byte(`{"package":"p","messages":[{"name":"A","fields":[{"name":"b","type":"Missing"}]}]}`))
	if err == nil || !strings.Contains(err.Error(), "unknown type") {
		t.Fatalf("expected an unknown type error, got %v", err)
	}
}

// TestCheckedInCodeIsUpToDate is the "generated code is current" check KFP
// runs in CI: regenerating from the description must not change the file.
func TestCheckedInCodeIsUpToDate(t *testing.T) {
	desc, err := os.ReadFile("../../v2beta1/pipeline.json")
	if err != nil {
		t.Fatal(err)
	}
	api, err := ParseAPI(desc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Generate(api)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../v2beta1/go_client/pipeline.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("backend/api/v2beta1/go_client/pipeline.gen.go is stale; regenerate it with:\n" +
			"  go run ./backend/api/hack/generator -in backend/api/v2beta1/pipeline.json -out backend/api/v2beta1/go_client/pipeline.gen.go")
	}
}
