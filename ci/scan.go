package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/evidence"
	"github.com/kfp-dagger/kfp-dagger/internal/fanout"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
	"github.com/kfp-dagger/kfp-dagger/internal/signing"
	"github.com/kfp-dagger/kfp-dagger/internal/vulnscan"
)

const (
	// dbRefresh is how long a downloaded DB is reused before it is fetched
	// again (Trivy's DB is rebuilt every 6 hours).
	dbRefresh = 6 * time.Hour
	// dbAlias is the host name a tunnelled DB registry has in the container.
	dbAlias = "kfp-trivy-db"
)

// scanOptions is how images are scanned.
type scanOptions struct {
	threshold     vulnscan.Severity
	ignoreUnfixed bool
	dbRepository  string
	dbRegistry    *dagger.Service
	trivyImage    string

	mu     sync.Mutex
	dbDir  *dagger.Directory // the downloaded DB, once a call to db succeeded
	dbMeta string            // its version and update time, once dbVersion succeeded
}

// scanOptions checks the scan flags with the Trivy image and DB with-trivy
// set; call it before building anything.
func (m *Kfp) scanOptions(severity Severity, ignoreUnfixed bool) (*scanOptions, error) {
	th, err := vulnscan.ParseSeverity(string(severity))
	if err != nil {
		return nil, err
	}
	if _, _, err := signing.SplitHost(m.TrivyDBRepository); err != nil {
		return nil, fmt.Errorf("invalid with-trivy --db-repository: %w", err)
	}
	if _, _, err := signing.SplitHost(m.TrivyImage); err != nil {
		return nil, fmt.Errorf("invalid with-trivy --image: %w", err)
	}
	return &scanOptions{threshold: th, ignoreUnfixed: ignoreUnfixed, dbRepository: m.TrivyDBRepository, dbRegistry: m.TrivyDBRegistry, trivyImage: m.TrivyImage}, nil
}

// trivy is a container with the Trivy image, ready for `trivy …` execs.
func trivy(image string) *dagger.Container {
	return dag.Container().From(image).
		WithEnvVariable("TRIVY_NO_PROGRESS", "true").
		WithEnvVariable("TRIVY_DISABLE_TELEMETRY", "true").
		WithEnvVariable("TRIVY_SKIP_VERSION_CHECK", "true")
}

// withTunnel binds a tunnel to a loopback registry into ctr and returns ref
// as the container reaches it: the tunnel's alias and port for the host.
func withTunnel(ctx context.Context, ctr *dagger.Container, svc *dagger.Service, alias, ref string) (*dagger.Container, string, error) {
	ep, err := svc.Endpoint(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("registry tunnel: %w", oneLine(err))
	}
	port, err := signing.Port(ep)
	if err != nil {
		return nil, "", fmt.Errorf("registry tunnel: %w", err)
	}
	in, err := signing.Rehost(ref, alias+":"+port)
	if err != nil {
		return nil, "", err
	}
	return ctr.WithServiceBinding(alias, svc), in, nil
}

// trivyError is the part of a failed trivy run worth showing: from its
// FATAL log line to the end of its output, on one line.
func trivyError(err error) error {
	var ex *dagger.ExecError
	if !errors.As(err, &ex) {
		return oneLine(err)
	}
	lines := strings.Split(ex.Stderr, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if _, fatal, ok := strings.Cut(lines[i], "FATAL"); ok {
			msg := strings.Join(append([]string{fatal}, lines[i+1:]...), " ")
			return fmt.Errorf("trivy: %s", strings.Join(strings.Fields(msg), " "))
		}
	}
	return oneLine(err)
}

// db downloads the vulnerability DB once per refresh period and returns
// Trivy's db directory (trivy.db and metadata.json); one call of a run
// downloads and checks it, the others reuse that.
func (o *scanOptions) db(ctx context.Context) (*dagger.Directory, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dbDir != nil {
		return o.dbDir, nil
	}
	dir, err := o.downloadDB(ctx)
	if err != nil {
		return nil, err
	}
	o.dbDir = dir
	return dir, nil
}

