package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kfp-dagger/kfp-dagger/internal/evidence"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// TestSignedRelease publishes metadata-envoy with the scan gate and a
// password-protected cosign key, as a release manager would, and checks the
// evidence with the public key alone: verify-release passes with all five
// statements; stock `cosign verify-attestation --type slsaprovenance1`
// accepts the provenance; the provenance's base images are the digests the
// mirror serves for the Dockerfile's FROM; no secret is in the output or the
// evidence. Then it tampers, each time failing verify-release with a line
// naming the image and the reason: one attestation deleted (the arm64 SBOM),
// a statement signed by another key (stored as cosign's legacy .att image,
// which verify-release also reads), and the release tag re-pointed at
// another index. That a rerun signs nothing twice is evidence.Needed's
// unit test (the e2e rerun costs another emulated arm64 smoke run).
func TestSignedRelease(t *testing.T) {
	s := requireScanEnv(t)
	key := newSigningKey(t, s.env, s.mirror)
	keys, keyPassword := key.dir, key.password
	pubPEM, err := os.ReadFile(filepath.Join(keys, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := evidence.ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	privPEM, err := os.ReadFile(filepath.Join(keys, "cosign.key"))
	if err != nil {
		t.Fatal(err)
	}

	repo := s.uniqueRepo("signed")
	version := uniqueVersion("2.96")
	constructor := []string{"--commit=" + testCommit, "--version=" + version}
	publish := func() result {
		return s.dagger(t, slices.Concat(constructor, s.access(), key.setup(), s.scanArgs,
			[]string{"publish-all", "--images=metadata-envoy", "--registry=" + repo, "--format=json", "--scan"})...)
	}
	verify := func() result {
		return s.dagger(t, slices.Concat(constructor, s.access(), []string{"verify-release", "--scan",
			"--registry=" + repo, "--images=metadata-envoy", "--public-key=" + filepath.Join(keys, "cosign.pub")})...)
	}

	// Bad input: one line, nothing written. A wrong key password is found
	// by the pre-flight, before anything is built or pushed.
	wrongPw := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongPw, []byte("not-the-key-password"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		setup, flags []string
		want         string
	}{
		{key.withPassword(wrongPw), nil, "pre-flight: signing key: the with-signing-key password does not open the key"},
		{key.setup(), []string{"--smoke=false"}, "with-signing-key needs the smoke run"},
	} {
		r := s.dagger(t, slices.Concat(constructor, s.access(), c.setup,
			[]string{"publish-all", "--images=metadata-envoy", "--registry=" + repo}, c.flags)...)
		if line := errorLine(r.mustFail(t)); !strings.Contains(line, c.want) || strings.Contains(line, keyPassword) {
			t.Errorf("%s: error line %q, want %q", c.want, line, c.want)
		}
	}
	if tags, err := remote.List(parseRef(t, repo+"/kfp-metadata-envoy").Context(), s.remoteOpts()...); err == nil && len(tags) > 0 {
		t.Fatalf("%s/kfp-metadata-envoy holds %v after refused runs", repo, tags)
	}

	first := publish()
	rep := parseReport(t, first.mustSucceed(t))
	if len(rep.Results) != 1 || rep.Results[0].Status != "published" {
		t.Fatalf("publish-all: %+v", rep.Results)
	}
	tagRef := parseRef(t, repo+"/kfp-metadata-envoy:"+version)
	desc, err := remote.Get(tagRef, s.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	index := desc.Digest
	t.Logf("e2e: signed publish-all of metadata-envoy (scan, smoke on both platforms, 5 statements): %s", first.elapsed.Round(time.Millisecond))

	ok := verify()
	if out := ok.mustSucceed(t); !strings.Contains(out, "| kfp-metadata-envoy | "+index.String()+" | "+testCommit+" | 5 | ok |") {
		t.Errorf("verify-release table:\n%s", out)
	}
	t.Logf("e2e: verify-release with the public key alone: %s", ok.elapsed.Round(time.Millisecond))

	stock := s.dagger(t, slices.Concat(s.access(), cosignWith(s.mirror), []string{"verify", "--ref=" + tagRef.String(),
		"--attestation-type=slsaprovenance1", "--public-key=" + filepath.Join(keys, "cosign.pub")})...)
	if out := stock.mustSucceed(t); !strings.Contains(out, `"payload"`) {
		t.Errorf("cosign verify-attestation printed no attestation:\n%s", tail(out, 5))
	}

	// The evidence as a user reads it, opened with the public key.
	reg, err := release.NewRemote(release.WithBasicAuth(s.username, s.password))
	if err != nil {
		t.Fatal(err)
	}
	repoName := tagRef.Context()
	read := func() ([]evidence.Found, map[string]evidence.Statement) {
		t.Helper()
		found, err := evidence.Fetch(context.Background(), reg, repoName, index)
		if err != nil {
			t.Fatal(err)
		}
		byWhere := map[string]evidence.Statement{}
		for _, f := range found {
			st, err := evidence.Open(f.Envelope, pub)
			if err != nil {
				t.Fatalf("%s: %v", f.Where, err)
			}
			byWhere[f.Where] = st
		}
		return found, byWhere
	}
	_, statements := read()

	// Provenance: every base image at the digest the mirror serves.
	for _, st := range statements {
		if st.PredicateType != evidence.ProvenanceType {
			continue
		}
		var p evidence.Provenance
		if err := json.Unmarshal(st.Predicate, &p); err != nil {
			t.Fatal(err)
		}
		bases := 0
		for _, d := range p.BuildDefinition.ResolvedDependencies {
			if d.Name == "source" {
				if d.Digest["gitCommit"] != testCommit {
					t.Errorf("provenance source %+v, want commit %s", d, testCommit)
				}
				continue
			}
			ref, err := name.ParseReference(d.Name)
			if err != nil {
				t.Fatal(err)
			}
			served, err := remote.Head(parseRef(t, s.mirror+"/"+ref.Context().RepositoryStr()+":"+ref.Identifier()))
			if err != nil {
				t.Fatal(err)
			}
			if d.Digest["sha256"] != served.Digest.Hex {
				t.Errorf("provenance says %s is sha256:%s; the mirror serves %s", d.Name, d.Digest["sha256"], served.Digest)
			}
			bases++
		}
		if bases == 0 {
			t.Error("the provenance resolves no base image")
		}
		t.Logf("e2e: provenance: builder %s, %d base images equal to what the mirror serves", p.RunDetails.Builder.ID, bases)
	}

	// No secret in the output or in the evidence.
	secrets := map[string]string{
		"registry password":              s.password,
		"base64 user:password":           base64.StdEncoding.EncodeToString([]byte(s.username + ":" + s.password)),
		"signing key password":           keyPassword,
		"signing key (its encoded body)": pemBodyLine(t, privPEM),
	}
	texts := map[string]string{
		"publish-all stdout": first.stdout, "publish-all stderr": first.stderr,
		"verify-release stderr": ok.stderr,
	}
	fallback, err := remote.Get(parseRef(t, repo+"/kfp-metadata-envoy:"+strings.Replace(index.String(), ":", "-", 1)), s.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	texts["referrers index"] = string(fallback.Manifest)
	im, err := v1.ParseIndexManifest(bytes.NewReader(fallback.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		img, err := remote.Image(repoName.Digest(m.Digest.String()), s.remoteOpts()...)
		if err != nil {
			t.Fatal(err)
		}
		for where, b := range imageBlobs(t, img) {
			texts["bundle "+m.Digest.String()+" "+where] = string(b)
		}
	}
	for where, b := range pushedBlobs(t, s.env, tagRef.String()) {
		texts["published "+where] = string(b)
	}
	for what, secret := range secrets {
		for where, text := range texts {
			if strings.Contains(text, secret) {
				t.Errorf("the %s is in the %s", what, where)
			}
		}
	}
	t.Logf("e2e: %d secrets searched in %d outputs, evidence blobs and the published index's manifests, configs and layers", len(secrets), len(texts))

	// Tampering 1: the arm64 SBOM's attestation deleted from the list.
	var arm64 string
	for where, st := range statements {
		if st.PredicateType == evidence.SPDXType && strings.Contains(string(st.Predicate), `"kfp-metadata-envoy linux/arm64"`) {
			arm64 = strings.TrimPrefix(where, "bundle ")
		}
	}
	if arm64 == "" {
		t.Fatalf("no arm64 SBOM among %d attestations", len(statements))
	}
	fallbackRef := parseRef(t, repo+"/kfp-metadata-envoy:"+strings.Replace(index.String(), ":", "-", 1))
	fallbackIdx, err := fallback.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	without := mutate.RemoveManifests(fallbackIdx, func(d v1.Descriptor) bool { return d.Digest.String() == arm64 })
	if err := remote.WriteIndex(fallbackRef, without, s.remoteOpts()...); err != nil {
		t.Fatal(err)
	}
	if line := verify().mustFail(t); !strings.Contains(line, "kfp-metadata-envoy: no SBOM for linux/arm64") {
		t.Errorf("the arm64 SBOM deleted:\n%s", tail(line, 15))
	}
	if err := remote.WriteIndex(fallbackRef, fallbackIdx, s.remoteOpts()...); err != nil {
		t.Fatal(err)
	}

	// Tampering 2: a statement signed by another key, stored as cosign's
	// legacy sha256-<hex>.att image.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var prov evidence.Statement
	for _, st := range statements {
		if st.PredicateType == evidence.ProvenanceType {
			prov = st
		}
	}
	js, err := json.Marshal(sealE2E(t, prov, other))
	if err != nil {
		t.Fatal(err)
	}
	att, err := mutate.AppendLayers(empty.Image, static.NewLayer(js, evidence.EnvelopeMediaType))
	if err != nil {
		t.Fatal(err)
	}
	attTag := parseRef(t, repo+"/kfp-metadata-envoy:"+strings.Replace(index.String(), ":", "-", 1)+".att")
	if err := remote.Write(attTag, mutate.MediaType(att, types.OCIManifestSchema1), s.remoteOpts()...); err != nil {
		t.Fatal(err)
	}
	if line := verify().mustFail(t); !strings.Contains(line, "kfp-metadata-envoy: sha256-"+index.Hex+".att layer 1 is not signed by the key") {
		t.Errorf("a statement signed by another key:\n%s", tail(line, 15))
	}

	// Tampering 3: the release tag re-pointed at another index (the same
	// platforms and commit, one annotation more).
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	moved := mutate.Annotations(idx, map[string]string{"e2e": "re-pointed"}).(v1.ImageIndex)
	movedDigest, _ := moved.Digest()
	if err := remote.WriteIndex(tagRef, moved, s.remoteOpts()...); err != nil {
		t.Fatal(err)
	}
	if line := verify().mustFail(t); !strings.Contains(line, "kfp-metadata-envoy: no provenance for "+movedDigest.String()) {
		t.Errorf("the tag re-pointed:\n%s", tail(line, 15))
	}
}

// pemBodyLine is the first line of a PEM block's base64 body: what a leak
// of the key would show.
func pemBodyLine(t *testing.T, pemData []byte) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(pemData)), "\n")
	if len(lines) < 3 || len(lines[1]) < 40 {
		t.Fatalf("not a PEM block: %.60q", pemData)
	}
	return lines[1]
}

// sealE2E is evidence.Seal, failing the test on error.
func sealE2E(t *testing.T, st evidence.Statement, key *ecdsa.PrivateKey) evidence.Envelope {
	t.Helper()
	env, err := evidence.Seal(st, key)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// signingKey is a cosign key pair a test made, with its password.
type signingKey struct {
	dir      string // cosign.key and cosign.pub
	password string
	pwFile   string // holds password
	mirror   string // the cosign and Trivy images come from here
}

// newSigningKey makes a cosign key pair with a password, as a release
// manager would (dagger call key-pair).
func newSigningKey(t *testing.T, e env, mirror string) signingKey {
	t.Helper()
	k := signingKey{dir: t.TempDir(), mirror: mirror,
		password: "e2e-signing-key-password-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	k.pwFile = filepath.Join(t.TempDir(), "key-password")
	if err := os.WriteFile(k.pwFile, []byte(k.password), 0o600); err != nil {
		t.Fatal(err)
	}
	e.dagger(t, slices.Concat(cosignWith(mirror), []string{"key-pair", "--password=file:" + k.pwFile, "export", "--path=" + k.dir})...).mustSucceed(t)
	return k
}

// setup is the module set-up that signs with the key: the mirror's cosign
// and Trivy, and with-signing-key.
func (k signingKey) setup() []string { return k.withPassword(k.pwFile) }

// withPassword is setup with the key's password read from pwFile.
func (k signingKey) withPassword(pwFile string) []string {
	return slices.Concat(cosignWith(k.mirror), trivyImage(k.mirror),
		[]string{"with-signing-key", "--key=file:" + filepath.Join(k.dir, "cosign.key"), "--password=file:" + pwFile})
}

// cosignWith is the with-cosign call for the mirror's cosign image.
func cosignWith(mirror string) []string {
	return []string{"with-cosign", "--image=" + mirror + "/projectsigstore/cosign:v3.1.3"}
}
