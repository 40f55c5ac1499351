package release

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// AssembleIndex builds the OCI image index of a merged record from the
// platform manifests already in the registry, pushes it under the staging
// index tag ([IndexStagingTag]) and returns its digest, which the caller
// stores in the record's Index. Nothing is rebuilt or re-uploaded: each
// platform manifest is read by digest, and its descriptor (media type,
// size, digest) and platform (from its image config) go into the index.
// A manifest whose config names another platform than the record says is
// an error.
func AssembleIndex(ctx context.Context, reg Registry, rec Record) (v1.Hash, error) {
	fail := func(err error) (v1.Hash, error) {
		return v1.Hash{}, fmt.Errorf("assemble index of %s: %w", rec.Image, err)
	}
	if err := rec.Validate(); err != nil {
		return fail(err)
	}
	repo, err := name.NewRepository(rec.Repository)
	if err != nil {
		return fail(err)
	}
	tag, err := IndexStagingTag(rec.Commit, rec.Version)
	if err != nil {
		return fail(err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range rec.Platforms {
		img, err := readImage(ctx, reg, repo, p.Digest)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", p.Platform, err))
		}
		plat := img.config.Platform()
		if plat == nil || !samePlatform(platformString(*plat), p.Platform) {
			got := "no platform"
			if plat != nil {
				got = platformString(*plat)
			}
			return fail(fmt.Errorf("the manifest staged as %s (%s) is an image for %s", p.Platform, p.Digest, got))
		}
		d := img.manifest.Descriptor
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img.manifest,
			Descriptor: v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest, Platform: plat},
		})
	}
	raw, err := idx.RawManifest()
	if err != nil {
		return fail(err)
	}
	m, err := NewManifest(types.OCIImageIndex, raw)
	if err != nil {
		return fail(err)
	}
	if err := reg.Put(ctx, repo.Tag(tag), m); err != nil {
		return fail(err)
	}
	return m.Descriptor.Digest, nil
}

// stagedImage is a platform image read back from the registry.
type stagedImage struct {
	manifest Manifest
	parsed   *v1.Manifest
	config   *v1.ConfigFile
}

// readImage reads the image manifest with the given digest and its config.
func readImage(ctx context.Context, reg Registry, repo name.Repository, digest v1.Hash) (stagedImage, error) {
	m, err := reg.Get(ctx, repo.Digest(digest.String()))
	if err != nil {
		return stagedImage{}, err
	}
	if m.Descriptor.Digest != digest {
		return stagedImage{}, fmt.Errorf("the registry returned %s for %s", m.Descriptor.Digest, digest)
	}
	if !m.Descriptor.MediaType.IsImage() {
		return stagedImage{}, fmt.Errorf("%s is a %s, not an image manifest", digest, m.Descriptor.MediaType)
	}
	parsed, err := v1.ParseManifest(bytes.NewReader(m.Raw))
	if err != nil {
		return stagedImage{}, fmt.Errorf("manifest %s: %w", digest, err)
	}
	raw, err := reg.Blob(ctx, repo, parsed.Config.Digest)
	if err != nil {
		return stagedImage{}, fmt.Errorf("config of %s: %w", digest, err)
	}
	if h, _, err := v1.SHA256(bytes.NewReader(raw)); err != nil || h != parsed.Config.Digest {
		return stagedImage{}, fmt.Errorf("config of %s: content does not match digest %s", digest, parsed.Config.Digest)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return stagedImage{}, fmt.Errorf("config of %s: %w", digest, err)
	}
	return stagedImage{manifest: m, parsed: parsed, config: cfg}, nil
}