// downloadDB is db without the reuse.
func (o *scanOptions) downloadDB(ctx context.Context) (*dagger.Directory, error) {
	ctr := trivy(o.trivyImage)
	if _, err := ctr.Sync(ctx); err != nil {
		return nil, fmt.Errorf("trivy image %s: %w", o.trivyImage, oneLine(err))
	}
	repo := o.dbRepository
	args := []string{"trivy", "image", "--download-db-only", "--cache-dir", "/cache", "--db-repository"}
	if o.dbRegistry != nil {
		var err error
		if ctr, repo, err = withTunnel(ctx, ctr, o.dbRegistry, dbAlias, repo); err != nil {
			return nil, err
		}
		args = append(args, repo, "--insecure")
	} else {
		args = append(args, repo)
	}
	ctr = ctr.
		// the DB is fetched again once per period, reused from the cache in between
		WithEnvVariable("KFP_TRIVY_DB_PERIOD", time.Now().UTC().Truncate(dbRefresh).Format(time.RFC3339)).
		WithEnvVariable("KFP_TRIVY_DB_REPOSITORY", o.dbRepository).
		WithExec(args)
	dir := ctr.Directory("/cache/db")
	if _, err := dir.File("metadata.json").Contents(ctx); err != nil {
		return nil, fmt.Errorf("vulnerability DB %s could not be downloaded (no scan without it): %w", o.dbRepository, trivyError(err))
	}
	if _, err := dir.File("trivy.db").Size(ctx); err != nil {
		return nil, fmt.Errorf("vulnerability DB %s has no trivy.db: %w", o.dbRepository, oneLine(err))
	}
	return dir, nil
}

// scanned is the outcome of scanning one container.
type scanned struct {
	reports  *dagger.Directory // report.txt, report.json, report.sarif
	report   vulnscan.Report
	findings []vulnscan.Finding // at or above the threshold
	verdict  string             // one line; empty when nothing is at or above the threshold
}

// scanContainer exports ctr as a tarball and scans it with Trivy against db.
func (o *scanOptions) scanContainer(ctx context.Context, ctr *dagger.Container, db *dagger.Directory, subject string) (scanned, error) {
	args := []string{"trivy", "image", "--input", "/in/image.tar",
		"--cache-dir", "/cache", "--cache-backend", "memory",
		"--skip-db-update", "--skip-java-db-update", "--offline-scan",
		"--scanners", "vuln", "--severity", strings.Join(o.threshold.AtOrAbove(), ",")}
	if o.ignoreUnfixed {
		args = append(args, "--ignore-unfixed")
	}
	args = append(args, "--format", "json", "--output", "/out/report.json")
	run := trivy(o.trivyImage).
		WithMountedDirectory("/cache/db", db).
		WithMountedFile("/in/image.tar", ctr.AsTarball()).
		WithDirectory("/out", dag.Directory()).
		WithExec(args).
		WithExec([]string{"trivy", "convert", "--format", "table", "--output", "/out/report.txt", "/out/report.json"}).
		WithExec([]string{"trivy", "convert", "--format", "sarif", "--output", "/out/report.sarif", "/out/report.json"})
	out := run.Directory("/out")
	js, err := out.File("report.json").Contents(ctx)
	if err != nil {
		return scanned{}, fmt.Errorf("scan %s: %w", subject, trivyError(err))
	}
	rep, err := vulnscan.ParseTrivyJSON([]byte(js))
	if err != nil {
		return scanned{}, fmt.Errorf("scan %s: %w", subject, err)
	}
	found := rep.AtOrAbove(o.threshold, o.ignoreUnfixed)
	return scanned{reports: out, report: rep, findings: found, verdict: vulnscan.Verdict(subject, o.threshold, found)}, nil
}

