package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/evidence"
	"github.com/kfp-dagger/kfp-dagger/internal/fanout"
	"github.com/kfp-dagger/kfp-dagger/internal/labels"
	"github.com/kfp-dagger/kfp-dagger/internal/regerr"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
	"github.com/kfp-dagger/kfp-dagger/internal/report"
	"github.com/kfp-dagger/kfp-dagger/internal/retry"
	"github.com/kfp-dagger/kfp-dagger/internal/signing"
)

// stageJob is one image and platform a stage run builds and pushes.
type stageJob struct {
	img      catalog.Image
	platform string
	ctr      *dagger.Container // the build, when this run builds it
	staged   v1.Hash           // what an earlier run staged, when it did
	retries  int               // registry retries of its push
	smoke    *release.Smoke    // the stage's smoke run of the staged digest, if asked
}

// Stage builds the published images of the source for the selected
// platforms, every build to completion before anything is written, then
// pushes each platform image by digest under a staging tag no release tag
// can equal, and returns records.json (per image, the platform manifest
// digests, commit, version and labels) with summary.md and summary.json,
// the report every *-all verb gives, one row per image. A platform an earlier
// run of the same commit and version staged is kept, not rebuilt, so a
// rerun after a failure finishes what is missing. Nothing a user pulls
// moves; promote does that. Run one stage per engine or architecture
// (e.g. --platforms=linux/arm64 on an arm64 runner) and hand all the records
// to promote. With --smoke each staged platform image runs --version from
// its staged digest, on that engine (natively on a runner of that
// architecture), and the record carries the result: promote then signs it
// as evidence without running a foreign architecture under emulation.
func (m *Kfp) Stage(
	ctx context.Context,
	// Registry path to stage in and publish to, e.g. ghcr.io/kubeflow.
	registry string,
	// Published images to stage (names or short names); empty stages every published image of the source.
	// +optional
	images []string,
	// Platforms to stage; empty stages every platform each image ships.
	// +optional
	platforms []string,
	// How many images build at once.
	// +optional
	// +default=2
	concurrency int,
	// Deadline of each registry call attempt, e.g. 60s.
	// +optional
	// +default="60s"
	attemptTimeout string,
	// How long transient registry errors (429, 5xx, resets, timeouts) are retried, counted from the first failure, e.g. 3m.
	// +optional
	// +default="3m"
	retryBudget string,
	// Run each staged platform image with --version from its staged digest, check the architecture it reports, and record the result; a failure fails the stage.
	// +optional
	smoke bool,
) (*dagger.Directory, error) {
	username, password := m.credentialsFor(registry)
	registryTunnel := m.RegistryTunnel
	if err := m.checkStage(registry, concurrency); err != nil {
		return nil, err
	}
	set, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return nil, err
	}
	for _, img := range sel {
		if img.Tool && len(images) > 0 {
			return nil, fmt.Errorf("stage covers published images; %s is a tool image, published by publish-all", img.Name)
		}
	}
	jobs, err := m.stageJobs(ctx, sel, platforms)
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	if len(jobs) == 0 {
		return nil, errors.New("stage: no selected image ships any of the requested platforms")
	}
	reg, err := m.releaseRegistry(ctx, registry, username, password, registryTunnel, attemptTimeout, retryBudget)
	if err != nil {
		return nil, err
	}
	staged := slices.DeleteFunc(slices.Clone(sel), func(img catalog.Image) bool { return img.Tool })
	if err := preflightPush(ctx, reg, registry, registryTunnel, staged); err != nil {
		return nil, err
	}
	policy, err := policyWithBudget(retryBudget) // checked by releaseRegistry
	if err != nil {
		return nil, err
	}
	p := publisher{registry: registry, username: username, password: password, policy: policy}
	if err := stageError(m.stage(ctx, reg, p, jobs, concurrency, false)); err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	if smoke {
		if err := m.smokeStaged(ctx, registry, username, password, jobs, concurrency); err != nil {
			return nil, fmt.Errorf("stage: %w", err)
		}
	}
	records, err := m.stageRecords(ctx, p, jobs)
	if err != nil {
		return nil, err
	}
	rep := report.Report{Title: "kfp-dagger stage", LeftOut: leftOutReport(set)}
	rows := map[string]int{}
	var table strings.Builder
	table.WriteString("| image | platform | manifest | staged by | smoke |\n| --- | --- | --- | --- | --- |\n")
	for _, j := range jobs {
		i, ok := rows[j.img.Name]
		if !ok {
			i = len(rep.Results)
			rows[j.img.Name] = i
			rep.Results = append(rep.Results, report.ImageResult{Image: j.img.Name, Status: report.StatusStaged})
		}
		r := &rep.Results[i]
		r.Platforms = append(r.Platforms, j.platform)
		r.References = append(r.References, strings.TrimSuffix(registry, "/")+"/"+j.img.Name+"@"+j.staged.String())
		r.Retries += j.retries
		how := "an earlier run (not rebuilt)"
		if j.ctr != nil {
			how = "this run"
		} else {
			r.StagedBefore = append(r.StagedBefore, j.platform)
		}
		smoked := "-"
		if j.smoke != nil {
			smoked = "passed"
		}
		fmt.Fprintf(&table, "| %s | %s | %s | %s | %s |\n", j.img.Name, j.platform, j.staged, how, smoked)
	}
	summary, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(records, "", "  ")
	if err != nil {
		return nil, err
	}
	return dag.Directory().WithNewFile("records.json", string(js)+"\n").
		WithNewFile("summary.md", rep.Markdown()+"\n### Platforms\n\n"+table.String()).
		WithNewFile("summary.json", string(summary)+"\n"), nil
}

