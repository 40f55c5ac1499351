// Package worker holds the persistence agent's logic: mapping Argo workflow
// phases to KFP run states and polling the API server.
package worker

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// RunState is a KFP v2beta1 run state.
type RunState string

const (
	RunPending   RunState = "PENDING"
	RunRunning   RunState = "RUNNING"
	RunSucceeded RunState = "SUCCEEDED"
	RunFailed    RunState = "FAILED"
)

// StateFromWorkflowPhase maps an Argo Workflow phase to a run state.
func StateFromWorkflowPhase(phase string) (RunState, error) {
	switch phase {
	case "":
		return RunPending, nil
	case "Pending", "Running":
		return RunRunning, nil
	case "Succeeded":
		return RunSucceeded, nil
	case "Failed", "Error":
		return RunFailed, nil
	}
	return "", fmt.Errorf("unknown workflow phase %q", phase)
}

// Backoff returns the delay before retry number attempt (0-based): doubling
// from base, capped at max.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// CheckAPIServer calls the API server's healthz endpoint.
func CheckAPIServer(ctx context.Context, client *http.Client, baseURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/apis/v2beta1/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}
