package release

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kfp-dagger/kfp-dagger/internal/labels"
)

// Check is a test the caller runs on one staged platform image before
// anything is promoted, such as a smoke run or a vulnerability scan gate.
// A non-nil error fails verification with its message.
type Check func(ctx context.Context, image, platform string, digest v1.Hash) error

// Expect is what [Verify] holds a staged index to.
type Expect struct {
	// Platforms are the platforms the image ships, from the catalog.
	Platforms []string
	// Checks run on every expected platform the index holds.
	Checks []Check
}

// FailureKind classifies a verification failure.
type FailureKind string

// The kinds of verification failure.
const (
	// FailPlatforms is a platform missing from the index, one it holds but
	// should not, one it holds twice, or a child without a platform.
	FailPlatforms FailureKind = "platforms"
	// FailDigest is a child whose digest is not the one the record staged.
	FailDigest FailureKind = "digest"
	// FailRevision is an image whose revision label is not the commit.
	FailRevision FailureKind = "revision"
	// FailVersion is an image whose version label is not the version.
	FailVersion FailureKind = "version"
	// FailRead is a child manifest or config that could not be read.
	FailRead FailureKind = "read"
	// FailCheck is a [Check] that failed.
	FailCheck FailureKind = "check"
)

// Failure is one verification failure.
type Failure struct {
	// Platform is the platform it concerns; empty for the index itself.
	Platform string
	// Kind classifies it.
	Kind FailureKind
	// Message says what is wrong, with the values found and wanted.
	Message string
}

// String returns the platform, the kind and the message.
func (f Failure) String() string {
	if f.Platform == "" {
		return fmt.Sprintf("%s: %s", f.Kind, f.Message)
	}
	return fmt.Sprintf("%s: %s: %s", f.Platform, f.Kind, f.Message)
}

// VerifyResult is the outcome of verifying one image.
type VerifyResult struct {
	// Image is the record's image.
	Image string
	// Index is the digest of the index verified.
	Index v1.Hash
	// Failures lists every failure found; none means verified.
	Failures []Failure
}

// OK reports whether the image passed every rule and check.
func (r VerifyResult) OK() bool { return len(r.Failures) == 0 }

// Err returns nil when the image passed, and otherwise a [*VerifyError]
// listing every failure.
func (r VerifyResult) Err() error {
	if r.OK() {
		return nil
	}
	return &VerifyError{Image: r.Image, Index: r.Index, Failures: slices.Clone(r.Failures)}
}

// VerifyError is a staged image that failed verification.
type VerifyError struct {
	// Image is the image.
	Image string
	// Index is the digest of the index verified.
	Index v1.Hash
	// Failures lists every failure.
	Failures []Failure
}

// Error names the image and index and lists every failure on one line.
func (e *VerifyError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = f.String()
	}
	noun := "failures"
	if len(parts) == 1 {
		noun = "failure"
	}
	return fmt.Sprintf("verify %s (index %s): %d %s: %s", e.Image, e.Index, len(parts), noun, strings.Join(parts, "; "))
}