// Scan builds one image for one platform and scans the built container (not
// a pushed reference) with Trivy, offline against a vulnerability DB fetched
// once per 6 hours. It returns report.txt (table), report.json and
// report.sarif, and fails when a vulnerability is at or above the severity
// threshold unless --fail-on-findings=false.
// +cache="session"
func (m *Kfp) Scan(
	ctx context.Context,
	// Image name or short name, e.g. kfp-api-server or apiserver (see images).
	image string,
	// Platform to build and scan: linux/amd64 or linux/arm64.
	// +optional
	// +default="linux/amd64"
	platform string,
	// Lowest severity that counts: LOW, MEDIUM, HIGH or CRITICAL; the reports list these and above.
	// +optional
	// +default="HIGH"
	severity Severity,
	// Leave out vulnerabilities that have no fixed version yet.
	// +optional
	ignoreUnfixed bool,
	// Fail the call when a vulnerability is at or above the threshold; false returns the reports anyway.
	// +optional
	// +default=true
	failOnFindings bool,
	// Registry holding the kfp-api-generator image that kfp-release is built FROM.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
) (*dagger.Directory, error) {
	o, err := m.scanOptions(severity, ignoreUnfixed)
	if err != nil {
		return nil, err
	}
	img, p, err := m.imageFor(ctx, image, platform)
	if err != nil {
		return nil, err
	}
	ctr, err := m.build(ctx, img, p, registry, "")
	if err != nil {
		return nil, err
	}
	db, err := o.db(ctx)
	if err != nil {
		return nil, err
	}
	s, err := o.scanContainer(ctx, ctr, db, img.Name+" "+p)
	if err != nil {
		return nil, err
	}
	if s.verdict != "" && failOnFindings {
		return nil, errors.New(s.verdict)
	}
	return s.reports, nil
}

// ScanAll builds every image (or a subset) for each of its platforms and
// scans each built container, with bounded parallelism. It returns
// summary.md, summary.json and IMAGE/OS-ARCH/report.{txt,json,sarif}, and
// fails naming every image at or above the threshold (and why) unless
// --fail-on-findings=false; an image that cannot be built or scanned always
// fails the call.
// +cache="session"
func (m *Kfp) ScanAll(
	ctx context.Context,
	// Images to scan, by name or short name; all when empty.
	// +optional
	images []string,
	// Only these platforms (each image still builds only the ones it ships).
	// +optional
	platforms []string,
	// Lowest severity that counts: LOW, MEDIUM, HIGH or CRITICAL.
	// +optional
	// +default="HIGH"
	severity Severity,
	// Leave out vulnerabilities that have no fixed version yet.
	// +optional
	ignoreUnfixed bool,
	// Fail the call when an image has a vulnerability at or above the threshold.
	// +optional
	// +default=true
	failOnFindings bool,
	// How many images are built and scanned at once.
	// +optional
	// +default=2
	concurrency int,
	// Registry kfp-api-generator is pushed to before kfp-release is built FROM it; needed only when kfp-release is selected.
	// +optional
	registry string,
) (*dagger.Directory, error) {
	username, password := m.credentialsFor(registry)
	o, err := m.scanOptions(severity, ignoreUnfixed)
	if err != nil {
		return nil, err
	}
	if err := fanout.ValidateConcurrency(concurrency); err != nil {
		return nil, err
	}
	set, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return nil, err
	}
	only, err := parsePlatforms(platforms)
	if err != nil {
		return nil, err
	}
	var first, later []buildJob
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
	switch {
	case len(sel) == 0 && m.SelectChanged:
		// The change reaches no image: nothing to scan, and nothing failed.
		sum := vulnscan.Summary{Threshold: o.threshold.String()}
		js, err := sum.JSON()
		if err != nil {
			return nil, err
		}
		return dag.Directory().WithNewFile("summary.md", sum.Markdown()+"\nThe change reaches no image: nothing to scan.\n").
			WithNewFile("summary.json", string(js)+"\n"), nil
	case len(first)+len(later) == 0:
		return nil, errors.New("scan-all: no image ships any of the requested platforms")
	}
	db, err := o.db(ctx)
	if err != nil {
		return nil, err
	}
	sum := vulnscan.Summary{Threshold: o.threshold.String()}
	out := dag.Directory()
	run := func(jobs []buildJob, baseImage string, baseErr error) {
		results := make([]vulnscan.ImageScan, len(jobs))
		dirs := make([]*dagger.Directory, len(jobs))
		fanout.Run(ctx, len(jobs), concurrency, false, func(ctx context.Context, i int) error {
			j := jobs[i]
			start := time.Now()
			r := &results[i]
			*r = vulnscan.ImageScan{Image: j.img.Name, Platform: j.platform, Threshold: o.threshold.String()}
			defer func() { r.Duration = time.Since(start) }()
			err := baseErr
			var ctr *dagger.Container
			if err == nil {
				ctr, err = m.build(ctx, j.img, j.platform, registry, baseImage)
			}
			var s scanned
			if err == nil {
				s, err = o.scanContainer(ctx, ctr, db, j.img.Name+" "+j.platform)
			}
			if err != nil {
				r.Status, r.Reason = vulnscan.Errored, err.Error()
				return err
			}
			dirs[i], r.Findings = s.reports, s.findings
			if s.verdict != "" {
				r.Status, r.Reason = vulnscan.Blocked, s.verdict
				return nil
			}
			r.Status = vulnscan.Passed
			return nil
		})
		for i, d := range dirs {
			if d != nil {
				out = out.WithDirectory(jobs[i].img.Name+"/"+strings.ReplaceAll(jobs[i].platform, "/", "-"), d)
			}
		}
		sum.Results = append(sum.Results, results...)
	}
	run(first, "", nil)
	if len(later) > 0 {
		base, err := m.stageDependencies(ctx, set, later, registry, username, password)
		run(later, base, err)
	}
	js, err := sum.JSON()
	if err != nil {
		return nil, err
	}
	md := sum.Markdown()
	out = out.WithNewFile("summary.md", md).WithNewFile("summary.json", string(js)+"\n")
	failed := false
	for _, r := range sum.Results {
		failed = failed || r.Status == vulnscan.Errored || (r.Status == vulnscan.Blocked && failOnFindings)
	}
	if failed {
		return nil, fmt.Errorf("%w\n%s", sum.Err(), md)
	}
	return out, nil
}

