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
	"github.com/kfp-dagger/kfp-dagger/internal/fanout"
	"github.com/kfp-dagger/kfp-dagger/internal/labels"
	"github.com/kfp-dagger/kfp-dagger/internal/report"
	"github.com/kfp-dagger/kfp-dagger/internal/retry"
)

// Build builds one KFP image for one platform from its Dockerfile and returns
// the container, so calls chain: build … terminal, build … as-tarball.
func (m *Kfp) Build(
	ctx context.Context,
	// Image name or short name, e.g. kfp-api-server or apiserver (see images).
	image string,
	// Platform to build: linux/amd64 or linux/arm64.
	// +optional
	// +default="linux/amd64"
	platform string,
	// Registry holding the kfp-api-generator image that kfp-release is built FROM.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
) (*dagger.Container, error) {
	img, p, err := m.imageFor(ctx, image, platform)
	if err != nil {
		return nil, err
	}
	return m.build(ctx, img, p, registry, "")
}

// build builds img for platform. baseImage, when set, is the exact
// reference kfp-release is built FROM; otherwise it is named from registry.
func (m *Kfp) build(ctx context.Context, img catalog.Image, platform, registry, baseImage string) (*dagger.Container, error) {
	ok, err := m.Source.Exists(ctx, img.Dockerfile)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", img.Name, err)
	}
	if !ok {
		return nil, fmt.Errorf("build %s: Dockerfile %s not found in the source", img.Name, img.Dockerfile)
	}
	buildArgs, err := m.buildArgs(ctx, img, registry, baseImage)
	if err != nil {
		return nil, err
	}
	dir, dockerfile := m.Source, img.Dockerfile
	if img.Context != "." {
		dir = m.Source.Directory(img.Context)
		dockerfile = strings.TrimPrefix(img.Dockerfile, img.Context+"/")
	}
	ctr := dir.DockerBuild(dagger.DirectoryDockerBuildOpts{
		Dockerfile: dockerfile,
		Platform:   dagger.Platform(platform),
		BuildArgs:  buildArgs,
	})
	ls, err := labels.For(labels.Inputs{
		Title:     img.Name,
		SourceURL: m.SourceURL,
		Commit:    m.Commit,
		Version:   m.tagFor(img),
		Created:   m.created(),
		Licenses:  "Apache-2.0",
	})
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", img.Name, err)
	}
	for _, l := range ls {
		ctr = ctr.WithLabel(l.Name, l.Value)
	}
	return ctr, nil
}

// buildArgs are the Dockerfile build arguments img is built with; those
// without a value are left out. baseImage, when set, is BASE_IMAGE.
func (m *Kfp) buildArgs(ctx context.Context, img catalog.Image, registry, baseImage string) ([]dagger.BuildArg, error) {
	in := catalog.BuildInputs{
		Commit:   m.Commit,
		Tag:      m.tagFor(img),
		Registry: registry,
	}
	if slices.Contains(img.BuildArgs, "NODE_VERSION") {
		var err error
		if in.NVMRC, err = m.readOptional(ctx, "frontend/.nvmrc"); err != nil {
			return nil, fmt.Errorf("build %s: read frontend/.nvmrc: %w", img.Name, err)
		}
	}
	args, err := img.BuildArgValues(in)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", img.Name, err)
	}
	var out []dagger.BuildArg
	for _, a := range args {
		if a.Name == "BASE_IMAGE" && baseImage != "" {
			a.Value = baseImage
		}
		if a.Value == "" {
			continue // the engine takes no empty values; the Dockerfile's default is empty anyway
		}
		out = append(out, dagger.BuildArg{Name: a.Name, Value: a.Value})
	}
	return out, nil
}

// tagFor is the tag an image is built and pushed as: the version for
// published images; for tool images, which are tagged by branch, master or
// release-X.Y.
func (m *Kfp) tagFor(img catalog.Image) string {
	if !img.Tool || m.Version == "master" {
		return m.Version
	}
	parts := strings.SplitN(m.Version, ".", 3)
	if len(parts) < 2 {
		return m.Version
	}
	return "release-" + parts[0] + "." + parts[1]
}

// buildJob is one image to build for one platform.
type buildJob struct {
	img      catalog.Image
	platform string
}

