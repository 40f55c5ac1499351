package release

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var both = []string{"linux/amd64", "linux/arm64"}

func TestAssembleIndex(t *testing.T) {
	var log requestLog
	reg := newTestRegistry(t, log.wrap)
	ctx := context.Background()
	amd := reg.stage(t, "kfp-driver", commitA, "2.5.0", []string{"linux/amd64"})
	arm := reg.stage(t, "kfp-driver", commitA, "2.5.0", []string{"linux/arm64"})
	merged, err := Merge([]Record{arm, amd}, map[string][]string{"kfp-driver": both})
	if err != nil {
		t.Fatal(err)
	}
	r := newTestRemote(t)
	d, err := AssembleIndex(ctx, r, merged[0])
	if err != nil {
		t.Fatal(err)
	}

	desc, err := remote.Get(reg.directRef(t, "kfp-driver", d.String()))
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != types.OCIImageIndex {
		t.Errorf("media type = %s, want %s", desc.MediaType, types.OCIImageIndex)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Fatalf("index has %d children, want 2: %+v", len(im.Manifests), im.Manifests)
	}
	for i, want := range merged[0].Platforms {
		c := im.Manifests[i]
		if c.Platform == nil || platformString(*c.Platform) != want.Platform {
			t.Errorf("child %d platform = %v, want %s", i, c.Platform, want.Platform)
		}
		if c.Digest != want.Digest {
			t.Errorf("child %d digest = %s, want %s", i, c.Digest, want.Digest)
		}
		if c.MediaType != types.OCIManifestSchema1 || c.Size <= 0 {
			t.Errorf("child %d descriptor = %+v, want an OCI manifest with its size", i, c)
		}
	}
	stagingTag, _ := IndexStagingTag(commitA, "2.5.0")
	if got := reg.holds(t, "kfp-driver", stagingTag); got != d {
		t.Errorf("%s holds %s, want the index %s", stagingTag, got, d)
	}
	// Only the index was written: no platform manifest, no blob.
	if puts := log.tagPuts(); len(puts) != 1 || puts[0] != "kfp-driver:"+stagingTag {
		t.Errorf("manifest PUTs = %v, want only the index under %s", puts, stagingTag)
	}
	for _, r := range log.requests() {
		if strings.HasPrefix(r, "POST ") || strings.HasPrefix(r, "PATCH ") {
			t.Errorf("assembling uploaded something: %s", r)
		}
	}

	// Assembling again gives the same index: a rerun is idempotent.
	again, err := AssembleIndex(ctx, r, merged[0])
	if err != nil || again != d {
		t.Errorf("second AssembleIndex = %s, %v; want %s", again, err, d)
	}
}

func TestAssembleIndexWrongPlatform(t *testing.T) {
	reg := newTestRegistry(t, nil)
	rec := reg.stage(t, "kfp-driver", commitA, "2.5.0", both)
	rec.Platforms[0].Platform, rec.Platforms[1].Platform = "linux/arm64", "linux/amd64"
	_, err := AssembleIndex(context.Background(), newTestRemote(t), rec)
	if err == nil || !strings.Contains(err.Error(), "staged as linux/arm64") || !strings.Contains(err.Error(), "is an image for linux/amd64") {
		t.Errorf("AssembleIndex = %v, want a platform mismatch", err)
	}
}

func TestAssembleIndexMissingManifest(t *testing.T) {
	reg := newTestRegistry(t, nil)
	rec := reg.stage(t, "kfp-driver", commitA, "2.5.0", []string{"linux/amd64"})
	rec.Platforms = append(rec.Platforms, PlatformManifest{Platform: "linux/arm64", Digest: hash(t, 'b')})
	_, err := AssembleIndex(context.Background(), newTestRemote(t), rec)
	if err == nil || !strings.Contains(err.Error(), "linux/arm64") || !strings.Contains(err.Error(), reg.host) {
		t.Errorf("AssembleIndex = %v, want an error naming the platform and registry", err)
	}
	t.Log(err)
}
