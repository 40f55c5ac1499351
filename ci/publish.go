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
	"github.com/kfp-dagger/kfp-dagger/internal/gitsource"
	"github.com/kfp-dagger/kfp-dagger/internal/regerr"
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

// Plan prints exactly which references publish-all would push, without
// building or pushing anything, and which KFP images the source tree leaves
// out.
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
	format string,
) (string, error) {
	set, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return "", err
	}
	return m.renderPlan(set, sel, registry, latest, format)
}

// renderPlan renders the plan of publishing sel, an image selection of set,
// as text or JSON.
func (m *Kfp) renderPlan(set catalog.Set, sel []catalog.Image, registry string, latest bool, format string) (string, error) {
	ts, err := m.plan(sel, registry, latest)
	if err != nil {
		return "", err
	}
	switch format {
	case "text":
		var b strings.Builder
		for _, t := range ts {
			for _, r := range t.refs {
				fmt.Fprintf(&b, "%s\t%s\n", r, strings.Join(t.img.Platforms, ","))
			}
		}
		return b.String() + leftOutLine(set), nil
	case "json":
		rep := report.Report{Title: "kfp-dagger plan", LeftOut: leftOutReport(set)}
		for _, t := range ts {
			rep.Results = append(rep.Results, report.ImageResult{Image: t.img.Name, Platforms: t.img.Platforms, Tags: t.tags, References: t.refs, Status: report.StatusPlanned})
		}
		b, err := rep.JSON()
		return string(b), err
	}
	return "", fmt.Errorf("invalid format %q: want text or json", format)
}

// publisher pushes with one set of credentials and one retry policy.
type publisher struct {
	registry string
	username string
	password *dagger.Secret
	policy   retry.Policy
	force    bool
	chain    supplyChain
}

func (p publisher) auth(c *dagger.Container) *dagger.Container {
	if p.username == "" || p.password == nil {
		return c
	}
	return c.WithRegistryAuth(registryHost(p.registry), p.username, p.password)
}

// exists reports whether ref is in the registry.
func (p publisher) exists(ctx context.Context, ref string) (bool, error) {
	_, err := p.auth(dag.Container()).From(ref).Platform(ctx)
	switch {
	case err == nil:
		return true, nil
	case regerr.Is(err, regerr.NotFound):
		return false, nil
	}
	return false, regerr.Explain("look up "+ref, p.registry, p.username, oneLine(err))
}

// checkImmutable fails when a release tag of t already exists, unless forced.
func (p publisher) checkImmutable(ctx context.Context, t target) error {
	if p.force {
		return nil
	}
	for i, tag := range t.tags {
		if !tags.Immutable(tag) || gitsource.IsCommit(tag) {
			continue // a commit tag names a build of that commit; a rebuild of the same commit may move it
		}
		ok, err := p.exists(ctx, t.refs[i])
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("publish %s: %s already exists and release tags are immutable; pass --force to overwrite it", t.img.Name, t.refs[i])
		}
	}
	return nil
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

