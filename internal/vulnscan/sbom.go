package vulnscan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SBOMFormat is an SBOM document format the pipeline writes.
type SBOMFormat struct {
	// Name is the flag value: spdx-json or cyclonedx-json.
	Name string
	// Trivy is the value of trivy's --format.
	Trivy string
	// Cosign is the value of cosign attach sbom's --type.
	Cosign string
	// File is the file name the SBOM is returned as.
	File string
}

var sbomFormats = []SBOMFormat{
	{Name: "spdx-json", Trivy: "spdx-json", Cosign: "spdx", File: "sbom.spdx.json"},
	{Name: "cyclonedx-json", Trivy: "cyclonedx", Cosign: "cyclonedx", File: "sbom.cdx.json"},
}

// ParseSBOMFormat reads an SBOM format flag.
func ParseSBOMFormat(s string) (SBOMFormat, error) {
	var names []string
	for _, f := range sbomFormats {
		if strings.EqualFold(strings.TrimSpace(s), f.Name) {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return SBOMFormat{}, fmt.Errorf("invalid SBOM format %q: want one of %s", s, strings.Join(names, ", "))
}

// Package is one package an SBOM lists.
type Package struct {
	Name    string
	Version string
	PURL    string
}

// SBOMPackages reads the packages of an SPDX 2.x JSON or CycloneDX JSON
// document and says which of the two it is ("spdx" or "cyclonedx").
func SBOMPackages(b []byte) (string, []Package, error) {
	var probe struct {
		SPDXVersion string `json:"spdxVersion"`
		BOMFormat   string `json:"bomFormat"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return "", nil, fmt.Errorf("SBOM is not JSON: %w", err)
	}
	switch {
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-"):
		var d struct {
			Packages []struct {
				Name         string `json:"name"`
				VersionInfo  string `json:"versionInfo"`
				ExternalRefs []struct {
					Type    string `json:"referenceType"`
					Locator string `json:"referenceLocator"`
				} `json:"externalRefs"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return "", nil, fmt.Errorf("SPDX document: %w", err)
		}
		var out []Package
		for _, p := range d.Packages {
			pk := Package{Name: p.Name, Version: p.VersionInfo}
			for _, r := range p.ExternalRefs {
				if r.Type == "purl" {
					pk.PURL = r.Locator
				}
			}
			out = append(out, pk)
		}
		return "spdx", out, nil
	case probe.BOMFormat == "CycloneDX":
		type component struct {
			Name       string      `json:"name"`
			Version    string      `json:"version"`
			PURL       string      `json:"purl"`
			Components []component `json:"components"`
		}
		var d struct {
			Components []component `json:"components"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return "", nil, fmt.Errorf("CycloneDX document: %w", err)
		}
		var out []Package
		var walk func([]component)
		walk = func(cs []component) {
			for _, c := range cs {
				out = append(out, Package{Name: c.Name, Version: c.Version, PURL: c.PURL})
				walk(c.Components)
			}
		}
		walk(d.Components)
		return "cyclonedx", out, nil
	}
	return "", nil, fmt.Errorf("SBOM is neither SPDX (spdxVersion) nor CycloneDX (bomFormat)")
}
