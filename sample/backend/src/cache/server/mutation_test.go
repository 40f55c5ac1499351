package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func pod(name string, template string) AdmissionRequest {
	var req AdmissionRequest
	req.UID = "uid-" + name
	req.Object.Metadata.Name = name
	req.Object.Metadata.Namespace = "kubeflow"
	req.Object.Metadata.Labels = map[string]string{CacheEnabledLabel: "true"}
	req.Object.Metadata.Annotations = map[string]string{TemplateAnnotation: template}
	return req
}

func TestCacheKeyIgnoresFieldOrder(t *testing.T) {
	a, err := CacheKey(`{"name":"echo","container":{"image":"x","args":["hi"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := CacheKey(`{"container":{"args":["hi"],"image":"x"},"name":"echo"}`)
	c, _ := CacheKey(`{"container":{"args":["bye"],"image":"x"},"name":"echo"}`)
	if a != b || a == c || len(a) != 64 {
		t.Fatalf("keys a=%s b=%s c=%s", a, b, c)
	}
	if _, err := CacheKey("not json"); err == nil {
		t.Fatal("a non-JSON template must be an error")
	}
}

func TestMutateMarksSecondIdenticalPodAsCached(t *testing.T) {
	store := NewStore()
	first := pod("step-1", `{"name":"echo"}`)
	r1, err := Mutate(&first, store)
	if err != nil {
		t.Fatal(err)
	}
	if !r1.Allowed || !bytes.Contains(r1.Patch, []byte("pipelines.kubeflow.org~1execution_cache_key")) ||
		bytes.Contains(r1.Patch, []byte("cached_from_pod")) {
		t.Fatalf("first pod patch: %s", r1.Patch)
	}
	second := pod("step-2", `{"name":"echo"}`)
	r2, _ := Mutate(&second, store)
	if !bytes.Contains(r2.Patch, []byte(`"value":"kubeflow/step-1"`)) {
		t.Fatalf("second pod should be cached from step-1, patch: %s", r2.Patch)
	}
}

func TestMutateLeavesUncachedPodsAlone(t *testing.T) {
	req := pod("p", `{"name":"echo"}`)
	req.Object.Metadata.Labels = nil
	resp, err := Mutate(&req, NewStore())
	if err != nil || !resp.Allowed || resp.Patch != nil {
		t.Fatalf("got %+v, %v", resp, err)
	}
}

func TestHandler(t *testing.T) {
	ts := httptest.NewServer(Handler(NewStore()))
	defer ts.Close()
	req := pod("p", `{"name":"echo"}`)
	body, _ := json.Marshal(AdmissionReview{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Request: &req})
	resp, err := http.Post(ts.URL+"/mutate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Response == nil || out.Response.UID != "uid-p" {
		t.Fatalf("got %+v, %v", out, err)
	}
	bad, _ := http.Post(ts.URL+"/mutate", "application/json", strings.NewReader("{}"))
	if bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("empty review: status %d", bad.StatusCode)
	}
	bad.Body.Close()
}
