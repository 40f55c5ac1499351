package evidence

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kfp-dagger/kfp-dagger/internal/labels"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// Target is one published image verify-release checks.
type Target struct {
	Image      string   // e.g. kfp-driver
	Repository string   // e.g. ghcr.io/kubeflow/kfp-driver
	Platforms  []string // the platforms it ships
}

// Row is verify-release's verdict on one image.
type Row struct {
	Image string
	// Index is what the tag points at; zero when the tag is absent.
	Index v1.Hash
	// Commit is the revision the index's images claim.
	Commit string
	// Statements counts the attestations that verified with the key.
	Statements int
	// Failures are one line each; none means the image passed.
	Failures []string
}

// VerifyRelease checks, for every target, the index under tag and the
// evidence attached to it: the tag present, its images' revision label (the
// commit the tag claims) one and the same, every attestation signed by key,
// and [Check]'s rules. It reads through reg, which retries; a registry that
// cannot answer is an error (nothing is decided from it), a broken rule a
// failure in the image's row.
func VerifyRelease(ctx context.Context, reg release.Registry, key crypto.PublicKey, tag string, targets []Target, requireScan bool) ([]Row, error) {
	var rows []Row
	for _, t := range targets {
		row := Row{Image: t.Image}
		fail := func(format string, args ...any) {
			row.Failures = append(row.Failures, t.Image+": "+fmt.Sprintf(format, args...))
		}
		repo, err := name.NewRepository(t.Repository)
		if err != nil {
			return nil, fmt.Errorf("verify %s: %w", t.Image, err)
		}
		idx, err := reg.Get(ctx, repo.Tag(tag))
		switch {
		case release.IsAbsent(err):
			fail("no tag %s", tag)
			rows = append(rows, row)
			continue
		case err != nil:
			return nil, fmt.Errorf("verify %s: %w", t.Image, err)
		}
		row.Index = idx.Descriptor.Digest
		if row.Commit, err = claimedCommit(ctx, reg, repo, idx); err != nil {
			fail("%v", err)
		}
		found, err := Fetch(ctx, reg, repo, row.Index)
		if err != nil {
			return nil, fmt.Errorf("verify %s: %w", t.Image, err)
		}
		var statements []Statement
		for _, f := range found {
			st, err := Open(f.Envelope, key)
			if errors.Is(err, ErrBadSignature) {
				fail("%s is not signed by the key", f.Where)
				continue
			}
			if err != nil {
				fail("%s: %v", f.Where, err)
				continue
			}
			statements = append(statements, st)
		}
		row.Statements = len(statements)
		row.Failures = append(row.Failures, Check(Expect{Image: t.Image, Index: row.Index, Commit: row.Commit,
			Platforms: t.Platforms, Scan: requireScan}, statements)...)
		rows = append(rows, row)
	}
	return rows, nil
}

// claimedCommit is the revision label the index's images all carry.
func claimedCommit(ctx context.Context, reg release.Registry, repo name.Repository, idx release.Manifest) (string, error) {
	var im v1.IndexManifest
	if err := json.Unmarshal(idx.Raw, &im); err != nil || len(im.Manifests) == 0 {
		return "", fmt.Errorf("the tag does not hold an image index")
	}
	var commits []string
	for _, d := range im.Manifests {
		m, err := reg.Get(ctx, repo.Digest(d.Digest.String()))
		if err != nil {
			return "", fmt.Errorf("platform manifest %s: %w", d.Digest, err)
		}
		var mf v1.Manifest
		if err := json.Unmarshal(m.Raw, &mf); err != nil {
			return "", fmt.Errorf("platform manifest %s: %w", d.Digest, err)
		}
		data, err := reg.Blob(ctx, repo, mf.Config.Digest)
		if err != nil {
			return "", fmt.Errorf("image config %s: %w", mf.Config.Digest, err)
		}
		var cfg v1.ConfigFile
		if err := json.Unmarshal(data, &cfg); err != nil {
			return "", fmt.Errorf("image config %s: %w", mf.Config.Digest, err)
		}
		if c := cfg.Config.Labels[labels.Revision]; !slices.Contains(commits, c) {
			commits = append(commits, c)
		}
	}
	if len(commits) != 1 || commits[0] == "" {
		return "", fmt.Errorf("the platform images claim commits %q, want one", commits)
	}
	return commits[0], nil
}
