package vulnscan

import (
	"encoding/json"
	"fmt"
)

// CheckSARIF checks that b is a SARIF 2.1.0 log with at least one run whose
// tool declares rule ruleID and has a result for it. An empty ruleID only
// checks the shape.
func CheckSARIF(b []byte, ruleID string) error {
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		return fmt.Errorf("SARIF is not JSON: %w", err)
	}
	if log.Version != "2.1.0" {
		return fmt.Errorf("SARIF version %q, want 2.1.0", log.Version)
	}
	if len(log.Runs) == 0 {
		return fmt.Errorf("SARIF log has no run")
	}
	if ruleID == "" {
		return nil
	}
	for _, r := range log.Runs {
		rule := false
		for _, x := range r.Tool.Driver.Rules {
			rule = rule || x.ID == ruleID
		}
		result := false
		for _, x := range r.Results {
			result = result || x.RuleID == ruleID
		}
		if rule && result {
			return nil
		}
	}
	return fmt.Errorf("SARIF log has no rule %s with a result", ruleID)
}
