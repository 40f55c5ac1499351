package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/fanout"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
	"github.com/kfp-dagger/kfp-dagger/internal/report"
)

// txReport is the report of a release transaction, one row per image, which
// publish-all and promote fill in as the phases run.
type txReport struct {
	rep      report.Report
	results  []*report.ImageResult
	byName   map[string]*report.ImageResult
	start    time.Time
	registry string
	reg      *release.Remote
}

func newTxReport(title string, set catalog.Set, registry string, reg *release.Remote) *txReport {
	return &txReport{rep: report.Report{Title: title, LeftOut: leftOutReport(set)},
		byName: map[string]*report.ImageResult{}, start: time.Now(), registry: registry, reg: reg}
}

// add starts the row of an image.
func (t *txReport) add(r report.ImageResult) *report.ImageResult {
	p := &r
	t.results = append(t.results, p)
	t.byName[r.Image] = p
	return p
}

// fail marks image failed, unless it already has an outcome.
func (t *txReport) fail(image string, err error) {
	if r := t.byName[image]; r != nil && r.Status == "" {
		r.Status, r.Error = report.StatusFailed, err.Error()
	}
}

// failEach marks every image of merged whose step failed; it says whether
// one did.
func (t *txReport) failEach(merged []release.Record, errs []error, step string) bool {
	failed := false
	for i, err := range errs {
		if err != nil {
			t.fail(merged[i].Image, fmt.Errorf("not promoted: %s%w", step, err))
			failed = true
		}
	}
	return failed
}

// addOutcomes records each tag write on its image's row: the failure, or
// the reference the tag now holds and whether it already did.
func (t *txReport) addOutcomes(outcomes []release.Outcome) {
	for _, oc := range outcomes {
		r := t.byName[oc.Write.Image]
		switch {
		case oc.Err != nil:
			t.fail(oc.Write.Image, oc.Err)
		case oc.Written || oc.Decision.State == release.Same:
			r.Digest = oc.Write.Digest.String()
			r.References = append(r.References, oc.Write.Repository+":"+oc.Write.Tag+"@"+oc.Write.Digest.String())
			if !oc.Written {
				r.Unchanged = append(r.Unchanged, oc.Write.Tag)
			}
		}
	}
}

// settle gives every row its outcome once the tags were written: published
// when each of its tags holds its digest, else failed, with err (what
// stopped the promotion) when there is one.
func (t *txReport) settle(err error) {
	for _, r := range t.results {
		switch {
		case len(r.References) == len(r.Tags):
			if r.Status == "" {
				r.Status = report.StatusPublished
			}
		case err != nil:
			t.fail(r.Image, err)
		default:
			t.fail(r.Image, fmt.Errorf("promote wrote %d of its %d tags", len(r.References), len(r.Tags)))
		}
	}
}

// done closes the report: durations, registry retries, and every image
// without an outcome marked skipped with why (not promoted because of the
// others).
func (t *txReport) done(why string) report.Report {
	for _, r := range t.results {
		r.Duration = time.Since(t.start)
		r.Retries += t.reg.Retries(strings.TrimSuffix(t.registry, "/") + "/" + r.Image)
		if r.Status == "" {
			r.Status, r.Error = report.StatusSkipped, why
		}
		t.rep.Results = append(t.rep.Results, *r)
	}
	t.results = nil
	return t.rep
}

// promoteOptions are the settings of the phases after staging.
type promoteOptions struct {
	registry    string
	username    string
	password    *dagger.Secret
	latest      bool
	forced      map[string]bool // images whose immutable tags may move
	smoke       bool            // run each staged platform image now
	concurrency int
	chain       supplyChain
	signer      *signingOptions // nil: no signed evidence
}

// verifyAndPromote runs the phases of a release after staging, over merged
// (one record per image, platforms joined) and want (each image's platforms):
// verify every staged index (platforms, labels, and the smoke run now or as
// recorded, the scan gate), attach SBOMs, sign and check the evidence, and
// only when every image passed promote the tags by digest, every immutable
// tag before any moving one. It fills in tx and returns why the images
// without an outcome were not promoted ("" when all were); an error is one
// that stops the transaction before its report can say more.
func (m *Kfp) verifyAndPromote(ctx context.Context, tx *txReport, set catalog.Set, merged []release.Record, want map[string][]string, o promoteOptions) (string, error) {
	reg := tx.reg
	// 1. Verify every staged index before any tag moves.
	found := newFindings()
	verified := fanout.Run(ctx, len(merged), o.concurrency, false, func(ctx context.Context, i int) error {
		r := &merged[i]
		var err error
		if r.Index, err = release.AssembleIndex(ctx, reg, *r); err != nil {
			return err
		}
		tx.byName[r.Image].Digest = r.Index.String()
		expect := release.Expect{Platforms: want[r.Image]}
		if o.smoke {
			expect.Checks = append(expect.Checks, m.smokeCheck(r.Repository, o.registry, o.username, o.password, found))
		} else if err := recordedSmoke(*r, found); err != nil {
			return err
		}
		if o.chain.scan != nil {
			expect.Checks = append(expect.Checks, m.scanCheck(r.Repository, o.registry, o.username, o.password, o.chain.scan, found))
		}
		res, err := release.Verify(ctx, reg, *r, expect)
		if err == nil {
			err = res.Err()
		}
		return err
	})
	if tx.failEach(merged, verified, "") {
		return "verified, not promoted: another image failed verification", nil
	}

	// 2. Evidence: each platform's SBOM, attached by digest.
	if o.chain.sbom != nil {
		for _, r := range merged {
			if _, err := m.attachSBOMs(ctx, r.Repository+"@"+r.Index.String(), want[r.Image], o.chain.sbom); err != nil {
				tx.fail(r.Image, fmt.Errorf("not promoted: %w", err))
				return "verified, not promoted: the SBOM of another image could not be attached", nil
			}
		}
	}

	// 3. Signed evidence of every index, read back and checked with the key.
	if o.signer != nil {
		signed, errs := m.attestAll(ctx, reg, set, merged, o.signer, o.chain.scan, found, tx.start, o.registry, o.username, o.password, o.concurrency)
		if tx.failEach(merged, errs, "evidence: ") {
			return "verified, not promoted: the evidence of another image could not be signed and checked", nil
		}
		for i, r := range merged {
			tx.byName[r.Image].Evidence = fmt.Sprintf("%d statements signed now, all it needs signed and checked", signed[i])
		}
	}

	// 4. Promote by digest: immutable tags of every image, then moving tags.
	plan, err := release.Plan(merged, o.latest)
	if err != nil {
		return "", err
	}
	// a row without tags (promote's) gets those the plan writes
	untagged := map[string]bool{}
	for _, r := range tx.results {
		untagged[r.Image] = r.Tags == nil
	}
	for _, w := range plan {
		if untagged[w.Image] {
			tx.byName[w.Image].Tags = append(tx.byName[w.Image].Tags, w.Tag)
		}
	}
	outcomes, err := release.Promote(ctx, reg, plan, o.forced)
	tx.addOutcomes(outcomes)
	var blocked *release.BlockedError
	if errors.As(err, &blocked) {
		for _, ref := range blocked.Refusals {
			tx.fail(ref.Image, ref)
		}
		return "verified, not promoted: the promotion was blocked before any write (see the other images)", nil
	}
	tx.settle(err)
	if err != nil {
		return "not published: the promotion of the release did not finish", nil
	}
	return "", nil
}