// preflightPush checks, before anything is built or written, that the
// registry answers and accepts the credentials for a push to the repository
// of every selected image. It writes nothing.
// A tunnel to a host port where nothing listens accepts the connection and
// closes it, so the registry's calls end in EOF: that is said in words.
func preflightPush(ctx context.Context, reg *release.Remote, registry string, tunnel *dagger.Service, sel []catalog.Image) error {
	for _, img := range sel {
		repo, err := name.NewRepository(strings.TrimSuffix(registry, "/") + "/" + img.Name)
		if err != nil {
			return fmt.Errorf("pre-flight %s: %w", img.Name, err)
		}
		if err := reg.CheckPush(ctx, repo); err != nil {
			if tunnel != nil && errors.Is(err, io.EOF) {
				return fmt.Errorf("pre-flight, nothing written: registry %s does not answer through the tunnel (is a registry listening on the host at that port?): %w", registryHost(registry), err)
			}
			return fmt.Errorf("pre-flight, nothing written: %w", err)
		}
	}
	return nil
}

// checkStage checks what a stage needs before anything else: a commit a
// staging tag can name, a registry path and a sane concurrency.
func (m *Kfp) checkStage(registry string, concurrency int) error {
	if m.Commit == "" {
		return errors.New("stage needs the source commit: pass --commit or a source with .git")
	}
	if err := fanout.ValidateConcurrency(concurrency); err != nil {
		return err
	}
	if _, err := release.IndexStagingTag(m.Commit, m.Version); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	if registry == "" || strings.Contains(registry, "://") {
		return fmt.Errorf("invalid registry %q: want a registry path such as ghcr.io/kubeflow", registry)
	}
	return nil
}

