package evidence

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

func hash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, _, err := v1.SHA256(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func record(t *testing.T) release.Record {
	return release.Record{
		Image: "kfp-driver", Repository: "registry.example/kubeflow/kfp-driver", Version: "2.5.0", Commit: commit,
		Source: "https://github.com/kubeflow/pipelines",
		Platforms: []release.PlatformManifest{
			{Platform: "linux/arm64", Digest: hash(t, "arm64")},
			{Platform: "linux/amd64", Digest: hash(t, "amd64")},
		},
		Index: hash(t, "index"),
	}
}

// seal is Seal, failing the test on error.
func seal(t *testing.T, st Statement, key *ecdsa.PrivateKey) Envelope {
	t.Helper()
	env, err := Seal(st, key)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// evidence is the full, passing set of statements for record(t).
func evidence(t *testing.T, rec release.Record) []Statement {
	t.Helper()
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	prov, err := NewProvenance(rec, Build{
		BuilderID: "https://github.com/kfp-dagger/kfp-dagger/ci@" + commit, Versions: map[string]string{"dagger": "v0.21.8"},
		BuildArgs:  map[string]string{"COMMIT_SHA": commit},
		BaseImages: []BaseImage{{Ref: "golang:1.26-bookworm", Digest: hash(t, "golang").String()}},
		StartedOn:  start, FinishedOn: start.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	var sts []Statement
	sts = append(sts, prov)
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		sb, err := NewSBOM(rec, []byte(`{"spdxVersion":"SPDX-2.3","name":"kfp-driver `+p+`","packages":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		sts = append(sts, sb)
	}
	smoke, err := NewSmoke(rec, []SmokeResult{{Platform: "linux/amd64", Passed: true}, {Platform: "linux/arm64", Passed: true}})
	if err != nil {
		t.Fatal(err)
	}
	vuln, err := NewVuln(rec, Scan{ScannerURI: "pkg:github/aquasecurity/trivy", ScannerVersion: "0.74.0",
		DBURI: "ghcr.io/aquasecurity/trivy-db:2", DBVersion: "2026-12-06T00:00:00Z", Policy: Policy{Threshold: "HIGH"},
		Verdicts: []Verdict{{Platform: "linux/amd64", Passed: true}, {Platform: "linux/arm64", Passed: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return append(sts, smoke, vuln)
}

func TestPAE(t *testing.T) {
	// The example of the DSSE specification (protocol.md).
	if got := string(PAE("http://example.com/HelloWorld", []byte("hello world"))); got != "DSSEv1 29 http://example.com/HelloWorld 11 hello world" {
		t.Errorf("PAE = %q", got)
	}
}

func TestProvenance(t *testing.T) {
	rec := record(t)
	st := evidence(t, rec)[0]
	if st.Type != StatementType || st.PredicateType != ProvenanceType || len(st.Subject) != 1 ||
		st.Subject[0].Name != rec.Repository || st.Subject[0].Digest["sha256"] != rec.Index.Hex {
		t.Fatalf("statement %+v", st)
	}
	var p Provenance
	if err := json.Unmarshal(st.Predicate, &p); err != nil {
		t.Fatal(err)
	}
	x := p.BuildDefinition.ExternalParameters
	if x.Commit != commit || x.Version != "2.5.0" || strings.Join(x.Platforms, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("external parameters %+v", x)
	}
	deps := p.BuildDefinition.ResolvedDependencies
	if len(deps) != 2 || deps[0].Digest["gitCommit"] != commit || deps[1].URI != "oci://golang:1.26-bookworm" || deps[1].Digest["sha256"] != hash(t, "golang").Hex {
		t.Errorf("resolved dependencies %+v", deps)
	}

	if _, err := NewProvenance(rec, Build{BuilderID: "x", BaseImages: []BaseImage{{Ref: "golang:1.26", Digest: "latest"}}}); err == nil {
		t.Error("a base image without a digest was accepted")
	}
	rec.Index = v1.Hash{}
	if _, err := NewProvenance(rec, Build{BuilderID: "x"}); err == nil {
		t.Error("a record without an index digest was accepted")
	}
}

// TestCheck seals the full evidence, opens it with the public key alone and
// checks it; then tampers with it as an attacker or an accident would, and
// each tampering fails with one line naming the image and the reason.
func TestCheck(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t)
	expect := Expect{Image: rec.Image, Index: rec.Index, Commit: commit, Platforms: []string{"linux/amd64", "linux/arm64"}, Scan: true}
	open := func(envs []Envelope) []Statement {
		var out []Statement
		for _, env := range envs {
			st, err := Open(env, pub)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			out = append(out, st)
		}
		return out
	}
	var envs []Envelope
	for _, st := range evidence(t, rec) {
		envs = append(envs, seal(t, st, key))
	}
	if fails := Check(expect, open(envs)); len(fails) != 0 {
		t.Fatalf("the untouched evidence fails: %q", fails)
	}

	// Signed by another key; a payload changed after signing.
	if _, err := Open(seal(t, evidence(t, rec)[0], other), pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("evidence signed by another key: %v, want ErrBadSignature", err)
	}
	forged := envs[0]
	forged.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(mustDecode(t, forged.Payload), commit, strings.Repeat("f", 40), 1)))
	if _, err := Open(forged, pub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a payload changed after signing: %v, want ErrBadSignature", err)
	}

	for _, tc := range []struct {
		name   string
		expect func(*Expect)
		drop   int // index of a statement to delete, -1 none
		want   string
	}{
		{"the release tag re-pointed at another index", func(e *Expect) { e.Index = hash(t, "another") }, -1,
			"kfp-driver: provenance evidence is about " + rec.Index.String() + ", not the index the tag points at"},
		{"the provenance deleted", nil, 0, "kfp-driver: no provenance for " + rec.Index.String()},
		{"the arm64 SBOM missing", nil, 2, "kfp-driver: no SBOM for linux/arm64"},
		{"the smoke result deleted", nil, 3, "kfp-driver: 0 smoke statements, want 1"},
		{"the scan verdict deleted", nil, 4, "kfp-driver: 0 scan statements, want 1"},
		{"a release claiming another commit", func(e *Expect) { e.Commit = strings.Repeat("a", 40) }, -1,
			"kfp-driver: provenance says commit " + commit + ", the release claims " + strings.Repeat("a", 40)},
		{"a platform the provenance does not list", func(e *Expect) { e.Platforms = append(e.Platforms, "linux/ppc64le") }, -1,
			"kfp-driver: provenance says platforms [linux/amd64 linux/arm64], the image ships [linux/amd64 linux/arm64 linux/ppc64le]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := expect
			e.Platforms = append([]string(nil), expect.Platforms...)
			if tc.expect != nil {
				tc.expect(&e)
			}
			sts := open(envs)
			if tc.drop >= 0 {
				sts = append(sts[:tc.drop], sts[tc.drop+1:]...)
			}
			fails := Check(e, sts)
			found := false
			for _, f := range fails {
				found = found || strings.HasPrefix(f, tc.want)
				if strings.Contains(f, "\n") {
					t.Errorf("failure is not one line: %q", f)
				}
			}
			if !found {
				t.Errorf("failures %q, want one starting %q", fails, tc.want)
			}
		})
	}

	// A failed smoke run and a blocked scan are failures too.
	rec2 := record(t)
	sts := evidence(t, rec2)
	sts[3], _ = NewSmoke(rec2, []SmokeResult{{Platform: "linux/amd64", Passed: true}, {Platform: "linux/arm64", Passed: false}})
	sts[4], _ = NewVuln(rec2, Scan{Policy: Policy{Threshold: "HIGH"}, Verdicts: []Verdict{{Platform: "linux/amd64", Passed: false, Findings: []string{"CVE-1"}}, {Platform: "linux/arm64", Passed: true}}})
	fails := strings.Join(Check(expect, sts), "\n")
	for _, want := range []string{"kfp-driver: smoke failed on linux/arm64", "kfp-driver: scan failed on linux/amd64"} {
		if !strings.Contains(fails, want) {
			t.Errorf("failures %q lack %q", fails, want)
		}
	}
}

func mustDecode(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Seal and Open agree for every key type Open accepts.
func TestSealOpenKeyTypes(t *testing.T) {
	st := evidence(t, record(t))[0]
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, ed, _ := ed25519.GenerateKey(rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, k := range []struct {
		signer crypto.Signer
		public crypto.PublicKey
	}{{ec, &ec.PublicKey}, {ed, edPub}, {rs, &rs.PublicKey}} {
		env, err := Seal(st, k.signer)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Open(env, k.public); err != nil || got.PredicateType != ProvenanceType {
			t.Errorf("%T: Open = %v, %v", k.signer, got.PredicateType, err)
		}
		if _, err := Open(env, &ec.PublicKey); k.signer != crypto.Signer(ec) && err == nil {
			t.Errorf("%T: an envelope opened with another key", k.signer)
		}
	}
}

func TestSmokeResultErr(t *testing.T) {
	for platform, want := range map[string]string{"linux/amd64": "amd64", "linux/arm64/v8": "arm64", "arm64": "arm64"} {
		if got := Arch(platform); got != want {
			t.Errorf("Arch(%q) = %q, want %q", platform, got, want)
		}
	}
	if err := (SmokeResult{Platform: "linux/arm64", Passed: true, Output: "aarch64 arm64"}).Err("kfp-api-server"); err != nil {
		t.Errorf("passed run: %v", err)
	}
	err := (SmokeResult{Platform: "linux/arm64", Output: "version 2.5 amd64"}).Err("kfp-api-server")
	if want := `smoke run of kfp-api-server --version printed "version 2.5 amd64", which does not name arm64`; err == nil || err.Error() != want {
		t.Errorf("failed run: %v, want %s", err, want)
	}
}
