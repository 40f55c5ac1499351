package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

// Latest is the moving tag of the newest release.
const Latest = "latest"

// Target is an image and the repository it is published in.
type Target struct {
	// Image is the catalog name, e.g. kfp-driver.
	Image string
	// Repository is e.g. ghcr.io/kubeflow/kfp-driver.
	Repository string
}

// Target returns the record's image and repository.
func (r Record) Target() Target { return Target{Image: r.Image, Repository: r.Repository} }

// TagWrite is one tag a promotion points at a digest.
type TagWrite struct {
	// Image is the catalog name of the image.
	Image string
	// Repository is the image's repository.
	Repository string
	// Tag is the tag to write.
	Tag string
	// Digest is the index (or manifest) the tag must hold.
	Digest v1.Hash
	// Commit is the source commit of Digest.
	Commit string
	// Immutable marks a release version or commit tag (see
	// internal/tags.Immutable): once written, only a forced promotion of
	// its image may point it elsewhere.
	Immutable bool
}

// String returns repository:tag -> digest.
func (w TagWrite) String() string { return fmt.Sprintf("%s:%s -> %s", w.Repository, w.Tag, w.Digest) }

// Plan returns the tag writes that promote merged, verified records: the
// tags internal/tags computes for each record's commit and version (master
// and the commit for master; X.Y.Z, latest when asked, and the commit for a
// release), every immutable tag of every image first, then every moving
// tag, images in name order within each group. So no moving tag moves
// before every immutable tag is in place. Each record needs its index
// digest, and there must be one record per image.
func Plan(records []Record, latest bool) ([]TagWrite, error) {
	var immutable, moving []TagWrite
	seen := map[string]bool{}
	sorted := slices.Clone(records)
	slices.SortStableFunc(sorted, func(a, b Record) int { return strings.Compare(a.Image, b.Image) })
	for _, r := range sorted {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("plan promotion: %w", err)
		}
		if seen[r.Image] {
			return nil, fmt.Errorf("plan promotion: two records of %s: merge the records first", r.Image)
		}
		seen[r.Image] = true
		if !hasDigest(r.Index) {
			return nil, fmt.Errorf("plan promotion: %s has no index digest: assemble and verify the index first", r.Image)
		}
		tr := tags.Trigger{Kind: tags.Release, Version: r.Version, Latest: latest, Commit: r.Commit}
		if r.Version == Master {
			tr = tags.Trigger{Kind: tags.Master, Latest: latest, Commit: r.Commit}
		}
		ts, err := tags.Compute(tr)
		if err != nil {
			return nil, fmt.Errorf("plan promotion of %s: %w", r.Image, err)
		}
		if _, err := tags.References(registryOf(r.Repository), r.Image, ts); err != nil {
			return nil, fmt.Errorf("plan promotion of %s: %w", r.Image, err)
		}
		for _, t := range ts {
			w := TagWrite{Image: r.Image, Repository: r.Repository, Tag: t, Digest: r.Index, Commit: r.Commit, Immutable: tags.Immutable(t)}
			if w.Immutable {
				immutable = append(immutable, w)
			} else {
				moving = append(moving, w)
			}
		}
	}
	return append(immutable, moving...), nil
}

// registryOf returns the part of a repository before its last path
// component: ghcr.io/kubeflow for ghcr.io/kubeflow/kfp-driver.
func registryOf(repository string) string {
	return repository[:max(strings.LastIndex(repository, "/"), 0)]
}

// Outcome is what [Promote] decided and did for one tag write.
type Outcome struct {
	// Write is the tag write.
	Write TagWrite
	// Decision is what the tag held before; zero if it could not be read.
	Decision Decision
	// Err is why the tag could not be read, if it could not.
	Err error
	// Written reports whether Promote wrote the tag.
	Written bool
}

// RefusalError is an immutable tag that already holds another digest, in a
// promotion not forced for its image.
type RefusalError struct {
	// Image is the image.
	Image string
	// Ref is repository:tag.
	Ref string
	// Have and HaveCommit are what the tag holds and its commit ("" when
	// unknown).
	Have       v1.Hash
	HaveCommit string
	// Want and WantCommit are what the promotion would write.
	Want       v1.Hash
	WantCommit string
}