// Publish builds every platform of an image, pushes them as one
// multi-platform image index tagged by KFP's tag rules, and returns the
// reference under the version tag (master or X.Y.Z) with the index digest.
// +cache="session"
func (m *Kfp) Publish(
	ctx context.Context,
	// Image name or short name, e.g. kfp-api-server or apiserver (see images).
	image string,
	// Registry path to push to; the image is pushed as <registry>/<image>:<tag>.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
	// Also tag a release as latest.
	// +optional
	latest bool,
	// Overwrite a release tag that already exists.
	// +optional
	force bool,
	// How long transient registry errors (429, 5xx, resets, timeouts) are retried, e.g. 3m.
	// +optional
	// +default="3m"
	retryBudget string,
) (string, error) {
	set, err := m.imageSet(ctx)
	if err != nil {
		return "", err
	}
	img, err := set.Lookup(image)
	if err != nil {
		return "", err
	}
	rep, err := m.publishAll(ctx, set, []catalog.Image{img}, registry, username, password, latest, force, 1, true, retryBudget, supplyChain{})
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

// PublishAll builds, pushes and tags every image (or a subset) with bounded
// parallelism, and reports per image its platforms, digest, tags, size,
// duration and retries.
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
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
	// Also tag a release as latest.
	// +optional
	latest bool,
	// Overwrite release tags that already exist.
	// +optional
	force bool,
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
	// How long transient registry errors (429, 5xx, resets, timeouts) are retried per push, e.g. 3m.
	// +optional
	// +default="3m"
	retryBudget string,
	// Report format: markdown or json.
	// +optional
	// +default="markdown"
	format string,
	// Scan every image with Trivy before it is pushed; an image with a vulnerability at or above --severity is not pushed.
	// +optional
	scan bool,
	// Lowest severity that blocks a push: LOW, MEDIUM, HIGH or CRITICAL.
	// +optional
	// +default="HIGH"
	severity string,
	// Leave out vulnerabilities that have no fixed version yet.
	// +optional
	ignoreUnfixed bool,
	// Trivy vulnerability DB (OCI artifact).
	// +optional
	// +default="ghcr.io/aquasecurity/trivy-db:2"
	dbRepository string,
	// Tunnel to a loopback registry holding the DB, e.g. tcp://localhost:5000.
	// +optional
	dbRegistry *dagger.Service,
	// Image that provides the trivy binary.
	// +optional
	// +default="aquasec/trivy:0.74.0"
	trivyImage string,
	// Attach each platform's SBOM to the pushed image with cosign.
	// +optional
	sbom bool,
	// SBOM format: spdx-json or cyclonedx-json.
	// +optional
	// +default="spdx-json"
	sbomFormat string,
	// Tunnel to a loopback publish registry for cosign, e.g. tcp://localhost:5000.
	// +optional
	registryTunnel *dagger.Service,
	// Image that provides the cosign binary.
	// +optional
	// +default="gcr.io/projectsigstore/cosign:v3.1.3"
	cosignImage string,
) (string, error) {
	if format != "markdown" && format != "json" {
		return "", fmt.Errorf("invalid format %q: want markdown or json", format)
	}
	chain, err := newSupplyChain(scan, severity, ignoreUnfixed, dbRepository, dbRegistry, trivyImage, sbom, sbomFormat, cosignImage, username, password, registryTunnel)
	if err != nil {
		return "", err
	}
	set, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return "", err
	}
	if dryRun {
		return m.renderPlan(set, sel, registry, latest, map[string]string{"markdown": "text", "json": "json"}[format])
	}
	rep, err := m.publishAll(ctx, set, sel, registry, username, password, latest, force, concurrency, failFast, retryBudget, chain)
	if err != nil {
		return "", err
	}
	return renderReport(rep, format)
}

// publishAll validates everything, checks release tags, then pushes sel, a
// selection of set: images that others are built FROM first, the rest in
// parallel.
func (m *Kfp) publishAll(ctx context.Context, set catalog.Set, sel []catalog.Image, registry, username string, password *dagger.Secret, latest, force bool, concurrency int, failFast bool, retryBudget string, chain supplyChain) (report.Report, error) {
	rep := report.Report{Title: "kfp-dagger publish", LeftOut: leftOutReport(set)}
	if err := fanout.ValidateConcurrency(concurrency); err != nil {
		return rep, err
	}
	policy, err := policyWithBudget(retryBudget)
	if err != nil {
		return rep, err
	}
	ts, err := m.plan(sel, registry, latest)
	if err != nil {
		return rep, err
	}
	p := publisher{registry: registry, username: username, password: password, policy: policy, force: force, chain: chain}
	for _, t := range ts {
		if err := p.checkImmutable(ctx, t); err != nil {
			return rep, err
		}
	}
	var first, later []target
	for _, t := range ts {
		if t.img.DependsOn != "" {
			later = append(later, t)
		} else {
			first = append(first, t)
		}
	}
	run := func(group []target, baseImage func(target) (string, error)) {
		results := make([]report.ImageResult, len(group))
		fanout.Run(ctx, len(group), concurrency, failFast, func(ctx context.Context, i int) error {
			base, err := baseImage(group[i])
			if err != nil {
				results[i] = report.ImageResult{Image: group[i].img.Name, Platforms: group[i].img.Platforms, Tags: group[i].tags, Status: report.StatusFailed, Error: err.Error()}
				return err
			}
			results[i] = m.push(ctx, p, group[i], base)
			if results[i].Status == report.StatusFailed {
				return errors.New(results[i].Error)
			}
			return nil
		})
		for i := range results {
			if results[i].Status == "" {
				results[i] = report.ImageResult{Image: group[i].img.Name, Platforms: group[i].img.Platforms, Tags: group[i].tags, Status: report.StatusSkipped, Error: "not started: an earlier image failed"}
			}
		}
		rep.Results = append(rep.Results, results...)
	}
	run(first, func(target) (string, error) { return "", nil })
	if len(later) > 0 {
		run(later, func(t target) (string, error) { return m.dependencyRef(ctx, p, set, rep, t) })
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