// BuildAll builds every image (or a subset) for each of its platforms with
// bounded parallelism and reports every failure, not only the first.
func (m *Kfp) BuildAll(
	ctx context.Context,
	// Images to build, by name or short name; all when empty.
	// +optional
	images []string,
	// Only these platforms (each image still builds only the ones it ships).
	// +optional
	platforms []string,
	// How many image builds run at once.
	// +optional
	// +default=2
	concurrency int,
	// Stop at the first failure instead of building everything.
	// +optional
	failFast bool,
	// Run each image's entrypoint with --version and check it reports the built architecture.
	// +optional
	smoke bool,
	// Registry kfp-api-generator is pushed to before kfp-release is built FROM it; needed only when kfp-release is selected.
	// +optional
	registry string,
	// Report format.
	// +optional
	// +default="markdown"
	format ReportFormat,
) (string, error) {
	username, password := m.credentialsFor(registry)
	if err := fanout.ValidateConcurrency(concurrency); err != nil {
		return "", err
	}
	set, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return "", err
	}
	only, err := parsePlatforms(platforms)
	if err != nil {
		return "", err
	}
	var first, later []buildJob // later: images built FROM another selected image
	for _, img := range sel {
		for _, p := range img.Platforms {
			if len(only) > 0 && !only[p] {
				continue
			}
			if img.DependsOn != "" {
				later = append(later, buildJob{img, p})
			} else {
				first = append(first, buildJob{img, p})
			}
		}
	}
	rep := report.Report{Title: "kfp-dagger build-all", LeftOut: leftOutReport(set)}
	switch {
	case len(sel) == 0 && m.SelectChanged:
		return renderReport(rep, format) // the change affects no image: nothing to build
	case len(first)+len(later) == 0:
		return "", errors.New("build-all: no image ships any of the requested platforms")
	}
	run := func(jobs []buildJob, baseImage string) {
		results := make([]report.ImageResult, len(jobs))
		errs := fanout.Run(ctx, len(jobs), concurrency, failFast, func(ctx context.Context, i int) error {
			j := jobs[i]
			start := time.Now()
			r := &results[i]
			r.Image, r.Platforms = j.img.Name, []string{j.platform}
			err := m.buildAndCheck(ctx, j.img, j.platform, registry, baseImage, smoke)
			r.Duration = time.Since(start)
			if err != nil {
				r.Status, r.Error = report.StatusFailed, err.Error()
				return err
			}
			r.Status = report.StatusBuilt
			return nil
		})
		for i, err := range errs {
			if err != nil && results[i].Status == "" {
				// never started: --fail-fast stopped the run
				results[i] = report.ImageResult{Image: jobs[i].img.Name, Platforms: []string{jobs[i].platform}, Status: report.StatusSkipped, Error: err.Error()}
			}
		}
		rep.Results = append(rep.Results, results...)
	}
	run(first, "")
	if len(later) > 0 {
		switch base, err := m.stageDependencies(ctx, set, later, registry, username, password); {
		case errors.Is(err, errNoStagingRegistry):
			for _, j := range later {
				rep.Results = append(rep.Results, report.ImageResult{Image: j.img.Name, Platforms: []string{j.platform}, Status: report.StatusSkipped, Error: err.Error()})
			}
		case err != nil:
			for _, j := range later {
				rep.Results = append(rep.Results, report.ImageResult{Image: j.img.Name, Platforms: []string{j.platform}, Status: report.StatusFailed, Error: err.Error()})
			}
		default:
			run(later, base)
		}
	}
	return renderReport(rep, format)
}

// errNoStagingRegistry says why an image built FROM another is skipped.
var errNoStagingRegistry = errors.New("skipped without --registry")

// stageDependencies pushes the image that the later jobs are built FROM
// (kfp-api-generator for kfp-release) and returns its digest reference.
func (m *Kfp) stageDependencies(ctx context.Context, set catalog.Set, later []buildJob, registry, username string, password *dagger.Secret) (string, error) {
	dep, err := set.Lookup(later[0].img.DependsOn)
	if err != nil {
		return "", err
	}
	if registry == "" {
		return "", fmt.Errorf("%w: %s is built FROM %s, which must be pushed first", errNoStagingRegistry, later[0].img.Name, dep.Name)
	}
	ts, err := m.plan([]catalog.Image{dep}, registry, false)
	if err != nil {
		return "", err
	}
	p := publisher{registry: registry, username: username, password: password, policy: retry.DefaultPolicy()}
	res := m.push(ctx, p, ts[0], "")
	if res.Status != report.StatusPublished {
		return "", fmt.Errorf("push %s for %s: %s", dep.Name, later[0].img.Name, res.Error)
	}
	return res.References[0], nil
}

// buildAndCheck builds one image for one platform and, with smoke, runs its
// entrypoint with --version and checks the architecture it reports.
func (m *Kfp) buildAndCheck(ctx context.Context, img catalog.Image, platform, registry, baseImage string, smoke bool) error {
	ctr, err := m.build(ctx, img, platform, registry, baseImage)
	if err != nil {
		return err
	}
	if !smoke {
		if _, err := ctr.Sync(ctx); err != nil {
			return fmt.Errorf("build %s for %s: %w", img.Name, platform, oneLine(err))
		}
		return nil
	}
	out, err := ctr.WithExec([]string{"--version"}, dagger.ContainerWithExecOpts{UseEntrypoint: true}).Stdout(ctx)
	if err != nil {
		return fmt.Errorf("smoke %s for %s: %w", img.Name, platform, oneLine(err))
	}
	want := "arch=" + strings.TrimPrefix(platform, "linux/")
	if !strings.Contains(out, want) {
		return fmt.Errorf("smoke %s for %s: --version printed %q, want %s", img.Name, platform, strings.TrimSpace(out), want)
	}
	return nil
}

// registryHost is the host[:port] part of a registry path such as ghcr.io/kubeflow.
func registryHost(registry string) string {
	h, _, _ := strings.Cut(registry, "/")
	return h
}

// renderReport renders rep as JSON or Markdown, and returns
// it as the error's tail too when an image failed, so a failing call still
// shows every image's outcome.
func renderReport(rep report.Report, format ReportFormat) (string, error) {
	out := rep.Markdown()
	if format == ReportFormatJSON {
		b, err := rep.JSON()
		if err != nil {
			return "", err
		}
		out = string(b)
	}
	if err := rep.Err(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out)
	}
	return out, nil
}