// stage looks up what an earlier run staged for each job (kept, not
// rebuilt), builds everything missing to completion, and only when every
// build succeeded pushes the new platform images under their staging tags.
// It returns one error per job (nil when staged). A build error is a build
// error, named by image and platform and never retried; when one build
// fails, nothing is pushed.
func (m *Kfp) stage(ctx context.Context, reg release.Registry, p publisher, jobs []stageJob, concurrency int, failFast bool) []error {
	errs := make([]error, len(jobs))
	var toBuild []int
	for i := range jobs {
		var err error
		if jobs[i].staged, err = m.stagedDigest(ctx, reg, p.registry, jobs[i]); err != nil {
			// the registry cannot say: fail closed, before any build or write;
			// the error is this job's, the others are held back by it
			for k := range errs {
				errs[k] = errNotPushed
			}
			errs[i] = err
			return errs
		}
		if jobs[i].staged == (v1.Hash{}) {
			toBuild = append(toBuild, i)
		}
	}
	built := fanout.Run(ctx, len(toBuild), concurrency, failFast, func(ctx context.Context, k int) error {
		j := &jobs[toBuild[k]]
		ctr, err := m.build(ctx, j.img, j.platform, p.registry, "")
		if err == nil {
			ctr, err = ctr.Sync(ctx)
		}
		if err != nil {
			return fmt.Errorf("build %s %s: %w", j.img.Name, j.platform, oneLine(err))
		}
		j.ctr = ctr
		return nil
	})
	failed := false
	for k, err := range built {
		errs[toBuild[k]] = err
		failed = failed || err != nil
	}
	for _, i := range toBuild {
		if failed {
			if errs[i] == nil {
				errs[i] = errNotPushed
			}
			continue
		}
		if errs[i] = m.pushStaged(ctx, p, &jobs[i]); errs[i] != nil {
			failed = true // the registry refuses: the rest would fail alike
		}
	}
	return errs
}

// errNotPushed marks a job stage built but did not push, because another
// job failed.
var errNotPushed = errors.New("not pushed: another image or platform failed")

// stageError joins the errors of stage, less the jobs only held back by
// another's failure.
func stageError(errs []error) error {
	return errors.Join(slices.DeleteFunc(slices.Clone(errs), func(err error) bool { return errors.Is(err, errNotPushed) })...)
}

// smokeStaged runs every staged platform image with --version from its
// staged digest, concurrency at a time, and keeps each passing result on its
// job; every failure is returned, joined (a stage that fails its smoke run
// exports no records, so nothing of it can be promoted).
func (m *Kfp) smokeStaged(ctx context.Context, registry, username string, password *dagger.Secret, jobs []stageJob, concurrency int) error {
	errs := fanout.Run(ctx, len(jobs), concurrency, false, func(ctx context.Context, i int) error {
		j := &jobs[i]
		r, err := smokeRun(ctx, strings.TrimSuffix(registry, "/")+"/"+j.img.Name, registry, username, password, j.img.Name, j.platform, j.staged)
		if err == nil {
			err = r.Err(j.img.Name)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", j.img.Name, j.platform, err)
		}
		j.smoke = &release.Smoke{Passed: r.Passed, Output: r.Output}
		return nil
	})
	return errors.Join(errs...)
}

// stageRecords turns staged jobs into one record per image, in job order.
func (m *Kfp) stageRecords(ctx context.Context, p publisher, jobs []stageJob) ([]release.Record, error) {
	records := map[string]*release.Record{}
	var order []string
	now := time.Now().UTC()
	for _, j := range jobs {
		r, ok := records[j.img.Name]
		if !ok {
			var err error
			if r, err = m.newRecord(j.img, p.registry, now); err != nil {
				return nil, err
			}
			records[j.img.Name] = r
			order = append(order, j.img.Name)
		}
		r.Platforms = append(r.Platforms, release.PlatformManifest{Platform: j.platform, Digest: j.staged, Smoke: j.smoke})
	}
	out := make([]release.Record, 0, len(order))
	for _, name := range order {
		out = append(out, *records[name])
	}
	return out, nil
}

