package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/kfp-dagger/kfp-dagger/internal/labels"
)

// State is what a tag holds compared with the digest a promotion wants it
// to hold.
type State int

// The states of a tag.
const (
	// Absent means the registry says the tag does not exist.
	Absent State = iota + 1
	// Same means the tag already holds the wanted digest: nothing to do.
	Same
	// Other means the tag holds another digest.
	Other
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Same:
		return "same"
	case Other:
		return "other"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Decision is what a tag holds now, decided before a promotion writes it.
type Decision struct {
	// State says whether the tag is absent, holds the wanted digest, or
	// another one.
	State State
	// Have is the digest the tag holds (Same and Other).
	Have v1.Hash
	// HaveCommit is the commit of what the tag holds when Other: the
	// revision label of the image (for an index, of its first platform
	// image). Empty when it cannot be read.
	HaveCommit string
}

// Decide reads what the tag of w holds now. The tag is [Absent] only when
// the registry says so in a typed error (see [IsAbsent]); any other failure
// to read it, a 401, a 5xx after the retry budget, a timeout, or a 404 that
// does not come with a registry error code, is an error: a promotion must
// not take a tag it cannot see for one that is not there.
func Decide(ctx context.Context, reg Registry, w TagWrite) (Decision, error) {
	repo, err := name.NewRepository(w.Repository)
	if err != nil {
		return Decision{}, fmt.Errorf("read %s:%s: %w", w.Repository, w.Tag, err)
	}
	ref := repo.Tag(w.Tag)
	m, err := reg.Get(ctx, ref)
	if err != nil {
		if IsAbsent(err) {
			return Decision{State: Absent}, nil
		}
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return Decision{}, fmt.Errorf("cannot tell what %s holds: the answer was 404 without a MANIFEST_UNKNOWN or NAME_UNKNOWN error code, so it may not come from the registry: %w", ref, err)
		}
		return Decision{}, fmt.Errorf("cannot tell what %s holds: %w", ref, err)
	}
	if m.Descriptor.Digest == w.Digest {
		return Decision{State: Same, Have: m.Descriptor.Digest}, nil
	}
	d := Decision{State: Other, Have: m.Descriptor.Digest}
	commit, err := commitOf(ctx, reg, repo, m)
	if err != nil && ctx.Err() != nil {
		return Decision{}, fmt.Errorf("read %s: %w", ref, err)
	}
	d.HaveCommit = commit
	return d, nil
}

// IsAbsent reports whether err says, in a typed registry error, that a
// manifest or repository does not exist: a *transport.Error of status 404
// whose error codes are all MANIFEST_UNKNOWN or NAME_UNKNOWN (at least
// one). An error's text never counts.
func IsAbsent(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusNotFound || len(te.Errors) == 0 {
		return false
	}
	for _, d := range te.Errors {
		if d.Code != transport.ManifestUnknownErrorCode && d.Code != transport.NameUnknownErrorCode {
			return false
		}
	}
	return true
}

// commitOf returns the revision label of the image m is, or of the first
// platform image of the index m is.
func commitOf(ctx context.Context, reg Registry, repo name.Repository, m Manifest) (string, error) {
	digest := m.Descriptor.Digest
	if m.Descriptor.MediaType.IsIndex() {
		im, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
		if err != nil {
			return "", err
		}
		found := false
		for _, c := range im.Manifests {
			if c.MediaType.IsImage() && (c.Platform == nil || platformString(*c.Platform) != "unknown/unknown") {
				digest, found = c.Digest, true
				break
			}
		}
		if !found {
			return "", fmt.Errorf("index %s holds no platform image", m.Descriptor.Digest)
		}
	}
	img, err := readImage(ctx, reg, repo, digest)
	if err != nil {
		return "", err
	}
	return img.config.Config.Labels[labels.Revision], nil
}