// scanGate scans every platform variant of img before it is pushed, and
// returns an error that says why when one has a vulnerability at or above
// the threshold: the image must then not be pushed. o nil means no scan.
//
// publish calls it in Kfp.push between building the variants and the first
// Publish.
func (m *Kfp) scanGate(ctx context.Context, img catalog.Image, platforms []string, variants []*dagger.Container, o *scanOptions) error {
	if o == nil {
		return nil
	}
	db, err := o.db(ctx)
	if err != nil {
		return fmt.Errorf("not pushed: %w", err)
	}
	var blocked []string
	for i, v := range variants {
		s, err := o.scanContainer(ctx, v, db, img.Name+" "+platforms[i])
		if err != nil {
			return fmt.Errorf("not pushed: %w", err)
		}
		if s.verdict != "" {
			blocked = append(blocked, s.verdict)
		}
	}
	if len(blocked) > 0 {
		return fmt.Errorf("not pushed: scan failed: %s", strings.Join(blocked, "; "))
	}
	return nil
}

// sbomFile writes the SBOM of a built container with Trivy (no
// vulnerability DB needed).
func sbomFile(ctr *dagger.Container, f vulnscan.SBOMFormat, trivyImage string) *dagger.File {
	return trivy(trivyImage).
		WithMountedFile("/in/image.tar", ctr.AsTarball()).
		WithDirectory("/out", dag.Directory()).
		WithExec([]string{"trivy", "image", "--input", "/in/image.tar",
			"--cache-dir", "/cache", "--cache-backend", "memory", "--offline-scan",
			"--format", f.Trivy, "--output", "/out/" + f.File}).
		File("/out/" + f.File)
}

