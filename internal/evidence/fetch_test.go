package evidence

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// TestFetch attaches evidence to an image in an in-process registry the two
// ways cosign v3 does (a Sigstore bundle listed under the referrers
// fallback tag, and a legacy .att layer), and reads both back.
func TestFetch(t *testing.T) {
	ctx := context.Background()
	repo := newTestRepo(t)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Digest(digest.String()), img); err != nil {
		t.Fatal(err)
	}
	reg, err := release.NewRemote()
	if err != nil {
		t.Fatal(err)
	}

	// Nothing attached: nothing found, no error.
	found, err := Fetch(ctx, reg, repo, digest)
	if err != nil || len(found) != 0 {
		t.Fatalf("Fetch with no evidence: %v, %v", found, err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t)
	rec.Index = digest
	sts := evidence(t, rec)
	tag := strings.Replace(digest.String(), ":", "-", 1)

	// A Sigstore bundle manifest whose subject is the image, listed in the
	// fallback tag's index, as go-containerregistry writes it for cosign.
	bundle, _ := json.Marshal(map[string]any{
		"mediaType":            string(BundleMediaType),
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": "x"}},
		"dsseEnvelope":         seal(t, sts[0], key),
	})
	layer := static.NewLayer(bundle, BundleMediaType)
	if err := remote.WriteLayer(repo, layer); err != nil {
		t.Fatal(err)
	}
	cfg := static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json")
	if err := remote.WriteLayer(repo, cfg); err != nil {
		t.Fatal(err)
	}
	desc := func(l v1.Layer) v1.Descriptor {
		d, _ := l.Digest()
		n, _ := l.Size()
		mt, _ := l.MediaType()
		return v1.Descriptor{MediaType: mt, Digest: d, Size: n}
	}
	imgDesc, _ := remote.Head(repo.Digest(digest.String()))
	raw, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": types.OCIManifestSchema1,
		"artifactType": BundleMediaType, "config": desc(cfg), "layers": []v1.Descriptor{desc(layer)}, "subject": imgDesc})
	bm, err := release.NewManifest(types.OCIManifestSchema1, raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Put(ctx, repo.Digest(bm.Descriptor.Digest.String()), bm); err != nil {
		t.Fatal(err)
	}
	bd := bm.Descriptor
	bd.ArtifactType = string(BundleMediaType)
	raw, _ = json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{bd}})
	im, err := release.NewManifest(types.OCIImageIndex, raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Put(ctx, repo.Tag(tag), im); err != nil {
		t.Fatal(err)
	}

	// A legacy .att image with two envelope layers.
	att := empty.Image
	for _, st := range sts[1:3] {
		js, _ := json.Marshal(seal(t, st, key))
		if att, err = mutate.AppendLayers(att, static.NewLayer(js, EnvelopeMediaType)); err != nil {
			t.Fatal(err)
		}
	}
	att = mutate.MediaType(att, types.OCIManifestSchema1)
	if err := remote.Write(repo.Tag(tag+".att"), att); err != nil {
		t.Fatal(err)
	}

	found, err = Fetch(ctx, reg, repo, digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 || !strings.HasPrefix(found[0].Where, "bundle sha256:") || found[2].Where != tag+".att layer 2" {
		t.Fatalf("found %d: %+v", len(found), found)
	}
	var predicates []string
	for _, f := range found {
		st, err := Open(f.Envelope, &key.PublicKey)
		if err != nil {
			t.Fatalf("%s: %v", f.Where, err)
		}
		predicates = append(predicates, st.PredicateType)
	}
	if strings.Join(predicates, ",") != ProvenanceType+","+SPDXType+","+SPDXType {
		t.Errorf("predicate types %q", predicates)
	}
}

// newTestRepo starts go-containerregistry's in-process registry for the
// test and returns the kfp-driver repository on it.
func newTestRepo(t *testing.T) name.Repository {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/kubeflow/kfp-driver")
	if err != nil {
		t.Fatal(err)
	}
	return repo
}
