package vulnscan

import (
	"fmt"
	"strings"
)

// Severity is a vulnerability severity threshold.
type Severity int

// The severities a threshold can be, lowest first.
const (
	Low Severity = iota + 1
	Medium
	High
	Critical
)

var severityNames = []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"}

// ParseSeverity reads a threshold, in any case. The error lists the valid
// values on one line.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Severity(i + 1), nil
		}
	}
	return 0, fmt.Errorf("invalid severity %q: want one of %s", s, strings.Join(severityNames, ", "))
}

// String is the severity's name as Trivy spells it, e.g. HIGH.
func (s Severity) String() string {
	if s < Low || s > Critical {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s-1]
}

// AtOrAbove lists the severity and every one above it, lowest first, as
// Trivy's --severity flag takes them.
func (s Severity) AtOrAbove() []string {
	if s < Low || s > Critical {
		return nil
	}
	return append([]string(nil), severityNames[s-1:]...)
}

// rank orders a severity name as Trivy writes it; UNKNOWN and anything
// unrecognised rank below LOW.
func rank(name string) Severity {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i + 1)
		}
	}
	return 0
}
