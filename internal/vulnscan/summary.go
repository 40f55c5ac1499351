package vulnscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The outcomes of one image's scan.
const (
	// Passed means no finding at or above the threshold.
	Passed = "passed"
	// Blocked means findings at or above the threshold: the image must not
	// be published.
	Blocked = "blocked"
	// Errored means the image could not be built or scanned.
	Errored = "error"
)

// ImageScan is the outcome of scanning one image for one platform.
type ImageScan struct {
	Image     string        `json:"image"`
	Platform  string        `json:"platform"`
	Status    string        `json:"status"`
	Threshold string        `json:"threshold"`
	Findings  []Finding     `json:"findings"` // at or above the threshold
	Reason    string        `json:"reason,omitempty"`
	Duration  time.Duration `json:"-"`
	Seconds   float64       `json:"duration_seconds"`
}

// Summary is the outcome of scanning many images.
type Summary struct {
	Threshold string      `json:"threshold"`
	Results   []ImageScan `json:"results"`
}

// JSON returns the summary as indented JSON, lists never null.
func (s Summary) JSON() ([]byte, error) {
	out := s
	out.Results = make([]ImageScan, len(s.Results))
	for i, r := range s.Results {
		if r.Findings == nil {
			r.Findings = []Finding{}
		}
		r.Seconds = r.Duration.Seconds()
		out.Results[i] = r
	}
	return json.MarshalIndent(out, "", "  ")
}

// Markdown renders the summary as a table with one row per image and
// platform, and the reason for every image that did not pass.
func (s Summary) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# kfp-dagger scan (threshold %s)\n\n", s.Threshold)
	b.WriteString("| image | platform | status | findings | duration |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range s.Results {
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %.1fs |\n", r.Image, r.Platform, r.Status, len(r.Findings), r.Duration.Seconds())
	}
	var notes []string
	for _, r := range s.Results {
		if r.Status != Passed && r.Reason != "" {
			notes = append(notes, "- "+r.Reason)
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

// Err is nil when every image passed, and otherwise one error naming each
// image that did not and why.
func (s Summary) Err() error {
	var bad []string
	for _, r := range s.Results {
		if r.Status != Passed {
			bad = append(bad, r.Reason)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d scans did not pass at %s: %s", len(bad), len(s.Results), s.Threshold, strings.Join(bad, "; "))
}
