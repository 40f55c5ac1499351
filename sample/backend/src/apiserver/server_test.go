package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	api "github.com/kubeflow/pipelines/backend/api/v2beta1/go_client"
)

func testServer(n int) *httptest.Server {
	var ps []*api.Pipeline
	for i := range n {
		name := string(rune('a' + i))
		ps = append(ps, &api.Pipeline{PipelineID: PipelineID(name), DisplayName: name})
	}
	return httptest.NewServer(NewServer(Config{MaxPageSize: 2}, ps).Handler())
}

func getJSON(t *testing.T, url string, wantCode int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantCode {
		t.Fatalf("GET %s: status %d, want %d", url, resp.StatusCode, wantCode)
	}
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHealthz(t *testing.T) {
	ts := testServer(0)
	defer ts.Close()
	var h api.HealthzResponse
	getJSON(t, ts.URL+"/apis/v2beta1/healthz", http.StatusOK, &h)
	if h.TagName == "" || h.CommitSHA == "" {
		t.Fatalf("healthz without identity: %+v", h)
	}
}

func TestListPipelinesPages(t *testing.T) {
	ts := testServer(3)
	defer ts.Close()
	var page api.ListPipelinesResponse
	getJSON(t, ts.URL+"/apis/v2beta1/pipelines?page_size=5", http.StatusOK, &page)
	if len(page.Pipelines) != 2 || page.TotalSize != 3 || page.NextPageToken != "2" {
		t.Fatalf("first page: got %d pipelines, total %d, next %q", len(page.Pipelines), page.TotalSize, page.NextPageToken)
	}
	var last api.ListPipelinesResponse
	getJSON(t, ts.URL+"/apis/v2beta1/pipelines?page_token="+page.NextPageToken, http.StatusOK, &last)
	if len(last.Pipelines) != 1 || last.NextPageToken != "" {
		t.Fatalf("last page: got %d pipelines, next %q", len(last.Pipelines), last.NextPageToken)
	}
	getJSON(t, ts.URL+"/apis/v2beta1/pipelines?page_size=-1", http.StatusBadRequest, nil)
}

func TestGetPipeline(t *testing.T) {
	ts := testServer(1)
	defer ts.Close()
	var p api.Pipeline
	getJSON(t, ts.URL+"/apis/v2beta1/pipelines/"+PipelineID("a"), http.StatusOK, &p)
	if p.DisplayName != "a" {
		t.Fatalf("got %+v", p)
	}
	getJSON(t, ts.URL+"/apis/v2beta1/pipelines/nope", http.StatusNotFound, nil)
}

func TestLoadSamplesSkipsMissingAndRejectsInvalid(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.py.yaml")
	bad := filepath.Join(dir, "bad.py.yaml")
	os.WriteFile(good, []byte(`{"pipelineInfo":{"name":"good"},"schemaVersion":"2.1.0"}`), 0o644)
	os.WriteFile(bad, []byte(`{"hello":"world"}`), 0o644)

	write := func(entries []SampleEntry) string {
		data, _ := json.Marshal(entries)
		p := filepath.Join(dir, "sample_config.json")
		os.WriteFile(p, data, 0o644)
		return p
	}

	ps, err := LoadSamples(write([]SampleEntry{{Name: "Good", File: good}, {Name: "Missing", File: filepath.Join(dir, "missing.yaml")}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].DisplayName != "Good" || ps[0].PipelineID != PipelineID("Good") {
		t.Fatalf("got %+v", ps)
	}
	if _, err := LoadSamples(write([]SampleEntry{{Name: "Bad", File: bad}})); err == nil {
		t.Fatal("a file that is not a pipeline spec must be rejected")
	}
}

func TestShippedConfigLoads(t *testing.T) {
	cfg, err := LoadConfig("config/config.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxPageSize != 100 {
		t.Fatalf("MaxPageSize = %d", cfg.MaxPageSize)
	}
}