// Sbom builds one image for one platform and returns the SBOM of the built
// container, written by Trivy: SPDX 2.3 JSON or CycloneDX JSON.
func (m *Kfp) Sbom(
	ctx context.Context,
	// Image name or short name, e.g. kfp-api-server or apiserver (see images).
	image string,
	// Platform to build: linux/amd64 or linux/arm64.
	// +optional
	// +default="linux/amd64"
	platform string,
	// SBOM format.
	// +optional
	// +default="spdx-json"
	format SbomFormat,
	// Registry holding the kfp-api-generator image that kfp-release is built FROM.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
) (*dagger.File, error) {
	trivyImage := m.TrivyImage
	f, err := vulnscan.ParseSBOMFormat(string(format))
	if err != nil {
		return nil, err
	}
	ctr, err := m.Build(ctx, image, platform, registry)
	if err != nil {
		return nil, err
	}
	file := sbomFile(ctr, f, trivyImage)
	if _, err := file.Sync(ctx); err != nil {
		return nil, fmt.Errorf("sbom %s %s: %w", image, platform, oneLine(err))
	}
	return file, nil
}

// supplyChain is what publish does around each push: the scan gate before
// it and the SBOM attachment after it. Zero value: neither.
type supplyChain struct {
	scan *scanOptions
	sbom *sbomOptions
}

// supplyChain checks publish's --scan and --sbom flags; call it before
// building anything.
func (m *Kfp) supplyChain(scan bool, severity Severity, ignoreUnfixed bool, sbom bool, sbomFormat SbomFormat, registry string) (supplyChain, error) {
	var c supplyChain
	var err error
	if scan {
		if c.scan, err = m.scanOptions(severity, ignoreUnfixed); err != nil {
			return c, err
		}
	}
	if sbom {
		if c.sbom, err = m.sbomOptions(sbomFormat, registry); err != nil {
			return c, err
		}
	}
	return c, nil
}

// preflight checks, before anything is built or written, that every tool
// image the chain needs can be pulled and that the tunnels it needs answer:
// Trivy and its DB for the scan, Trivy and cosign for the SBOMs.
func (c supplyChain) preflight(ctx context.Context) error {
	if c.scan != nil {
		if _, err := trivy(c.scan.trivyImage).Sync(ctx); err != nil {
			return fmt.Errorf("pre-flight: trivy image %s: %w", c.scan.trivyImage, oneLine(err))
		}
		if _, err := c.scan.db(ctx); err != nil {
			return fmt.Errorf("pre-flight: vulnerability DB: %w", err)
		}
	}
	if c.sbom != nil {
		if _, err := trivy(c.sbom.trivyImage).Sync(ctx); err != nil {
			return fmt.Errorf("pre-flight: trivy image %s: %w", c.sbom.trivyImage, oneLine(err))
		}
		if _, err := cosignContainer(c.sbom.cosign.image).Sync(ctx); err != nil {
			return fmt.Errorf("pre-flight: cosign image %s: %w", c.sbom.cosign.image, oneLine(err))
		}
		if t := c.sbom.cosign.tunnel; t != nil {
			if _, err := t.Start(ctx); err != nil {
				return fmt.Errorf("pre-flight: registry tunnel: %w", oneLine(err))
			}
		}
	}
	return nil
}

// scanCheck is the scan gate as a verify check: it scans one staged
// platform image, pulled by digest, and fails when it has a vulnerability at
// or above the threshold.
// Each verdict goes to f (nil: nowhere) for the evidence.
func (m *Kfp) scanCheck(repository, registry, username string, password *dagger.Secret, o *scanOptions, f *findings) release.Check {
	return func(ctx context.Context, image, platform string, digest v1.Hash) error {
		db, err := o.db(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		s, err := o.scanContainer(ctx, stagedContainer(repository, registry, username, password, platform, digest), db, image+" "+platform)
		if err != nil {
			return err
		}
		v := evidence.Verdict{Platform: platform, Passed: s.verdict == ""}
		for _, fd := range s.findings {
			v.Findings = append(v.Findings, fd.ID)
		}
		f.addVerdict(image, v, start, time.Now())
		if s.verdict != "" {
			return fmt.Errorf("scan failed: %s", s.verdict)
		}
		return nil
	}
}
