package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/regerr"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
	"github.com/kfp-dagger/kfp-dagger/internal/report"
	"github.com/kfp-dagger/kfp-dagger/internal/retry"
	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

// target is where and how one image is pushed.
type target struct {
	img  catalog.Image
	tags []string // in push order: immutable tags first, moving tags last
	refs []string
}

// plan computes the tags and references of each image without touching a
// registry.
func (m *Kfp) plan(imgs []catalog.Image, registry string, latest bool) ([]target, error) {
	if err := tags.ValidateRegistry(registry); err != nil {
		return nil, err
	}
	var out []target
	for _, img := range imgs {
		var ts []string
		if img.Tool {
			// Tool images are tagged by branch only (master or release-X.Y).
			t := m.tagFor(img)
			if err := tags.ValidateTag(t); err != nil {
				return nil, fmt.Errorf("plan %s: %w", img.Name, err)
			}
			ts = []string{t}
		} else {
			tr, err := m.trigger(latest)
			if err != nil {
				return nil, err
			}
			computed, err := tags.Compute(tr)
			if err != nil {
				return nil, fmt.Errorf("plan %s: %w", img.Name, err)
			}
			// immutable tags first, so moving tags move only once the
			// immutable ones point at the complete index
			for _, t := range computed {
				if tags.Immutable(t) {
					ts = append(ts, t)
				}
			}
			for _, t := range computed {
				if !tags.Immutable(t) {
					ts = append(ts, t)
				}
			}
		}
		refs, err := tags.References(registry, img.Name, ts)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", img.Name, err)
		}
		out = append(out, target{img: img, tags: ts, refs: refs})
	}
	return out, nil
}

// trigger is the tag-rule input for this source: a push to master, or a release.
func (m *Kfp) trigger(latest bool) (tags.Trigger, error) {
	if m.Commit == "" {
		return tags.Trigger{}, errors.New("publishing needs the source commit (it becomes a tag): pass --commit or a source with .git")
	}
	if m.Version == "master" {
		return tags.Trigger{Kind: tags.Master, Latest: latest, Commit: m.Commit}, nil
	}
	return tags.Trigger{Kind: tags.Release, Version: m.Version, Latest: latest, Commit: m.Commit}, nil
}

// Plan prints the three phases of publish-all without building or pushing
// anything: the staging tag of every image and platform, what verify
// checks, and every tag the promotion writes, in its order; then the tool
// images and the KFP images the source tree leaves out.
func (m *Kfp) Plan(
	ctx context.Context,
	// Images to publish, by name or short name; all when empty.
	// +optional
	images []string,
	// Registry path to push to.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
	// Also tag a release as latest.
	// +optional
	latest bool,
	// Output format: text (one reference a line) or json.
	// +optional
	// +default="text"
	format PlanFormat,
) (string, error) {
	set, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return "", err
	}
	return m.renderPlan(set, sel, registry, latest, format)
}

// renderPlan renders the plan of publishing sel, an image selection of set,
// as text or JSON.
func (m *Kfp) renderPlan(set catalog.Set, sel []catalog.Image, registry string, latest bool, format PlanFormat) (string, error) {
	ts, err := m.plan(sel, registry, latest)
	if err != nil {
		return "", err
	}
	switch format {
	case PlanFormatText:
		return m.planText(ts, registry) + leftOutLine(set), nil
	case PlanFormatJSON:
		rep := report.Report{Title: "kfp-dagger plan", LeftOut: leftOutReport(set)}
		for _, t := range ts {
			rep.Results = append(rep.Results, report.ImageResult{Image: t.img.Name, Platforms: t.img.Platforms, Tags: t.tags, References: t.refs, Status: report.StatusPlanned})
		}
		b, err := rep.JSON()
		return string(b), err
	}
	return "", fmt.Errorf("invalid plan format %q", format)
}