// Error names the image, the tag, both digests and both commits.
func (e *RefusalError) Error() string {
	have := e.HaveCommit
	if have == "" {
		have = "unknown"
	}
	same := ""
	if e.HaveCommit == e.WantCommit {
		same = ", another build of the same commit"
	}
	return fmt.Sprintf("%s: %s is immutable and holds %s (commit %s), not %s (commit %s%s); force %s to overwrite it",
		e.Image, e.Ref, e.Have, have, e.Want, e.WantCommit, same, e.Image)
}

// BlockedError is a promotion that wrote nothing, because an immutable tag
// would have been overwritten without force, or a tag could not be read.
type BlockedError struct {
	// Refusals are the immutable tags that hold other digests.
	Refusals []*RefusalError
	// Unreadable are the errors of the tags that could not be read.
	Unreadable []error
}

// Error lists every refusal and error on one line.
func (e *BlockedError) Error() string {
	var parts []string
	for _, r := range e.Refusals {
		parts = append(parts, r.Error())
	}
	for _, err := range e.Unreadable {
		parts = append(parts, err.Error())
	}
	return fmt.Sprintf("promote: nothing written: %d refused, %d unreadable: %s", len(e.Refusals), len(e.Unreadable), strings.Join(parts, "; "))
}

// Unwrap returns the refusals and errors.
func (e *BlockedError) Unwrap() []error {
	out := make([]error, 0, len(e.Refusals)+len(e.Unreadable))
	for _, r := range e.Refusals {
		out = append(out, r)
	}
	return append(out, e.Unreadable...)
}

// Promote executes a plan. It first decides every write ([Decide]), and
// writes nothing at all, returning a [*BlockedError], if any tag cannot be
// read or any immutable tag holds another digest and its image is not in
// force. Then it writes, in the plan's order, every tag that does not
// already hold its digest, pointing it at the digest (read by digest, never
// through another tag) and reading it back. A failure stops the writes; the
// tags written stay, and a rerun of the same plan writes only the rest.
//
// The plan must keep every immutable tag before every moving one, as [Plan]
// does, and mark as immutable exactly the tags internal/tags calls so.
// force names the images whose immutable tags may be overwritten; every
// name in it must be an image of the plan.
func Promote(ctx context.Context, reg Registry, plan []TagWrite, force map[string]bool) ([]Outcome, error) {
	if err := checkPlan(plan, force); err != nil {
		return nil, err
	}
	outcomes := make([]Outcome, len(plan))
	blocked := &BlockedError{}
	for i, w := range plan {
		outcomes[i].Write = w
		d, err := Decide(ctx, reg, w)
		if err != nil {
			if ctx.Err() != nil {
				return outcomes, fmt.Errorf("promote: nothing written: %w", err)
			}
			outcomes[i].Err = err
			blocked.Unreadable = append(blocked.Unreadable, fmt.Errorf("%s: %w", w.Image, err))
			continue
		}
		outcomes[i].Decision = d
		if d.State == Other && w.Immutable && !force[w.Image] {
			blocked.Refusals = append(blocked.Refusals, &RefusalError{
				Image: w.Image, Ref: w.Repository + ":" + w.Tag,
				Have: d.Have, HaveCommit: d.HaveCommit, Want: w.Digest, WantCommit: w.Commit,
			})
		}
	}
	if len(blocked.Refusals) > 0 || len(blocked.Unreadable) > 0 {
		return outcomes, blocked
	}
	written := 0
	for i, w := range plan {
		if outcomes[i].Decision.State == Same {
			continue
		}
		if err := writeTag(ctx, reg, w); err != nil {
			return outcomes, fmt.Errorf("promote: wrote %d tags, then %s: %w; rerun to finish", written, w, err)
		}
		outcomes[i].Written = true
		written++
	}
	return outcomes, nil
}

