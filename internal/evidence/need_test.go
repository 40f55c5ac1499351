package evidence

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestNeeded(t *testing.T) {
	rec := record(t)
	all := evidence(t, rec) // provenance, SBOM amd64, SBOM arm64, smoke, vuln
	other := rec
	other.Index = hash(t, "another index")
	elsewhere := evidence(t, other)
	e := Expect{Image: rec.Image, Index: rec.Index, Commit: rec.Commit, Platforms: []string{"linux/amd64", "linux/arm64"}, Scan: true}
	everything := Need{Provenance: true, SBOMs: []string{"linux/amd64", "linux/arm64"}, Smoke: true, Scan: true}
	for _, c := range []struct {
		name string
		have []Statement
		scan bool
		want Need
	}{
		{"nothing attached", nil, true, everything},
		{"all attached", all, true, Need{}},
		{"only another index's evidence", elsewhere, true, everything},
		{"the arm64 SBOM missing", []Statement{all[0], all[1], all[3], all[4]}, true, Need{SBOMs: []string{"linux/arm64"}}},
		{"provenance and scan missing", all[1:4], true, Need{Provenance: true, Scan: true}},
		{"no scan asked", all[:4], false, Need{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e
			e.Scan = c.scan
			got := Needed(e, c.have)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Needed = %+v, want %+v", got, c.want)
			}
			if got.Empty() != reflect.DeepEqual(c.want, Need{}) {
				t.Errorf("Empty() = %v for %+v", got.Empty(), got)
			}
			if got.Empty() && len(Check(e, c.have)) > 0 {
				t.Errorf("nothing needed, yet Check fails: %v", Check(e, c.have))
			}
		})
	}
}

func TestNameSBOM(t *testing.T) {
	in := []byte(`{"spdxVersion":"SPDX-2.3","name":"kfp-registry:5000/x/kfp-driver@sha256:abc","packages":[{"name":"musl"}]}`)
	out, err := NameSBOM(in, "kfp-driver", "linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Name        string `json:"name"`
		Packages    []struct {
			Name string `json:"name"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Name != "kfp-driver linux/arm64" || doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != 1 || doc.Packages[0].Name != "musl" {
		t.Errorf("NameSBOM = %s", out)
	}
	rec := record(t)
	st, err := NewSBOM(rec, out)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := sbomPlatform(st.Predicate, []string{"linux/amd64", "linux/arm64"}); !ok || p != "linux/arm64" {
		t.Errorf("the named SBOM is read back as platform %q (%v)", p, ok)
	}
	for _, bad := range []string{`[]`, `{"bomFormat":"CycloneDX"}`, `not json`} {
		if _, err := NameSBOM([]byte(bad), "kfp-driver", "linux/amd64"); err == nil {
			t.Errorf("NameSBOM(%s) succeeded", bad)
		}
	}
}

func TestCosignType(t *testing.T) {
	for pt, want := range map[string]string{ProvenanceType: "slsaprovenance1", SPDXType: "spdxjson", VulnType: "vuln", SmokeType: SmokeType} {
		if got, err := CosignType(pt); err != nil || got != want {
			t.Errorf("CosignType(%s) = %q, %v; want %q", pt, got, err, want)
		}
	}
	if _, err := CosignType("https://example.com/unknown"); err == nil {
		t.Error("an unknown predicate type has a cosign type")
	}
}