// Verify reads the staged index of rec back from the registry, by digest,
// and checks it against the record and expect: exactly the expected
// platforms, each once; each child the digest the record staged; each
// image's config labelled with the record's commit (labels.Revision) and
// version (labels.Version) and built for the platform the index says; and
// every Check passes. It returns every failure in the result; its error is
// only for what stops verification altogether: an invalid record or
// expectation, no index to verify, an index that cannot be read, or ctx
// ending.
func Verify(ctx context.Context, reg Registry, rec Record, expect Expect) (VerifyResult, error) {
	res := VerifyResult{Image: rec.Image, Index: rec.Index}
	fail := func(err error) (VerifyResult, error) {
		return res, fmt.Errorf("verify %s: %w", rec.Image, err)
	}
	if err := rec.Validate(); err != nil {
		return fail(err)
	}
	if !hasDigest(rec.Index) {
		return fail(fmt.Errorf("the record has no index digest: assemble the index first"))
	}
	if len(expect.Platforms) == 0 {
		return fail(fmt.Errorf("no expected platforms given"))
	}
	for _, p := range expect.Platforms {
		if _, err := parsePlatform(p); err != nil {
			return fail(err)
		}
	}
	repo, err := name.NewRepository(rec.Repository)
	if err != nil {
		return fail(err)
	}
	add := func(platform string, kind FailureKind, format string, args ...any) {
		res.Failures = append(res.Failures, Failure{Platform: platform, Kind: kind, Message: fmt.Sprintf(format, args...)})
	}

	m, err := reg.Get(ctx, repo.Digest(rec.Index.String()))
	if err != nil {
		return fail(err)
	}
	if !m.Descriptor.MediaType.IsIndex() {
		add("", FailPlatforms, "%s is a %s, not an image index", rec.Index, m.Descriptor.MediaType)
		return res, nil
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
	if err != nil {
		add("", FailPlatforms, "index %s cannot be parsed: %v", rec.Index, err)
		return res, nil
	}

	// The index's children by (normalized) platform, in index order.
	children := map[string][]v1.Descriptor{}
	var order []string
	for _, d := range im.Manifests {
		if d.Platform == nil {
			add("", FailPlatforms, "child %s has no platform", d.Digest)
			continue
		}
		p := normalPlatform(platformString(*d.Platform))
		if _, ok := children[p]; !ok {
			order = append(order, p)
		}
		children[p] = append(children[p], d)
	}
	expected := func(p string) bool {
		return slices.ContainsFunc(expect.Platforms, func(e string) bool { return samePlatform(e, p) })
	}
	for _, p := range order {
		if !expected(p) {
			add(p, FailPlatforms, "the index holds %s (%s), which the image does not ship (it ships %s)", p, children[p][0].Digest, strings.Join(expect.Platforms, ", "))
		}
		if ds := children[p]; len(ds) > 1 {
			digests := make([]string, len(ds))
			for i, d := range ds {
				digests[i] = d.Digest.String()
			}
			add(p, FailPlatforms, "the index holds %s %d times (%s)", p, len(ds), strings.Join(digests, ", "))
		}
	}

	for _, want := range expect.Platforms {
		ds := children[normalPlatform(want)]
		if len(ds) == 0 {
			add(want, FailPlatforms, "missing from the index")
			continue
		}
		child := ds[0]
		i := slices.IndexFunc(rec.Platforms, func(p PlatformManifest) bool { return samePlatform(p.Platform, want) })
		switch {
		case i < 0:
			add(want, FailDigest, "the index holds %s but the record staged no %s", child.Digest, want)
		case rec.Platforms[i].Digest != child.Digest:
			add(want, FailDigest, "the index holds %s, the record staged %s", child.Digest, rec.Platforms[i].Digest)
		}
		img, err := readImage(ctx, reg, repo, child.Digest)
		if err != nil {
			if ctx.Err() != nil {
				return fail(err)
			}
			add(want, FailRead, "%v", err)
		} else {
			if cp := img.config.Platform(); cp == nil || !samePlatform(platformString(*cp), want) {
				got := "no platform"
				if cp != nil {
					got = platformString(*cp)
				}
				add(want, FailPlatforms, "the index says %s but the image config says %s", want, got)
			}
			got := img.config.Config.Labels
			if v := got[labels.Revision]; v != rec.Commit {
				add(want, FailRevision, "label %s is %q, want %q", labels.Revision, v, rec.Commit)
			}
			if v := got[labels.Version]; v != rec.Version {
				add(want, FailVersion, "label %s is %q, want %q", labels.Version, v, rec.Version)
			}
		}
		for _, check := range expect.Checks {
			if err := check(ctx, rec.Image, want, child.Digest); err != nil {
				if ctx.Err() != nil {
					return fail(err)
				}
				add(want, FailCheck, "%s", oneLine(err))
			}
		}
	}
	return res, nil
}
