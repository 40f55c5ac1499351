package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestStateFromWorkflowPhase(t *testing.T) {
	for phase, want := range map[string]RunState{
		"": RunPending, "Pending": RunRunning, "Running": RunRunning,
		"Succeeded": RunSucceeded, "Failed": RunFailed, "Error": RunFailed,
	} {
		got, err := StateFromWorkflowPhase(phase)
		if err != nil || got != want {
			t.Errorf("StateFromWorkflowPhase(%q) = %q, %v; want %q", phase, got, err, want)
		}
	}
	if _, err := StateFromWorkflowPhase("Exploded"); err == nil {
		t.Error("an unknown phase must be an error")
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	base, max := time.Second, 10*time.Second
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	for i, w := range want {
		if got := Backoff(i, base, max); got != w*time.Second {
			t.Errorf("Backoff(%d) = %v, want %v", i, got, w*time.Second)
		}
	}
}

func TestCheckAPIServer(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apis/v2beta1/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer ok.Close()
	if err := CheckAPIServer(context.Background(), ok.Client(), ok.URL); err != nil {
		t.Fatal(err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	if err := CheckAPIServer(context.Background(), down.Client(), down.URL); err == nil {
		t.Fatal("a 503 must be an error")
	}
}
