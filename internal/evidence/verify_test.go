package evidence

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kfp-dagger/kfp-dagger/internal/labels"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// publishIndex pushes a two-platform index whose images carry the revision
// label, tags it, and returns its digest.
func publishIndex(t *testing.T, repo name.Repository, tag, revision string) v1.Hash {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := img.ConfigFile()
		cfg = cfg.DeepCopy()
		cfg.Architecture, cfg.OS = arch, "linux"
		cfg.Config.Labels = map[string]string{labels.Revision: revision}
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	if err := remote.WriteIndex(repo.Tag(tag), idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	return d
}

// attachAtt writes the statements, sealed with key, as the layers of the
// legacy sha256-<hex>.att image of digest.
func attachAtt(t *testing.T, repo name.Repository, digest v1.Hash, key *ecdsa.PrivateKey, sts []Statement) {
	t.Helper()
	att := empty.Image
	var err error
	for _, st := range sts {
		js, _ := json.Marshal(seal(t, st, key))
		if att, err = mutate.AppendLayers(att, static.NewLayer(js, EnvelopeMediaType)); err != nil {
			t.Fatal(err)
		}
	}
	if err := remote.Write(repo.Tag(strings.Replace(digest.String(), ":", "-", 1)+".att"), mutate.MediaType(att, types.OCIManifestSchema1)); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyRelease publishes an index with its full evidence in an
// in-process registry and verifies it with the public key alone; then each
// tampering fails the image with one line that says why.
func TestVerifyRelease(t *testing.T) {
	ctx := context.Background()
	repo := newTestRepo(t)
	reg, err := release.NewRemote()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	digest := publishIndex(t, repo, "2.5.0", commit)
	rec := record(t)
	rec.Repository, rec.Index = repo.String(), digest
	sts := evidence(t, rec)
	attachAtt(t, repo, digest, key, sts)
	targets := []Target{{Image: "kfp-driver", Repository: repo.String(), Platforms: []string{"linux/amd64", "linux/arm64"}}}

	verify := func() Row {
		t.Helper()
		rows, err := VerifyRelease(ctx, reg, &key.PublicKey, "2.5.0", targets, true)
		if err != nil || len(rows) != 1 {
			t.Fatalf("VerifyRelease: %v, %v", rows, err)
		}
		return rows[0]
	}
	if row := verify(); len(row.Failures) != 0 || row.Statements != 5 || row.Index != digest || row.Commit != commit {
		t.Fatalf("the untouched release: %+v", row)
	}

	expectFailure := func(what, want string) {
		t.Helper()
		row := verify()
		for _, f := range row.Failures {
			if strings.HasPrefix(f, want) {
				return
			}
		}
		t.Errorf("%s: failures %q, want one starting %q", what, row.Failures, want)
	}

	// One attestation deleted: the arm64 SBOM.
	attachAtt(t, repo, digest, key, append(append([]Statement{}, sts[:2]...), sts[3:]...))
	expectFailure("the arm64 SBOM deleted", "kfp-driver: no SBOM for linux/arm64")

	// Evidence signed by another key.
	attachAtt(t, repo, digest, other, sts)
	expectFailure("evidence signed by another key", "kfp-driver: sha256-"+digest.Hex+".att layer 1 is not signed by the key")
	attachAtt(t, repo, digest, key, sts)

	// The release tag re-pointed at another index (with no evidence).
	publishIndex(t, repo, "2.5.0", commit)
	expectFailure("the tag re-pointed", "kfp-driver: no provenance for ")

	// No tag at all.
	rows, err := VerifyRelease(ctx, reg, &key.PublicKey, "9.9.9", targets, true)
	if err != nil || len(rows) != 1 || len(rows[0].Failures) != 1 || rows[0].Failures[0] != "kfp-driver: no tag 9.9.9" {
		t.Errorf("a missing tag: %+v, %v", rows, err)
	}
}
