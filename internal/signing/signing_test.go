package signing

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSplitHostAndRehost(t *testing.T) {
	for ref, want := range map[string][2]string{
		"127.0.0.1:5000/kfp/x@sha256:ab": {"127.0.0.1:5000", "kfp/x@sha256:ab"},
		"ghcr.io/kubeflow/kfp-driver:2":  {"ghcr.io", "kubeflow/kfp-driver:2"},
		"localhost/x:1":                  {"localhost", "x:1"},
		"aquasec/trivy:0.74.0":           {"docker.io", "aquasec/trivy:0.74.0"},
		"debian":                         {"docker.io", "library/debian"},
	} {
		h, r, err := SplitHost(ref)
		if err != nil || h != want[0] || r != want[1] {
			t.Errorf("SplitHost(%q) = %q, %q, %v; want %v", ref, h, r, err, want)
		}
	}
	for _, bad := range []string{"", "http://x/y", "a b/c", "x/"} {
		if _, _, err := SplitHost(bad); err == nil {
			t.Errorf("SplitHost(%q): no error", bad)
		}
	}
	got, err := Rehost("127.0.0.1:32779/fixtures/trivy-db:2", "kfp-registry:32779")
	if err != nil || got != "kfp-registry:32779/fixtures/trivy-db:2" {
		t.Errorf("Rehost = %q, %v", got, err)
	}
	if p, err := Port("abc123.host:32779"); err != nil || p != "32779" {
		t.Errorf("Port = %q, %v", p, err)
	}
	if _, err := Port("nohost"); err == nil {
		t.Error("Port without a port: no error")
	}
}

