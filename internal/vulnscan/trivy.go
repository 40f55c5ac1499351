package vulnscan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Finding is one vulnerable package in a scanned image.
type Finding struct {
	ID        string `json:"id"`
	Severity  string `json:"severity"`
	Package   string `json:"package"`
	Installed string `json:"installed"`
	Fixed     string `json:"fixed,omitempty"`
	Status    string `json:"status,omitempty"`
	Target    string `json:"target"`
	Title     string `json:"title,omitempty"`
}

// Report is what the pipeline reads from a Trivy JSON report.
type Report struct {
	// OS is the detected operating system, e.g. "debian 12.15"; empty when
	// Trivy found none (then OS packages were not scanned).
	OS string
	// Findings lists every vulnerability in the report, most severe first.
	Findings []Finding
}

type trivyJSON struct {
	SchemaVersion *int `json:"SchemaVersion"`
	Metadata      struct {
		OS *struct {
			Family string `json:"Family"`
			Name   string `json:"Name"`
		} `json:"OS"`
	} `json:"Metadata"`
	Results []struct {
		Target          string `json:"Target"`
		Vulnerabilities []struct {
			VulnerabilityID  string `json:"VulnerabilityID"`
			PkgName          string `json:"PkgName"`
			InstalledVersion string `json:"InstalledVersion"`
			FixedVersion     string `json:"FixedVersion"`
			Status           string `json:"Status"`
			Severity         string `json:"Severity"`
			Title            string `json:"Title"`
		} `json:"Vulnerabilities"`
	} `json:"Results"`
}

// ParseTrivyJSON reads a report written by `trivy image --format json`
// (schema version 2).
func ParseTrivyJSON(b []byte) (Report, error) {
	var j trivyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return Report{}, fmt.Errorf("trivy report is not JSON: %w", err)
	}
	if j.SchemaVersion == nil {
		return Report{}, fmt.Errorf("trivy report has no SchemaVersion: not a trivy JSON report")
	}
	if *j.SchemaVersion != 2 {
		return Report{}, fmt.Errorf("trivy report has schema version %d, want 2", *j.SchemaVersion)
	}
	var r Report
	if j.Metadata.OS != nil {
		r.OS = strings.TrimSpace(j.Metadata.OS.Family + " " + j.Metadata.OS.Name)
	}
	for _, res := range j.Results {
		for _, v := range res.Vulnerabilities {
			r.Findings = append(r.Findings, Finding{
				ID: v.VulnerabilityID, Severity: strings.ToUpper(v.Severity), Package: v.PkgName,
				Installed: v.InstalledVersion, Fixed: v.FixedVersion, Status: v.Status,
				Target: res.Target, Title: v.Title,
			})
		}
	}
	sortFindings(r.Findings)
	return r, nil
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, k int) bool {
		a, b := fs[i], fs[k]
		if ra, rb := rank(a.Severity), rank(b.Severity); ra != rb {
			return ra > rb
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Package < b.Package
	})
}

// fixed reports whether a finding has a fixed version to upgrade to, as
// Trivy's --ignore-unfixed decides it.
func (f Finding) fixed() bool {
	if f.Status != "" {
		return f.Status == "fixed"
	}
	return f.Fixed != ""
}

// AtOrAbove returns the findings at or above the threshold, leaving out
// those without a fix when ignoreUnfixed is set.
func (r Report) AtOrAbove(threshold Severity, ignoreUnfixed bool) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if rank(f.Severity) < threshold {
			continue
		}
		if ignoreUnfixed && !f.fixed() {
			continue
		}
		out = append(out, f)
	}
	return out
}

// String describes a finding in a few words: CVE-1 HIGH python3.11
// 3.11.2-6+deb12u8 (fixed in 3.11.2-6+deb12u9).
func (f Finding) String() string {
	fix := "no fix yet"
	if f.Fixed != "" {
		fix = "fixed in " + f.Fixed
	}
	return fmt.Sprintf("%s %s %s %s (%s)", f.ID, f.Severity, f.Package, f.Installed, fix)
}

// Verdict is the one line a gate prints for the findings at or above the
// threshold in one image: empty when there are none. It names at most three
// distinct vulnerabilities and counts the rest.
func Verdict(subject string, threshold Severity, found []Finding) string {
	if len(found) == 0 {
		return ""
	}
	ids := map[string]bool{}
	var named []string
	for _, f := range found {
		if ids[f.ID] {
			continue
		}
		ids[f.ID] = true
		if len(named) < 3 {
			named = append(named, f.String())
		}
	}
	noun := "vulnerabilities"
	if len(ids) == 1 {
		noun = "vulnerability"
	}
	s := fmt.Sprintf("%s: %d %s at or above %s: %s", subject, len(ids), noun, threshold, strings.Join(named, "; "))
	if more := len(ids) - len(named); more > 0 {
		s += fmt.Sprintf("; and %d more", more)
	}
	return s
}
