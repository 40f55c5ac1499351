package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// Media types of cosign's attestations.
const (
	// BundleMediaType is a Sigstore bundle v0.3: cosign v3's default.
	BundleMediaType types.MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// EnvelopeMediaType is a DSSE envelope layer of a sha256-<hex>.att image.
	EnvelopeMediaType types.MediaType = "application/vnd.dsse.envelope.v1+json"
)

// Found is one envelope attached to an image, and where it was found.
type Found struct {
	Envelope Envelope
	// Where names the manifest (and layer) it came from, for failure lines.
	Where string
}

// Fetch returns every DSSE envelope attached to the manifest at digest in
// repo, as stock cosign v3 stores them: Sigstore bundles listed under the
// referrers fallback tag sha256-<hex> (a registry without the referrers
// API, such as distribution v3), and the layers of the legacy
// sha256-<hex>.att image. A tag that is absent (a typed MANIFEST_UNKNOWN
// or NAME_UNKNOWN) contributes nothing; every other failure is returned.
// Every call goes through reg, which retries and bounds it.
func Fetch(ctx context.Context, reg release.Registry, repo name.Repository, digest v1.Hash) ([]Found, error) {
	tag := strings.Replace(digest.String(), ":", "-", 1)
	var out []Found

	idx, err := reg.Get(ctx, repo.Tag(tag))
	switch {
	case release.IsAbsent(err):
	case err != nil:
		return nil, fmt.Errorf("evidence of %s@%s: %w", repo, digest, err)
	default:
		var im v1.IndexManifest
		if err := json.Unmarshal(idx.Raw, &im); err != nil {
			return nil, fmt.Errorf("evidence of %s@%s: the tag %s is not an index: %w", repo, digest, tag, err)
		}
		for _, d := range im.Manifests {
			if d.ArtifactType != string(BundleMediaType) {
				continue
			}
			layers, err := layersOf(ctx, reg, repo.Digest(d.Digest.String()))
			if err != nil { // listed but unreadable, even absent: fail closed
				return nil, fmt.Errorf("evidence of %s@%s: bundle %s: %w", repo, digest, d.Digest, err)
			}
			for _, l := range layers {
				if l.MediaType != BundleMediaType {
					continue
				}
				data, err := reg.Blob(ctx, repo, l.Digest)
				if err != nil {
					return nil, fmt.Errorf("bundle %s: %w", d.Digest, err)
				}
				var b struct {
					DSSE *Envelope `json:"dsseEnvelope"`
				}
				if err := json.Unmarshal(data, &b); err != nil || b.DSSE == nil {
					return nil, fmt.Errorf("bundle %s holds no DSSE envelope", d.Digest)
				}
				out = append(out, Found{Envelope: *b.DSSE, Where: "bundle " + d.Digest.String()})
			}
		}
	}

	layers, err := layersOf(ctx, reg, repo.Tag(tag+".att"))
	switch {
	case release.IsAbsent(err):
	case err != nil:
		return nil, fmt.Errorf("evidence of %s@%s: %w", repo, digest, err)
	default:
		for i, l := range layers {
			if l.MediaType != EnvelopeMediaType {
				continue
			}
			data, err := reg.Blob(ctx, repo, l.Digest)
			if err != nil {
				return nil, fmt.Errorf("%s.att layer %d: %w", tag, i+1, err)
			}
			var env Envelope
			if err := json.Unmarshal(data, &env); err != nil {
				return nil, fmt.Errorf("%s.att layer %d is not a DSSE envelope: %w", tag, i+1, err)
			}
			out = append(out, Found{Envelope: env, Where: fmt.Sprintf("%s.att layer %d", tag, i+1)})
		}
	}
	return out, nil
}

// layersOf reads the image manifest ref names and returns its layers; the
// error is release.IsAbsent when the registry says there is none.
func layersOf(ctx context.Context, reg release.Registry, ref name.Reference) ([]v1.Descriptor, error) {
	m, err := reg.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	var mf v1.Manifest
	if err := json.Unmarshal(m.Raw, &mf); err != nil {
		return nil, fmt.Errorf("%s is not an image manifest: %w", ref, err)
	}
	return mf.Layers, nil
}