// stagedDigest returns the manifest an earlier stage run of this commit and
// version pushed for the job, or the zero Hash when the registry says, in a
// typed error, that there is none. Anything else fails closed.
func (m *Kfp) stagedDigest(ctx context.Context, reg release.Registry, registry string, j stageJob) (v1.Hash, error) {
	tag, err := release.PlatformStagingTag(m.Commit, m.Version, j.platform)
	if err != nil {
		return v1.Hash{}, err
	}
	ref, err := name.NewTag(strings.TrimSuffix(registry, "/") + "/" + j.img.Name + ":" + tag)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("stage %s: %w", j.img.Name, err)
	}
	got, err := reg.Get(ctx, ref)
	switch {
	case err == nil:
		return got.Descriptor.Digest, nil
	case release.IsAbsent(err):
		return v1.Hash{}, nil
	}
	return v1.Hash{}, fmt.Errorf("stage: cannot tell whether %s is staged: %w", ref, err)
}

// stageJobs checks every selected Dockerfile and the platforms before the
// first build, and returns one job per published image and platform (none
// when no image ships one of them); tool images are left to publish-all.
func (m *Kfp) stageJobs(ctx context.Context, sel []catalog.Image, platforms []string) ([]stageJob, error) {
	only, err := parsePlatforms(platforms)
	if err != nil {
		return nil, err
	}
	if err := m.checkDockerfiles(ctx, sel); err != nil {
		return nil, err
	}
	var jobs []stageJob
	for _, img := range sel {
		if img.Tool {
			continue
		}
		for _, p := range img.Platforms {
			if len(only) == 0 || only[p] {
				jobs = append(jobs, stageJob{img: img, platform: p})
			}
		}
	}
	return jobs, nil
}