// checkPlan rejects a plan Promote must not execute.
func checkPlan(plan []TagWrite, force map[string]bool) error {
	images := map[string]bool{}
	sawMoving := false
	for _, w := range plan {
		if w.Image == "" || w.Repository == "" || !hasDigest(w.Digest) {
			return fmt.Errorf("promote: incomplete tag write %+v", w)
		}
		if err := tags.ValidateTag(w.Tag); err != nil {
			return fmt.Errorf("promote %s: %w", w.Image, err)
		}
		if w.Immutable != tags.Immutable(w.Tag) {
			return fmt.Errorf("promote %s: tag %s is marked immutable=%t, but internal/tags says %t", w.Image, w.Tag, w.Immutable, tags.Immutable(w.Tag))
		}
		if w.Immutable && sawMoving {
			return fmt.Errorf("promote: immutable tag %s:%s comes after a moving tag: every immutable tag must be written first", w.Repository, w.Tag)
		}
		sawMoving = sawMoving || !w.Immutable
		images[w.Image] = true
	}
	for img, on := range force {
		if on && !images[img] {
			return fmt.Errorf("promote: force names %s, which this promotion does not publish", img)
		}
	}
	return nil
}

// writeTag points the tag of w at its digest and reads the tag back.
func writeTag(ctx context.Context, reg Registry, w TagWrite) error {
	repo, err := name.NewRepository(w.Repository)
	if err != nil {
		return err
	}
	tag := repo.Tag(w.Tag)
	if err := reg.Tag(ctx, tag, w.Digest); err != nil {
		return err
	}
	d, err := reg.Head(ctx, tag)
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if d.Digest != w.Digest {
		return fmt.Errorf("read back: %s holds %s after the write, not %s (another writer?)", tag, d.Digest, w.Digest)
	}
	return nil
}

// CheckLatest says whether version may be tagged latest: only a release
// X.Y.Z can, never master, a pre-release or a commit.
func CheckLatest(version string) error {
	if version == Master || strings.Contains(version, "-") || !tags.Immutable(version) || commitRE.MatchString(version) {
		return fmt.Errorf("%q is not a release version X.Y.Z: only a release can be latest", version)
	}
	return nil
}

// PlanLatest returns the writes that move "latest" of every target to the
// digest its immutable version tag holds: a retag, never a rebuild. version
// must be a release X.Y.Z without pre-release; a target whose version tag
// is absent or unreadable is an error. Only the immutable version tag is
// read as a source.
func PlanLatest(ctx context.Context, reg Registry, targets []Target, version string) ([]TagWrite, error) {
	if err := CheckLatest(version); err != nil {
		return nil, fmt.Errorf("plan latest: %w", err)
	}
	sorted := slices.Clone(targets)
	slices.SortStableFunc(sorted, func(a, b Target) int { return strings.Compare(a.Image, b.Image) })
	var out []TagWrite
	for _, t := range sorted {
		repo, err := name.NewRepository(t.Repository)
		if err != nil {
			return nil, fmt.Errorf("plan latest of %s: %w", t.Image, err)
		}
		ref := repo.Tag(version)
		m, err := reg.Get(ctx, ref)
		if err != nil {
			if IsAbsent(err) {
				return nil, fmt.Errorf("plan latest of %s: %s is not published: %w", t.Image, ref, err)
			}
			return nil, fmt.Errorf("plan latest of %s: %w", t.Image, err)
		}
		commit, err := commitOf(ctx, reg, repo, m)
		if err != nil {
			return nil, fmt.Errorf("plan latest of %s: commit of %s: %w", t.Image, ref, err)
		}
		out = append(out, TagWrite{Image: t.Image, Repository: t.Repository, Tag: Latest, Digest: m.Descriptor.Digest, Commit: commit})
	}
	return out, nil
}

// PromoteLatest plans ([PlanLatest]) and promotes ([Promote]) "latest" of
// every target to what its version tag holds.
func PromoteLatest(ctx context.Context, reg Registry, targets []Target, version string) ([]Outcome, error) {
	plan, err := PlanLatest(ctx, reg, targets, version)
	if err != nil {
		return nil, err
	}
	return Promote(ctx, reg, plan, nil)
}