// planText renders the three phases of publish-all, one reference and its
// platforms a line: the staging tags, what verify checks, then the tag
// writes of the promotion in their order, and the tool images after it.
func (m *Kfp) planText(ts []target, registry string) string {
	var b strings.Builder
	var tools, immutable, moving []string
	b.WriteString("# 1. stage: build every platform to completion, then push each by digest under its staging tag\n")
	for _, t := range ts {
		platforms := strings.Join(t.img.Platforms, ",")
		if t.img.Tool {
			for _, r := range t.refs {
				tools = append(tools, r+"\t"+platforms)
			}
			continue
		}
		for _, p := range t.img.Platforms {
			if tag, err := release.PlatformStagingTag(m.Commit, m.Version, p); err == nil {
				fmt.Fprintf(&b, "%s/%s:%s\t%s\n", strings.TrimSuffix(registry, "/"), t.img.Name, tag, p)
			}
		}
		for i, r := range t.refs {
			if tags.Immutable(t.tags[i]) {
				immutable = append(immutable, r+"\t"+platforms)
			} else {
				moving = append(moving, r+"\t"+platforms)
			}
		}
	}
	b.WriteString("# 2. verify each staged index, read back by digest: exactly these platforms, revision and version labels, a --version smoke run of each platform (and the scan gate with --scan); any failure moves no tag\n")
	b.WriteString("# 3. promote by digest: every immutable tag, then every moving tag\n")
	for _, l := range append(immutable, moving...) {
		b.WriteString(l + "\n")
	}
	if len(tools) > 0 {
		b.WriteString("# then the tool images, tagged by branch\n")
		for _, l := range tools {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// publisher pushes with one set of credentials and one retry policy.
type publisher struct {
	registry string
	username string
	password *dagger.Secret
	policy   retry.Policy
	chain    supplyChain
}

func (p publisher) auth(c *dagger.Container) *dagger.Container {
	if p.username == "" || p.password == nil {
		return c
	}
	return c.WithRegistryAuth(registryHost(p.registry), p.username, p.password)
}

// push builds every platform of t.img and pushes one index under each tag, in
// order. The engine writes a tag only after the platforms' manifests and
// blobs are in, so no tag ever points at an incomplete index.
func (m *Kfp) push(ctx context.Context, p publisher, t target, baseImage string) report.ImageResult {
	start := time.Now()
	res := report.ImageResult{Image: t.img.Name, Platforms: t.img.Platforms, Tags: t.tags}
	fail := func(err error) report.ImageResult {
		res.Status, res.Error, res.Duration = report.StatusFailed, err.Error(), time.Since(start)
		return res
	}
	var variants []*dagger.Container
	for _, pl := range t.img.Platforms {
		ctr, err := m.build(ctx, t.img, pl, p.registry, baseImage)
		if err != nil {
			return fail(err)
		}
		variants = append(variants, ctr)
	}
	if err := m.scanGate(ctx, t.img, t.img.Platforms, variants, p.chain.scan); err != nil {
		return fail(err)
	}
	for _, ref := range t.refs {
		var out string
		stats, err := p.policy.Do(ctx, func(ctx context.Context) error {
			var err error
			out, err = p.auth(dag.Container()).Publish(ctx, ref, dagger.ContainerPublishOpts{
				PlatformVariants: variants,
				// explicit: OCI media types and gzip layers, which every
				// registry and runtime takes
				MediaTypes:        dagger.ImageMediaTypesOcimediaTypes,
				ForcedCompression: dagger.ImageLayerCompressionGzip,
			})
			if err != nil && !retry.Transient(err) {
				return retry.Permanent(err)
			}
			return err
		})
		res.Retries += stats.Retries
		if err != nil {
			return fail(regerr.Explain("publish "+ref, p.registry, p.username, oneLine(err)))
		}
		_, digest, _ := strings.Cut(out, "@")
		if res.Digest != "" && digest != res.Digest {
			return fail(fmt.Errorf("publish %s: pushed %s, but the previous tag got %s", ref, digest, res.Digest))
		}
		res.Digest = digest
		res.References = append(res.References, out)
	}
	if _, err := m.attachSBOMs(ctx, res.References[0], t.img.Platforms, p.chain.sbom); err != nil {
		return fail(fmt.Errorf("pushed %s, but %w", res.References[0], err))
	}
	for _, v := range variants {
		if n, err := v.AsTarball().Size(ctx); err == nil {
			res.SizeBytes += int64(n)
		}
	}
	res.Status, res.Duration = report.StatusPublished, time.Since(start)
	return res
}

// Publish publishes one image as publish-all does: stages every platform by
// digest, verifies the staged index (platforms, labels, and a --version
// smoke run of each platform), and only then moves its tags by digest. It
// returns the reference under the version tag (master or X.Y.Z) with the
// index digest. A rerun finishes what is missing.
// +cache="session"
func (m *Kfp) Publish(
	ctx context.Context,
	// Image name or short name, e.g. kfp-api-server or apiserver (see images).
	image string,
	// Registry path to push to; the image is pushed as <registry>/<image>:<tag>.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
	// Also tag a release as latest.
	// +optional
	latest bool,
	// Move the image's immutable tags (X.Y.Z, the commit) even when they hold another build.
	// +optional
	force bool,
	// Run each staged platform image with --version, checking the architecture it reports, before any tag moves.
	// +optional
	// +default=true
	smoke bool,
	// Deadline of each registry call attempt, e.g. 60s.
	// +optional
	// +default="60s"
	attemptTimeout string,
	// How long transient registry errors (429, 5xx, resets, timeouts) are retried, counted from the first failure, e.g. 3m.
	// +optional
	// +default="3m"
	retryBudget string,
) (string, error) {
	username, password := m.credentialsFor(registry)
	registryTunnel := m.RegistryTunnel
	set, err := m.imageSet(ctx)
	if err != nil {
		return "", err
	}
	img, err := set.Lookup(image)
	if err != nil {
		return "", err
	}
	o := publishOptions{registry: registry, username: username, password: password, tunnel: registryTunnel,
		latest: latest, concurrency: 1, failFast: true, smoke: smoke, attemptTimeout: attemptTimeout, retryBudget: retryBudget}
	if force {
		o.force = []string{img.Name}
	}
	rep, err := m.publishAll(ctx, set, []catalog.Image{img}, o)
	if err != nil {
		return "", err
	}
	if err := rep.Err(); err != nil {
		return "", errors.New(rep.Failed()[0].Error)
	}
	// the reference under the version tag (master or X.Y.Z), the one people use
	for _, r := range rep.Results[0].References {
		if strings.Contains(r, ":"+m.tagFor(img)+"@") {
			return r, nil
		}
	}
	return rep.Results[0].References[0], nil
}

// PublishAll publishes every image (or a subset) as one transaction: it
// stages each image's platforms by digest (building what an earlier run did
// not stage, with bounded parallelism), verifies every staged index
// (platforms, labels, a --version smoke run of each platform, and the scan
// gate with --scan), attaches SBOMs with --sbom, with with-signing-key signs
// each index's evidence (provenance, SBOM per platform, smoke run, scan
// verdict) and reads it back with the key, and only when every image
// passed moves the tags by digest, every immutable tag (X.Y.Z, the commit)
// before any moving one (master, latest). Tool images follow, tagged by
// branch. A rerun after any failure finishes what is missing. Reports per
// image its platforms, index digest, tags, duration and registry retries.
// +cache="session"
func (m *Kfp) PublishAll(
	ctx context.Context,
	// Images to publish, by name or short name; all when empty.
	// +optional
	images []string,
	// Registry path to push to.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
	// Also tag a release as latest.
	// +optional
	latest bool,
	// Images (names or short names) whose immutable tags (X.Y.Z, the commit) may move to this run's build.
	// +optional
	force []string,
	// Run each staged platform image with --version, checking the architecture it reports, before any tag moves.
	// +optional
	// +default=true
	smoke bool,
	// How many images are built and pushed at once.
	// +optional
	// +default=2
	concurrency int,
	// Stop at the first failure.
	// +optional
	failFast bool,
	// Only print what would be pushed.
	// +optional
	dryRun bool,
	// Deadline of each registry call attempt, e.g. 60s.
	// +optional
	// +default="60s"
	attemptTimeout string,
	// How long transient registry errors (429, 5xx, resets, timeouts) are retried, counted from the first failure, e.g. 3m.
	// +optional
	// +default="3m"
	retryBudget string,
	// Report format.
	// +optional
	// +default="markdown"
	format ReportFormat,
	// Scan every image with Trivy before it is pushed; an image with a vulnerability at or above --severity is not pushed.
	// +optional
	scan bool,
	// Lowest severity that blocks a push: LOW, MEDIUM, HIGH or CRITICAL.
	// +optional
	// +default="HIGH"
	severity Severity,
	// Leave out vulnerabilities that have no fixed version yet.
	// +optional
	ignoreUnfixed bool,
	// Attach each platform's SBOM to the pushed image with cosign.
	// +optional
	sbom bool,
	// Format of the attached SBOMs.
	// +optional
	// +default="spdx-json"
	sbomFormat SbomFormat,
) (string, error) {
	username, password := m.credentialsFor(registry)
	chain, err := m.supplyChain(scan, severity, ignoreUnfixed, sbom, sbomFormat, registry)
	if err != nil {
		return "", err
	}
	signer, err := m.signingOptions(smoke, registry)
	if err != nil {
		return "", err
	}
	set, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return "", err
	}
	if dryRun {
		return m.renderPlan(set, sel, registry, latest, map[ReportFormat]PlanFormat{ReportFormatMarkdown: PlanFormatText, ReportFormatJSON: PlanFormatJSON}[format])
	}
	rep, err := m.publishAll(ctx, set, sel, publishOptions{registry: registry, username: username, password: password, tunnel: m.RegistryTunnel,
		latest: latest, force: force, concurrency: concurrency, failFast: failFast, smoke: smoke,
		attemptTimeout: attemptTimeout, retryBudget: retryBudget, chain: chain, signer: signer})
	if err != nil {
		return "", err
	}
	return renderReport(rep, format)
}

// publishOptions are publish-all's settings beyond the image selection.
type publishOptions struct {
	registry       string
	username       string
	password       *dagger.Secret
	tunnel         *dagger.Service
	latest         bool
	force          []string // images whose immutable tags may move
	concurrency    int
	failFast       bool
	smoke          bool
	attemptTimeout string
	retryBudget    string
	chain          supplyChain
	signer         *signingOptions // nil: no signed evidence
}

// publishAll publishes sel, a selection of set, as one transaction: stage
// every published image's platforms by digest, verify what the registry
// holds (platforms, labels, smoke run and scan of the staged digests), attach
// SBOMs, sign and check the evidence when a key is given, and only when
// every image passed promote the tags by digest, every
// immutable tag before any moving one. Tool images, tagged by branch only,
// follow. A rerun keeps what is staged and writes only the tags missing.
func (m *Kfp) publishAll(ctx context.Context, set catalog.Set, sel []catalog.Image, o publishOptions) (report.Report, error) {
	rep := report.Report{Title: "kfp-dagger publish", LeftOut: leftOutReport(set)}
	// Everything is checked before the first build and the first write.
	if err := m.checkStage(o.registry, o.concurrency); err != nil {
		return rep, err
	}
	policy, err := policyWithBudget(o.retryBudget)
	if err != nil {
		return rep, err
	}
	ts, err := m.plan(sel, o.registry, o.latest)
	if err != nil {
		return rep, err
	}
	forced := map[string]bool{}
	for _, f := range o.force {
		img, err := set.Lookup(f)
		if err != nil {
			return rep, fmt.Errorf("force: %w", err)
		}
		if !slices.ContainsFunc(sel, func(i catalog.Image) bool { return i.Name == img.Name && !i.Tool }) {
			return rep, fmt.Errorf("force names %s, which this run does not publish with release tags", img.Name)
		}
		forced[img.Name] = true
	}
	jobs, err := m.stageJobs(ctx, sel, nil)
	if err != nil {
		return rep, err
	}
	reg, err := m.releaseRegistry(ctx, o.registry, o.username, o.password, o.tunnel, o.attemptTimeout, o.retryBudget)
	if err != nil {
		return rep, err
	}
	if err := preflightPush(ctx, reg, o.registry, o.tunnel, sel); err != nil {
		return rep, err
	}
	if err := o.chain.preflight(ctx); err != nil {
		return rep, err
	}
	if o.signer != nil {
		if err := o.signer.preflight(ctx); err != nil {
			return rep, err
		}
	}
	p := publisher{registry: o.registry, username: o.username, password: o.password, policy: policy, chain: o.chain}

	tx := newTxReport(rep.Title, set, o.registry, reg)
	var tools []target
	for _, t := range ts {
		if t.img.Tool {
			tools = append(tools, t)
			continue
		}
		tx.add(report.ImageResult{Image: t.img.Name, Platforms: t.img.Platforms, Tags: t.tags})
	}
	// done closes the report; with why, the tool images are not published
	// either.
	done := func(why string) (report.Report, error) {
		rep := tx.done(why)
		if why != "" {
			for _, t := range tools {
				rep.Results = append(rep.Results, report.ImageResult{Image: t.img.Name, Platforms: t.img.Platforms, Tags: t.tags, Status: report.StatusSkipped, Error: why})
			}
		}
		return rep, nil
	}

	// 1. Stage: build everything missing, then push by digest.
	if len(jobs) > 0 {
		failed := false
		for i, err := range m.stage(ctx, reg, p, jobs, o.concurrency, o.failFast) {
			r := tx.byName[jobs[i].img.Name]
			r.Retries += jobs[i].retries
			if err == nil && jobs[i].ctr == nil {
				r.StagedBefore = append(r.StagedBefore, jobs[i].platform)
			}
			if err != nil {
				failed = true
				if !errors.Is(err, errNotPushed) {
					tx.fail(jobs[i].img.Name, err)
				}
			}
		}
		if failed {
			return done("not promoted: staging failed for another image")
		}
	}
	records, err := m.stageRecords(ctx, p, jobs)
	if err != nil {
		return rep, err
	}
	want := map[string][]string{}
	for _, j := range jobs {
		want[j.img.Name] = j.img.Platforms
	}
	merged, err := release.Merge(records, want)
	if err != nil {
		return rep, err
	}

	// 2–5. Verify, attach SBOMs, sign, promote.
	why, err := m.verifyAndPromote(ctx, tx, set, merged, want, promoteOptions{registry: o.registry, username: o.username, password: o.password,
		latest: o.latest, forced: forced, smoke: o.smoke, concurrency: o.concurrency, chain: o.chain, signer: o.signer})
	if err != nil {
		return rep, err
	}
	if why != "" {
		return done(why)
	}

	// 6. Tool images, tagged by branch only, once the release is promoted;
	// one built FROM another after it.
	rep, _ = done("")
	slices.SortStableFunc(tools, func(a, b target) int {
		switch {
		case a.img.DependsOn == "" && b.img.DependsOn != "":
			return -1
		case a.img.DependsOn != "" && b.img.DependsOn == "":
			return 1
		}
		return 0
	})
	for _, t := range tools {
		base := ""
		if t.img.DependsOn != "" {
			if base, err = m.dependencyRef(ctx, p, set, rep, t); err != nil {
				rep.Results = append(rep.Results, report.ImageResult{Image: t.img.Name, Platforms: t.img.Platforms, Tags: t.tags, Status: report.StatusFailed, Error: err.Error()})
				continue
			}
		}
		rep.Results = append(rep.Results, m.push(ctx, p, t, base))
	}
	return rep, nil
}

// policyWithBudget is the default retry policy with the given time budget.
func policyWithBudget(budget string) (retry.Policy, error) {
	p := retry.DefaultPolicy()
	d, err := time.ParseDuration(budget)
	if err != nil || d <= 0 {
		return p, fmt.Errorf("invalid retry budget %q: want a positive duration such as 3m", budget)
	}
	p.Budget = d
	if p.Max > d {
		p.Max = d
	}
	return p, p.Validate()
}

// dependencyRef is the digest reference of the image t is built FROM: the
// one just published, or else the one already in the registry under its tag.
func (m *Kfp) dependencyRef(ctx context.Context, p publisher, set catalog.Set, rep report.Report, t target) (string, error) {
	for _, r := range rep.Results {
		if r.Image == t.img.DependsOn {
			if r.Status != report.StatusPublished {
				return "", fmt.Errorf("publish %s: not built, because %s, which it is built FROM, failed", t.img.Name, r.Image)
			}
			return r.References[0], nil
		}
	}
	dep, err := set.Lookup(t.img.DependsOn)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%s:%s", p.registry, dep.Name, m.tagFor(dep)), nil
}