// checkDockerfiles fails, naming every one, when a selected image's
// Dockerfile is not in the source.
func (m *Kfp) checkDockerfiles(ctx context.Context, sel []catalog.Image) error {
	var missing []string
	for _, img := range sel {
		ok, err := m.Source.Exists(ctx, img.Dockerfile)
		if err != nil {
			return fmt.Errorf("look for %s: %w", img.Dockerfile, oneLine(err))
		}
		if !ok {
			missing = append(missing, img.Name+" ("+img.Dockerfile+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("nothing built or pushed: Dockerfile not found in the source for %s", strings.Join(missing, ", "))
	}
	return nil
}

// pushStaged pushes one built platform image under its staging tag and
// records its manifest digest in j. Only registry errors reach the retry
// policy: the build is already complete.
func (m *Kfp) pushStaged(ctx context.Context, p publisher, j *stageJob) error {
	tag, err := release.PlatformStagingTag(m.Commit, m.Version, j.platform)
	if err != nil {
		return err
	}
	ref := strings.TrimSuffix(p.registry, "/") + "/" + j.img.Name + ":" + tag
	var out string
	stats, err := p.policy.Do(ctx, func(ctx context.Context) error {
		var err error
		out, err = p.auth(j.ctr).Publish(ctx, ref, dagger.ContainerPublishOpts{
			MediaTypes:        dagger.ImageMediaTypesOcimediaTypes,
			ForcedCompression: dagger.ImageLayerCompressionGzip,
		})
		if err != nil && !retry.Transient(err) {
			return retry.Permanent(err)
		}
		return err
	})
	j.retries += stats.Retries
	if err != nil {
		return regerr.Explain("stage "+ref, p.registry, p.username, oneLine(err))
	}
	_, digest, _ := strings.Cut(out, "@")
	if j.staged, err = v1.NewHash(digest); err != nil {
		return fmt.Errorf("stage %s: the engine returned %q, not a digest: %w", ref, out, err)
	}
	return nil
}

// newRecord starts the record of one image of this stage run.
func (m *Kfp) newRecord(img catalog.Image, registry string, now time.Time) (*release.Record, error) {
	ls, err := labels.For(labels.Inputs{Title: img.Name, SourceURL: m.SourceURL, Commit: m.Commit, Version: m.tagFor(img), Created: m.created(), Licenses: "Apache-2.0"})
	if err != nil {
		return nil, err
	}
	lm := map[string]string{}
	for _, l := range ls {
		lm[l.Name] = l.Value
	}
	return &release.Record{
		Image: img.Name, Repository: strings.TrimSuffix(registry, "/") + "/" + img.Name,
		Version: m.Version, Commit: m.Commit, Source: m.SourceURL, Labels: lm, StagedAt: now,
	}, nil
}

// Promote merges the records of one or more stage runs, assembles each
// image's index from the staged platform manifests (no rebuild), verifies
// every index (exactly the catalog's platforms, revision and version labels,
// with --smoke each platform image answering --version with its
// architecture (or, from records of stage --smoke, the result each stage
// recorded, which must have passed), with --scan no vulnerability at or
// above --severity), with with-signing-key signs each index's evidence and
// reads it back with the key, and only when every image passed moves the
// tags by digest:
// every immutable tag (X.Y.Z, the commit) of every image before any moving
// tag (master, latest). A rerun finishes what is missing. Without records,
// --latest moves latest of every published image to what its X.Y.Z tag
// holds: a retag, never a rebuild. Returns the report.
// +cache="never"
func (m *Kfp) Promote(
	ctx context.Context,
	// Registry path the records were staged in, e.g. ghcr.io/kubeflow.
	registry string,
	// records.json of each stage run.
	// +optional
	records []*dagger.File,
	// With --latest and no records: the images to retag (names or short names); empty retags every published image.
	// +optional
	images []string,
	// Also tag a release as latest.
	// +optional
	latest bool,
	// Images whose immutable tags may be overwritten (names or short names).
	// +optional
	force []string,
	// Run each staged platform image with --version before any tag moves.
	// +optional
	smoke bool,
	// Deadline of each registry call attempt, e.g. 60s.
	// +optional
	// +default="60s"
	attemptTimeout string,
	// How long transient registry errors (429, 5xx, resets, timeouts) are retried, counted from the first failure, e.g. 3m.
	// +optional
	// +default="3m"
	retryBudget string,
	// Scan each staged platform image with Trivy before any tag moves; a vulnerability at or above --severity blocks the release.
	// +optional
	scan bool,
	// Lowest severity that blocks the release: LOW, MEDIUM, HIGH or CRITICAL.
	// +optional
	// +default="HIGH"
	severity Severity,
	// Leave out vulnerabilities that have no fixed version yet.
	// +optional
	ignoreUnfixed bool,
	// Report format.
	// +optional
	// +default="markdown"
	format ReportFormat,
) (string, error) {
	username, password := m.credentialsFor(registry)
	registryTunnel := m.RegistryTunnel
	set, err := m.imageSet(ctx)
	if err != nil {
		return "", err
	}
	chain, err := m.supplyChain(scan, severity, ignoreUnfixed, false, "", registry)
	if err != nil {
		return "", err
	}
	// The smoke run signed evidence needs may also come from the records
	// (stage --smoke); checked once they are read.
	signer, err := m.signingOptions(true, registry)
	if err != nil {
		return "", err
	}
	if len(records) == 0 && (scan || signer != nil) {
		return "", errors.New("promote: --scan and with-signing-key check staged records; a retag of an existing release (--latest without records) adds no evidence")
	}
	forced := map[string]bool{}
	for _, f := range force {
		img, err := set.Lookup(f)
		if err != nil {
			return "", fmt.Errorf("force: %w", err)
		}
		forced[img.Name] = true
	}
	switch {
	case len(records) > 0 && len(images) > 0:
		return "", errors.New("promote: --images selects what --latest retags without records; with records, the records say which images")
	case len(records) == 0 && !latest:
		return "", errors.New("promote needs the records of a stage run, or --latest to retag an existing release")
	}
	if len(records) == 0 {
		if err := release.CheckLatest(m.Version); err != nil {
			return "", fmt.Errorf("promote --latest: %w", err)
		}
	}
	reg, err := m.releaseRegistry(ctx, registry, username, password, registryTunnel, attemptTimeout, retryBudget)
	if err != nil {
		return "", err
	}
	tx := newTxReport("kfp-dagger promote", set, registry, reg)
	if len(records) == 0 {
		sel, err := set.Select(images)
		if err != nil {
			return "", err
		}
		var targets []release.Target
		for _, img := range sel {
			if !img.Tool {
				targets = append(targets, release.Target{Image: img.Name, Repository: strings.TrimSuffix(registry, "/") + "/" + img.Name})
				tx.add(report.ImageResult{Image: img.Name, Platforms: img.Platforms, Tags: []string{"latest"}})
			}
		}
		outcomes, err := release.PromoteLatest(ctx, reg, targets, m.Version)
		tx.addOutcomes(outcomes)
		if err != nil {
			err = fmt.Errorf("not retagged: %w", err)
		}
		tx.settle(err)
		return renderReport(tx.done(""), format)
	}
	recs, err := readRecords(ctx, records)
	if err != nil {
		return "", err
	}
	want := map[string][]string{}
	for _, img := range set.All() {
		if !img.Tool {
			want[img.Name] = img.Platforms
		}
	}
	// Only the images the records hold; a missing platform of one of them
	// is still refused by Merge.
	staged := map[string][]string{}
	for _, r := range recs {
		if p, ok := want[r.Image]; ok {
			staged[r.Image] = p
		}
	}
	merged, err := release.Merge(recs, staged)
	if err != nil {
		return "", err
	}
	if signer != nil && !smoke && !allSmoked(merged) {
		return "", errors.New("with-signing-key needs the smoke run of every platform: stage with --smoke (natively, on each architecture's engine) or promote with --smoke")
	}
	// Tools, DB and key checked before the first write (the index).
	if err := chain.preflight(ctx); err != nil {
		return "", err
	}
	if signer != nil {
		if err := signer.preflight(ctx); err != nil {
			return "", err
		}
	}
	for _, r := range merged {
		tx.add(report.ImageResult{Image: r.Image, Platforms: r.PlatformNames()}) // its tags once planned
	}
	why, err := m.verifyAndPromote(ctx, tx, set, merged, staged, promoteOptions{registry: registry, username: username, password: password,
		latest: latest, forced: forced, smoke: smoke, concurrency: 2, chain: chain, signer: signer})
	if err != nil {
		return "", err
	}
	return renderReport(tx.done(why), format)
}

// allSmoked says whether every platform of every record carries the smoke
// run its stage made.
func allSmoked(recs []release.Record) bool {
	for _, r := range recs {
		for _, p := range r.Platforms {
			if p.Smoke == nil {
				return false
			}
		}
	}
	return true
}

// recordedSmoke adds the smoke runs a record carries to f, for the
// evidence; one that did not pass is an error.
func recordedSmoke(r release.Record, f *findings) error {
	for _, p := range r.Platforms {
		if p.Smoke == nil {
			continue
		}
		f.addSmoke(r.Image, evidence.SmokeResult{Platform: p.Platform, Digest: p.Digest.String(), Passed: p.Smoke.Passed, Output: p.Smoke.Output})
		if !p.Smoke.Passed {
			return fmt.Errorf("%s: the stage's smoke run of %s failed: %s", r.Image, p.Platform, p.Smoke.Output)
		}
	}
	return nil
}

// readRecords parses the records of every stage run.
func readRecords(ctx context.Context, files []*dagger.File) ([]release.Record, error) {
	var out []release.Record
	for i, f := range files {
		text, err := f.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("read records %d: %w", i+1, oneLine(err))
		}
		var recs []release.Record
		if err := json.Unmarshal([]byte(text), &recs); err != nil {
			return nil, fmt.Errorf("records %d: %w", i+1, err)
		}
		out = append(out, recs...)
	}
	return out, nil
}

// stagedContainer is a staged platform image, pulled by digest with the
// registry's credentials: what verify checks run.
func stagedContainer(repository, registry, username string, password *dagger.Secret, platform string, digest v1.Hash) *dagger.Container {
	c := dag.Container(dagger.ContainerOpts{Platform: dagger.Platform(platform)})
	if username != "" && password != nil {
		c = c.WithRegistryAuth(registryHost(registry), username, password)
	}
	return c.From(repository + "@" + digest.String())
}

// smokeCheck runs a staged platform image, by digest, with --version and
// checks that it reports the platform's architecture.
// Each result goes to f (nil: nowhere) for the evidence.
func (m *Kfp) smokeCheck(repository, registry, username string, password *dagger.Secret, f *findings) release.Check {
	return func(ctx context.Context, image, platform string, digest v1.Hash) error {
		r, err := smokeRun(ctx, repository, registry, username, password, image, platform, digest)
		if err != nil {
			return err
		}
		f.addSmoke(image, r)
		return r.Err(image)
	}
}

// smokeRun runs the platform image repository@digest with --version and
// returns what it printed, passed when that names the platform's
// architecture; the error is the run's own (the image did not start or exited
// non-zero).
func smokeRun(ctx context.Context, repository, registry, username string, password *dagger.Secret, image, platform string, digest v1.Hash) (evidence.SmokeResult, error) {
	out, err := stagedContainer(repository, registry, username, password, platform, digest).
		WithExec([]string{"--version"}, dagger.ContainerWithExecOpts{UseEntrypoint: true}).Stdout(ctx)
	if err != nil {
		return evidence.SmokeResult{}, fmt.Errorf("smoke run of %s --version: %w", image, oneLine(err))
	}
	out = strings.TrimSpace(out)
	return evidence.SmokeResult{Platform: platform, Digest: digest.String(), Passed: strings.Contains(out, evidence.Arch(platform)), Output: out}, nil
}

// releaseRegistry is the registry client of promote: credentials from the
// secret, each attempt bounded by timeout, and through the tunnel when the
// registry is on the host's loopback.
func (m *Kfp) releaseRegistry(ctx context.Context, registry, username string, password *dagger.Secret, tunnel *dagger.Service, attemptTimeout, retryBudget string) (*release.Remote, error) {
	timeout, err := time.ParseDuration(attemptTimeout)
	if err != nil || timeout <= 0 {
		return nil, fmt.Errorf("invalid attempt-timeout %q: want a positive duration such as 60s", attemptTimeout)
	}
	backoff, err := policyWithBudget(retryBudget)
	if err != nil {
		return nil, err
	}
	host := registryHost(registry)
	if tunnel == nil && onLoopback(host) {
		return nil, fmt.Errorf("registry %s is on the host's loopback, which module code cannot reach: call with-registry-tunnel --service=tcp://localhost:%s first", host, host[strings.LastIndex(host, ":")+1:])
	}
	policy := release.RetryPolicy{Backoff: backoff, AttemptTimeout: timeout}
	opts := []release.RemoteOption{release.WithRetryPolicy(policy)}
	if username != "" && password != nil {
		pw, err := password.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry password: %w", oneLine(err))
		}
		opts = append(opts, release.WithBasicAuth(username, pw))
	}
	if tunnel != nil {
		svc, err := tunnel.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry tunnel: %w", oneLine(err))
		}
		ep, err := svc.Endpoint(ctx)
		if err != nil {
			return nil, fmt.Errorf("registry tunnel: %w", oneLine(err))
		}
		if _, err := signing.Port(ep); err != nil {
			return nil, fmt.Errorf("registry tunnel: %w", err)
		}
		tr := remote.DefaultTransport.(*http.Transport).Clone()
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == host {
				addr = ep
			}
			return d.DialContext(ctx, network, addr)
		}
		opts = append(opts, release.WithTransport(tr))
	}
	return release.NewRemote(opts...)
}

// onLoopback reports whether a registry host names the loopback interface.
func onLoopback(host string) bool {
	h := host
	if i := strings.LastIndex(h, ":"); i > 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	h = strings.Trim(h, "[]")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