func TestDockerConfig(t *testing.T) {
	b, err := DockerConfig("reg:5000", "kfp", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	dec, _ := base64.StdEncoding.DecodeString(c.Auths["reg:5000"].Auth)
	if string(dec) != "kfp:s3cret" {
		t.Errorf("auth = %q", dec)
	}
	if b, _ := DockerConfig("docker.io", "u", "p"); !strings.Contains(string(b), "https://index.docker.io/v1/") {
		t.Errorf("docker hub key: %s", b)
	}
	if _, err := DockerConfig("h", "", "p"); err == nil {
		t.Error("no user: no error")
	}
}

func TestSignArgs(t *testing.T) {
	key := Signer{KeyPath: "/k/cosign.key"}
	got, err := SignArgs(key, Registry{HTTP: true}, "reg:5000/x@sha256:ab", true)
	want := "cosign sign --yes --key /k/cosign.key --tlog-upload=false --use-signing-config=false --recursive --allow-insecure-registry --allow-http-registry reg:5000/x@sha256:ab"
	if err != nil || strings.Join(got, " ") != want {
		t.Errorf("key-based:\n got %s (%v)\nwant %s", strings.Join(got, " "), err, want)
	}
	got, _ = SignArgs(Signer{KeyPath: "/k", TLog: true}, Registry{}, "r@sha256:ab", false)
	if strings.Join(got, " ") != "cosign sign --yes --key /k r@sha256:ab" {
		t.Errorf("key-based with tlog: %v", got)
	}
	got, _ = SignArgs(Signer{IdentityTokenPath: "/t"}, Registry{}, "ghcr.io/x@sha256:ab", true)
	if strings.Join(got, " ") != "cosign sign --yes --identity-token /t --recursive ghcr.io/x@sha256:ab" {
		t.Errorf("keyless: %v", got)
	}
	got, _ = SignArgs(Signer{IdentityTokenPath: "/t", FulcioURL: "https://f", RekorURL: "https://r"}, Registry{}, "x/y@sha256:ab", false)
	if strings.Join(got, " ") != "cosign sign --yes --identity-token /t --use-signing-config=false --fulcio-url https://f --rekor-url https://r x/y@sha256:ab" {
		t.Errorf("keyless private instance: %v", got)
	}
	for _, bad := range []Signer{{}, {KeyPath: "k", IdentityTokenPath: "t"}, {IdentityTokenPath: "t", TLog: true}, {KeyPath: "k", FulcioURL: "f"}} {
		if _, err := SignArgs(bad, Registry{}, "r", false); err == nil {
			t.Errorf("SignArgs(%+v): no error", bad)
		}
	}
}

func TestVerifyArgs(t *testing.T) {
	got, err := VerifyArgs(Verifier{PublicKeyPath: "/k.pub"}, Registry{HTTP: true}, "r@sha256:ab")
	if err != nil || strings.Join(got, " ") != "cosign verify --output json --key /k.pub --insecure-ignore-tlog=true --allow-insecure-registry --allow-http-registry r@sha256:ab" {
		t.Errorf("key-based: %v %v", got, err)
	}
	got, err = VerifyArgs(Verifier{CertificateIdentityRegexp: "^https://github.com/kubeflow/", CertificateOIDCIssuer: "https://token.actions.githubusercontent.com"}, Registry{}, "r")
	if err != nil || strings.Join(got, " ") != "cosign verify --output json --certificate-identity-regexp ^https://github.com/kubeflow/ --certificate-oidc-issuer https://token.actions.githubusercontent.com r" {
		t.Errorf("keyless: %v %v", got, err)
	}
	got, err = VerifyArgs(Verifier{PublicKeyPath: "/k.pub", AttestationType: "slsaprovenance1"}, Registry{}, "r@sha256:ab")
	if err != nil || strings.Join(got, " ") != "cosign verify-attestation --type slsaprovenance1 --output json --key /k.pub --insecure-ignore-tlog=true r@sha256:ab" {
		t.Errorf("attestation: %v %v", got, err)
	}
	for _, bad := range []Verifier{{}, {PublicKeyPath: "k", CertificateIdentity: "i"}, {CertificateIdentity: "i"}} {
		if _, err := VerifyArgs(bad, Registry{}, "r"); err == nil {
			t.Errorf("VerifyArgs(%+v): no error", bad)
		}
	}
}

func TestAttachSBOMArgsAndExplain(t *testing.T) {
	got := strings.Join(AttachSBOMArgs(Registry{}, "/s.json", "spdx", "r@sha256:ab"), " ")
	if got != "cosign attach sbom --sbom /s.json --type spdx --input-format json r@sha256:ab" {
		t.Errorf("AttachSBOMArgs = %s", got)
	}
	for out, want := range map[string]string{
		"Error: no signatures found":                           "the image has no signature",
		"Error: accepted signatures do not match threshold, …": "no signature matches the given key or identity",
		"GET …: UNAUTHORIZED: authentication required":         "the registry refused the credentials",
		"something else": "",
	} {
		if got := ExplainVerify(out); got != want {
			t.Errorf("ExplainVerify(%q) = %q, want %q", out, got, want)
		}
	}
}

func TestGitHubIDToken(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2ln"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer request-token" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("audience") != "sigstore" || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "bad query "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		w.Write([]byte(`{"count":1,"value":"` + jwt + `"}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	tok, err := GitHubIDToken(ctx, srv.Client(), srv.URL+"/token?api-version=2.0", "request-token", SigstoreAudience)
	if err != nil || tok != jwt {
		t.Fatalf("token = %q, %v", tok, err)
	}
	if _, err := GitHubIDToken(ctx, srv.Client(), srv.URL+"/token?api-version=2.0", "wrong", SigstoreAudience); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong request token: %v", err)
	}
	if _, err := GitHubIDToken(ctx, srv.Client(), "", "x", SigstoreAudience); err == nil || !strings.Contains(err.Error(), "id-token: write") {
		t.Errorf("no URL: %v", err)
	}
	if _, err := GitHubIDToken(ctx, srv.Client(), "::", "x", SigstoreAudience); err == nil {
		t.Error("bad URL: no error")
	}
}

func TestWithDigestAndDigest(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for ref, want := range map[string]string{
		"127.0.0.1:5000/kfp/x:master":         "127.0.0.1:5000/kfp/x@" + d,
		"127.0.0.1:5000/kfp/x":                "127.0.0.1:5000/kfp/x@" + d,
		"ghcr.io/k/x:2.5.0@sha256:0123":       "ghcr.io/k/x@" + d,
		"kfp-registry:32779/a/b@sha256:ffff0": "kfp-registry:32779/a/b@" + d,
	} {
		if got, err := WithDigest(ref, d); err != nil || got != want {
			t.Errorf("WithDigest(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := WithDigest("x/y:1", "sha256:12"); err == nil {
		t.Error("short digest: no error")
	}
	if got, err := Digest("kfp-registry:1/x@" + d + "\n"); err != nil || got != d {
		t.Errorf("Digest = %q, %v", got, err)
	}
	for _, bad := range []string{"", "x@sha256:12", "x@sha256:" + strings.Repeat("zz", 32)} {
		if _, err := Digest(bad); err == nil {
			t.Errorf("Digest(%q): no error", bad)
		}
	}
	if got := strings.Join(DigestArgs(Registry{HTTP: true}, "r:1"), " "); got != "cosign triangulate --type digest --allow-insecure-registry --allow-http-registry r:1" {
		t.Errorf("DigestArgs = %s", got)
	}
}

func TestAttestArgs(t *testing.T) {
	got := strings.Join(AttestArgs("/k/cosign.key", Registry{HTTP: true}, "slsaprovenance1", "/p.json", "kfp-registry:5000/x@sha256:ab"), " ")
	want := "cosign attest --yes --key /k/cosign.key --tlog-upload=false --use-signing-config=false --type slsaprovenance1 --predicate /p.json --allow-insecure-registry --allow-http-registry kfp-registry:5000/x@sha256:ab"
	if got != want {
		t.Errorf("AttestArgs =\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(PublicKeyArgs("/k/cosign.key"), " "); got != "cosign public-key --key /k/cosign.key" {
		t.Errorf("PublicKeyArgs = %s", got)
	}
}
