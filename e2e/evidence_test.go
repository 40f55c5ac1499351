package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kfp-dagger/kfp-dagger/internal/evidence"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// TestVerifyRelease publishes metadata-envoy, attaches its evidence the
// way cosign's legacy .att scheme stores it (signed here by a test key: the
// module does not yet make evidence), and runs verify-release with the
// public key alone: it passes; then, with the arm64 SBOM deleted and with
// evidence signed by another key, it fails with a line naming the image and
// the reason.
func TestVerifyRelease(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("evidence")
	version := uniqueVersion("2.97")
	auth := []string{"--username=" + e.username, "--password=file:" + e.passwordFile, e.tunnel()}
	e.dagger(t, append([]string{"--commit=" + testCommit, "--version=" + version, "publish", "--image=metadata-envoy",
		"--registry=" + repo, "--smoke=false"}, auth...)...).mustSucceed(t)
	desc, err := remote.Get(parseRef(t, repo+"/kfp-metadata-envoy:"+version), e.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	_, im := readIndex(t, desc)
	rec := release.Record{Image: "kfp-metadata-envoy", Repository: repo + "/kfp-metadata-envoy", Version: version,
		Commit: testCommit, Source: "https://github.com/kubeflow/pipelines", Index: desc.Digest}
	for _, m := range im.Manifests {
		rec.Platforms = append(rec.Platforms, release.PlatformManifest{Platform: m.Platform.OS + "/" + m.Platform.Architecture, Digest: m.Digest})
	}
	var sts []evidence.Statement
	prov, err := evidence.NewProvenance(rec, evidence.Build{BuilderID: "https://github.com/kfp-dagger/kfp-dagger/e2e", StartedOn: time.Now(), FinishedOn: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	sts = append(sts, prov)
	var smoke []evidence.SmokeResult
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		sb, err := evidence.NewSBOM(rec, []byte(`{"spdxVersion":"SPDX-2.3","name":"kfp-metadata-envoy `+p+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		sts = append(sts, sb)
		smoke = append(smoke, evidence.SmokeResult{Platform: p, Passed: true})
	}
	sm, err := evidence.NewSmoke(rec, smoke)
	if err != nil {
		t.Fatal(err)
	}
	sts = append(sts, sm)

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	attach := func(k *ecdsa.PrivateKey, sts []evidence.Statement) {
		t.Helper()
		att := empty.Image
		for _, st := range sts {
			js, _ := json.Marshal(sealE2E(t, st, k))
			if att, err = mutate.AppendLayers(att, static.NewLayer(js, evidence.EnvelopeMediaType)); err != nil {
				t.Fatal(err)
			}
		}
		tag := parseRef(t, repo+"/kfp-metadata-envoy:"+strings.Replace(desc.Digest.String(), ":", "-", 1)+".att").(name.Tag)
		if err := remote.Write(tag, mutate.MediaType(att, types.OCIManifestSchema1), e.remoteOpts()...); err != nil {
			t.Fatal(err)
		}
	}
	verify := func() result {
		return e.dagger(t, append([]string{"--commit=" + testCommit, "--version=" + version, "verify-release",
			"--registry=" + repo, "--images=metadata-envoy", "--public-key=" + pub}, auth...)...)
	}

	attach(key, sts)
	out := verify().mustSucceed(t)
	if !strings.Contains(out, "| kfp-metadata-envoy | "+desc.Digest.String()+" | "+testCommit+" | 4 | ok |") {
		t.Errorf("verify-release table:\n%s", out)
	}

	attach(key, append(append([]evidence.Statement{}, sts[:2]...), sts[3:]...))
	if stderr := verify().mustFail(t); !strings.Contains(stderr, "kfp-metadata-envoy: no SBOM for linux/arm64") {
		t.Errorf("the arm64 SBOM deleted:\n%s", tail(stderr, 15))
	}
	attach(other, sts)
	if stderr := verify().mustFail(t); !strings.Contains(stderr, "kfp-metadata-envoy: sha256-"+desc.Digest.Hex+".att layer 1 is not signed by the key") {
		t.Errorf("evidence signed by another key:\n%s", tail(stderr, 15))
	}
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
