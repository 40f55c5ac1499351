package evidence

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Need is the evidence an index still lacks: what a run has to sign so
// that [Check] passes.
type Need struct {
	Provenance bool
	// SBOMs are the platforms without an SBOM.
	SBOMs []string
	Smoke bool
	Scan  bool
}

// Empty says whether nothing is missing.
func (n Need) Empty() bool {
	return !n.Provenance && len(n.SBOMs) == 0 && !n.Smoke && !n.Scan
}

// Needed returns what of the evidence [Check] requires for e is not among
// have, the statements already attached and opened with the key: what a
// rerun still has to sign, so that it never signs a second provenance or
// SBOM of one index. Statements about another index count for nothing.
func Needed(e Expect, have []Statement) Need {
	got := map[string]bool{}
	sboms := map[string]bool{}
	for _, st := range have {
		if !about(st, e.Index) {
			continue
		}
		got[st.PredicateType] = true
		if st.PredicateType == SPDXType {
			if p, ok := sbomPlatform(st.Predicate, e.Platforms); ok {
				sboms[p] = true
			}
		}
	}
	n := Need{Provenance: !got[ProvenanceType], Smoke: !got[SmokeType], Scan: e.Scan && !got[VulnType]}
	for _, p := range e.Platforms {
		if !sboms[p] {
			n.SBOMs = append(n.SBOMs, p)
		}
	}
	return n
}

// sbomPlatform is the platform an SPDX document's name ends with.
func sbomPlatform(doc json.RawMessage, platforms []string) (string, bool) {
	var d struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return "", false
	}
	for _, p := range platforms {
		if strings.HasSuffix(d.Name, " "+p) {
			return p, true
		}
	}
	return "", false
}

// NameSBOM returns the SPDX JSON document spdx with its name set to
// "<image> <platform>", which is how [Check] tells the SBOMs of one index
// apart (every one has the index as its subject).
func NameSBOM(spdx []byte, image, platform string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(spdx, &doc); err != nil {
		return nil, fmt.Errorf("SBOM of %s %s: not a JSON object: %w", image, platform, err)
	}
	if _, ok := doc["spdxVersion"]; !ok {
		return nil, fmt.Errorf("SBOM of %s %s: not an SPDX document (no spdxVersion)", image, platform)
	}
	name, err := json.Marshal(image + " " + platform)
	if err != nil {
		return nil, err
	}
	doc["name"] = name
	return json.Marshal(doc)
}

// CosignType is the --type `cosign attest` takes for a predicate type this
// package makes; cosign writes that predicate type back.
func CosignType(predicateType string) (string, error) {
	switch predicateType {
	case ProvenanceType:
		return "slsaprovenance1", nil
	case SPDXType:
		return "spdxjson", nil
	case VulnType:
		return "vuln", nil
	case SmokeType:
		return SmokeType, nil // a URI is a custom type
	}
	return "", fmt.Errorf("no cosign attestation type for %s", predicateType)
}
