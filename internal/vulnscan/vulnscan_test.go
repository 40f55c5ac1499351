package vulnscan

import (
	"strings"
	"testing"
	"time"
)

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"LOW": Low, "medium": Medium, " High ": High, "CRITICAL": Critical} {
		got, err := ParseSeverity(in)
		if err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "SEVERE", "UNKNOWN", "HIGH,CRITICAL"} {
		_, err := ParseSeverity(in)
		if err == nil {
			t.Fatalf("ParseSeverity(%q): no error", in)
		}
		want := `invalid severity "` + in + `": want one of LOW, MEDIUM, HIGH, CRITICAL`
		if err.Error() != want {
			t.Errorf("ParseSeverity(%q) error = %q, want %q", in, err, want)
		}
	}
	if got := strings.Join(High.AtOrAbove(), ","); got != "HIGH,CRITICAL" {
		t.Errorf("High.AtOrAbove() = %s", got)
	}
	if got := strings.Join(Low.AtOrAbove(), ","); got != "LOW,MEDIUM,HIGH,CRITICAL" {
		t.Errorf("Low.AtOrAbove() = %s", got)
	}
	if Severity(0).AtOrAbove() != nil || Severity(9).String() != "Severity(9)" {
		t.Error("out-of-range severity")
	}
}

const trivyReport = `{
  "SchemaVersion": 2,
  "ArtifactName": "/in/image.tar",
  "ArtifactType": "container_image",
  "Metadata": {"OS": {"Family": "debian", "Name": "12.15"}},
  "Results": [
    {"Target": "/in/image.tar (debian 12.15)", "Class": "os-pkgs", "Type": "debian",
     "Vulnerabilities": [
       {"VulnerabilityID": "CVE-2099-2222", "PkgName": "zlib1g", "InstalledVersion": "1:1.2.13.dfsg-1", "Status": "affected", "Severity": "LOW"},
       {"VulnerabilityID": "CVE-2099-1111", "PkgName": "libpython3.11-minimal", "InstalledVersion": "3.11.2-6+deb12u8", "FixedVersion": "3.11.2-6+deb12u99", "Status": "fixed", "Severity": "HIGH", "Title": "fixture"},
       {"VulnerabilityID": "CVE-2099-1111", "PkgName": "python3.11", "InstalledVersion": "3.11.2-6+deb12u8", "FixedVersion": "3.11.2-6+deb12u99", "Status": "fixed", "Severity": "HIGH"},
       {"VulnerabilityID": "CVE-2099-3333", "PkgName": "x", "InstalledVersion": "1", "Severity": "UNKNOWN"}
     ]},
    {"Target": "Python", "Class": "lang-pkgs", "Type": "python-pkg"}
  ]
}`

func TestParseTrivyJSONAndThreshold(t *testing.T) {
	r, err := ParseTrivyJSON([]byte(trivyReport))
	if err != nil {
		t.Fatal(err)
	}
	if r.OS != "debian 12.15" || len(r.Findings) != 4 {
		t.Fatalf("OS %q, %d findings", r.OS, len(r.Findings))
	}
	if r.Findings[0].ID != "CVE-2099-1111" || r.Findings[3].ID != "CVE-2099-3333" {
		t.Errorf("not most severe first: %+v", r.Findings)
	}
	for _, c := range []struct {
		th       Severity
		unfixed  bool
		want     int
		wantLine string
	}{
		{High, false, 2, "img linux/amd64: 1 vulnerability at or above HIGH: CVE-2099-1111 HIGH libpython3.11-minimal 3.11.2-6+deb12u8 (fixed in 3.11.2-6+deb12u99)"},
		{Critical, false, 0, ""},
		{Low, false, 3, "img linux/amd64: 2 vulnerabilities at or above LOW: CVE-2099-1111 HIGH libpython3.11-minimal 3.11.2-6+deb12u8 (fixed in 3.11.2-6+deb12u99); CVE-2099-2222 LOW zlib1g 1:1.2.13.dfsg-1 (no fix yet)"},
		{Low, true, 2, ""},
	} {
		got := r.AtOrAbove(c.th, c.unfixed)
		if len(got) != c.want {
			t.Errorf("AtOrAbove(%s, %v) = %d findings, want %d", c.th, c.unfixed, len(got), c.want)
		}
		if c.wantLine != "" || c.want == 0 {
			if v := Verdict("img linux/amd64", c.th, got); v != c.wantLine {
				t.Errorf("Verdict(%s) = %q\nwant %q", c.th, v, c.wantLine)
			}
		}
	}
}

