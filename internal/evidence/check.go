package evidence

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Expect is what verify-release holds one image's evidence to.
type Expect struct {
	// Image names the image in failures, e.g. kfp-driver.
	Image string
	// Index is the digest the release tag points at.
	Index v1.Hash
	// Commit is the source commit the release claims (its commit tag and
	// revision label).
	Commit string
	// Platforms are the platforms the image ships.
	Platforms []string
	// Scan requires a passing vulnerability verdict.
	Scan bool
}

// Check holds the statements found for one image, already opened with the
// expected key, to the rules: each is about the index the tag points at;
// one provenance, of the expected commit and platforms; an SBOM for every
// platform; a smoke run that passed on every platform; and, when asked, a
// vulnerability verdict that passed on every platform under a recorded
// policy. It returns one line per failure, each naming the image.
func Check(e Expect, statements []Statement) []string {
	var fails []string
	fail := func(format string, args ...any) {
		fails = append(fails, e.Image+": "+fmt.Sprintf(format, args...))
	}
	byType := map[string][]Statement{}
	for _, st := range statements {
		if !about(st, e.Index) {
			fail("%s evidence is about %s, not the index the tag points at (%s)", short(st.PredicateType), subjectDigests(st), e.Index)
			continue
		}
		byType[st.PredicateType] = append(byType[st.PredicateType], st)
	}

	switch ps := byType[ProvenanceType]; len(ps) {
	case 0:
		fail("no provenance for %s", e.Index)
	case 1:
		var p Provenance
		if err := json.Unmarshal(ps[0].Predicate, &p); err != nil {
			fail("provenance: %v", err)
			break
		}
		x := p.BuildDefinition.ExternalParameters
		if x.Commit != e.Commit {
			fail("provenance says commit %s, the release claims %s", x.Commit, e.Commit)
		}
		if got, want := sorted(x.Platforms), sorted(e.Platforms); !slices.Equal(got, want) {
			fail("provenance says platforms %v, the image ships %v", got, want)
		}
		if p.RunDetails.Builder.ID == "" {
			fail("provenance names no builder")
		}
	default:
		fail("%d provenance statements for one index", len(ps))
	}

	sboms := map[string]bool{}
	for _, st := range byType[SPDXType] {
		if p, ok := sbomPlatform(st.Predicate, e.Platforms); ok {
			sboms[p] = true
		}
	}
	for _, p := range e.Platforms {
		if !sboms[p] {
			fail("no SBOM for %s", p)
		}
	}

	checkPlatforms := func(kind string, sts []Statement, results func(Statement) (map[string]bool, error)) {
		if len(sts) != 1 {
			fail("%d %s statements, want 1", len(sts), kind)
			return
		}
		got, err := results(sts[0])
		if err != nil {
			fail("%s: %v", kind, err)
			return
		}
		for _, p := range e.Platforms {
			switch passed, ok := got[p]; {
			case !ok:
				fail("%s: no result for %s", kind, p)
			case !passed:
				fail("%s failed on %s", kind, p)
			}
		}
	}
	checkPlatforms("smoke", byType[SmokeType], func(st Statement) (map[string]bool, error) {
		var s Smoke
		if err := json.Unmarshal(st.Predicate, &s); err != nil {
			return nil, err
		}
		m := map[string]bool{}
		for _, r := range s.Results {
			m[r.Platform] = r.Passed
		}
		return m, nil
	})
	if e.Scan {
		checkPlatforms("scan", byType[VulnType], func(st Statement) (map[string]bool, error) {
			var v Vuln
			if err := json.Unmarshal(st.Predicate, &v); err != nil {
				return nil, err
			}
			if v.Scanner.Result.Policy.Threshold == "" {
				return nil, fmt.Errorf("the verdict records no policy")
			}
			m := map[string]bool{}
			for _, r := range v.Scanner.Result.Verdicts {
				m[r.Platform] = r.Passed
			}
			return m, nil
		})
	}
	return fails
}

// about says whether a statement's subjects include the digest.
func about(st Statement, h v1.Hash) bool {
	for _, s := range st.Subject {
		if s.Digest[h.Algorithm] == h.Hex {
			return true
		}
	}
	return false
}

func subjectDigests(st Statement) string {
	var out []string
	for _, s := range st.Subject {
		for alg, hex := range s.Digest {
			out = append(out, alg+":"+hex)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// short names a predicate type for a failure line.
func short(predicateType string) string {
	switch predicateType {
	case ProvenanceType:
		return "provenance"
	case SPDXType:
		return "SBOM"
	case VulnType:
		return "scan"
	case SmokeType:
		return "smoke"
	}
	return predicateType
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