func TestVerdictCountsTheRest(t *testing.T) {
	var fs []Finding
	for _, id := range []string{"A", "B", "C", "D", "E"} {
		fs = append(fs, Finding{ID: id, Severity: "CRITICAL", Package: "p", Installed: "1"})
	}
	if v := Verdict("x", Critical, fs); !strings.HasSuffix(v, "; and 2 more") || !strings.Contains(v, "5 vulnerabilities") {
		t.Errorf("Verdict = %q", v)
	}
}

func TestParseTrivyJSONRejects(t *testing.T) {
	for in, want := range map[string]string{
		"not json":             "not JSON",
		`{"Results": []}`:      "no SchemaVersion",
		`{"SchemaVersion": 1}`: "schema version 1",
	} {
		if _, err := ParseTrivyJSON([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTrivyJSON(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestSummary(t *testing.T) {
	s := Summary{Threshold: "HIGH", Results: []ImageScan{
		{Image: "a", Platform: "linux/amd64", Status: Passed, Duration: 1500 * time.Millisecond},
		{Image: "b", Platform: "linux/amd64", Status: Blocked, Findings: []Finding{{ID: "CVE-1"}}, Reason: "b linux/amd64: 1 vulnerability at or above HIGH: CVE-1"},
	}}
	md := s.Markdown()
	for _, want := range []string{"| a | linux/amd64 | passed | 0 | 1.5s |", "| b | linux/amd64 | blocked | 1 |", "- b linux/amd64: 1 vulnerability"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	js, err := s.JSON()
	if err != nil || !strings.Contains(string(js), `"findings": []`) || !strings.Contains(string(js), `"duration_seconds": 1.5`) {
		t.Errorf("JSON = %s, %v", js, err)
	}
	if err := s.Err(); err == nil || !strings.HasPrefix(err.Error(), "1 of 2 scans did not pass at HIGH: b linux/amd64") {
		t.Errorf("Err() = %v", err)
	}
	s.Results = s.Results[:1]
	if s.Err() != nil {
		t.Error("all passed but Err() != nil")
	}
}

func TestSBOM(t *testing.T) {
	f, err := ParseSBOMFormat("CycloneDX-JSON")
	if err != nil || f.Trivy != "cyclonedx" || f.Cosign != "cyclonedx" {
		t.Errorf("ParseSBOMFormat = %+v, %v", f, err)
	}
	if _, err := ParseSBOMFormat("spdx"); err == nil || err.Error() != `invalid SBOM format "spdx": want one of spdx-json, cyclonedx-json` {
		t.Errorf("ParseSBOMFormat(spdx) error = %v", err)
	}
	kind, pkgs, err := SBOMPackages([]byte(`{"spdxVersion":"SPDX-2.3","packages":[{"name":"python3.11","versionInfo":"3.11.2-6+deb12u8","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:deb/debian/python3.11@3.11.2-6%2Bdeb12u8"}]}]}`))
	if err != nil || kind != "spdx" || len(pkgs) != 1 || pkgs[0].Name != "python3.11" || !strings.HasPrefix(pkgs[0].PURL, "pkg:deb/") {
		t.Errorf("SPDX: %s %+v %v", kind, pkgs, err)
	}
	kind, pkgs, err = SBOMPackages([]byte(`{"bomFormat":"CycloneDX","components":[{"name":"a","version":"1","components":[{"name":"b","version":"2"}]}]}`))
	if err != nil || kind != "cyclonedx" || len(pkgs) != 2 || pkgs[1].Name != "b" {
		t.Errorf("CycloneDX: %s %+v %v", kind, pkgs, err)
	}
	if _, _, err := SBOMPackages([]byte(`{"x":1}`)); err == nil {
		t.Error("neither format: no error")
	}
}

func TestCheckSARIF(t *testing.T) {
	good := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Trivy","rules":[{"id":"CVE-2099-1111"}]}},"results":[{"ruleId":"CVE-2099-1111"}]}]}`
	if err := CheckSARIF([]byte(good), "CVE-2099-1111"); err != nil {
		t.Error(err)
	}
	if err := CheckSARIF([]byte(good), "CVE-1"); err == nil {
		t.Error("missing rule: no error")
	}
	for _, bad := range []string{"{", `{"version":"2.0.0","runs":[{}]}`, `{"version":"2.1.0","runs":[]}`} {
		if err := CheckSARIF([]byte(bad), ""); err == nil {
			t.Errorf("CheckSARIF(%s): no error", bad)
		}
	}
}
