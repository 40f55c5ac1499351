package main

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/evidence"
	"github.com/kfp-dagger/kfp-dagger/internal/fanout"
	"github.com/kfp-dagger/kfp-dagger/internal/release"
	"github.com/kfp-dagger/kfp-dagger/internal/signing"
	"github.com/kfp-dagger/kfp-dagger/internal/vulnscan"
)

// engineVersion is the Dagger engine this module is written for (dagger.json),
// recorded in provenance as the builder's version.
const engineVersion = "v0.21.8"

// builderID names kfp-dagger as the builder in provenance.
const builderID = "https://github.com/kfp-dagger/kfp-dagger/ci"

// keyPath is where the cosign private key is mounted, as a Secret.
const keyPath = "/kfp/cosign/cosign.key"

// signingOptions is how publish-all makes, signs and checks the evidence of
// each staged index before any tag moves. nil: no evidence.
type signingOptions struct {
	key        *dagger.Secret // cosign.key
	password   *dagger.Secret // the key's password; nil is the empty one
	cosign     cosignOptions  // how cosign reaches the registry
	trivyImage string         // makes the SBOMs
	sbom       vulnscan.SBOMFormat
	public     crypto.PublicKey
}

// signingOptions checks what with-signing-key set, for a run whose smoke
// setting is smoke and whose registry is registry; call it before building
// anything. No key, no evidence.
func (m *Kfp) signingOptions(smoke bool, registry string) (*signingOptions, error) {
	switch {
	case m.SigningKey == nil:
		return nil, nil
	case !smoke:
		return nil, errors.New("with-signing-key needs the smoke run (drop --smoke=false): the evidence records its result and verify-release requires it")
	}
	f, err := vulnscan.ParseSBOMFormat("spdx-json")
	if err != nil {
		return nil, err
	}
	return &signingOptions{key: m.SigningKey, password: m.SigningKeyPassword, cosign: m.cosignFor(registry), trivyImage: m.TrivyImage, sbom: f}, nil
}

// keyed gives a cosign container the private key and its password, both as
// Secrets: the only secrets it gets besides the registry's docker config.
func (o *signingOptions) keyed(ctr *dagger.Container) *dagger.Container {
	ctr = ctr.WithMountedSecret(keyPath, o.key)
	if o.password != nil {
		return ctr.WithSecretVariable("COSIGN_PASSWORD", o.password)
	}
	return ctr.WithEnvVariable("COSIGN_PASSWORD", "")
}

// preflight checks, before anything is written, that cosign opens the key
// with its password (it derives the public key the evidence is checked
// with) and that the Trivy image for the SBOMs can be pulled.
func (o *signingOptions) preflight(ctx context.Context) error {
	pem, err := o.keyed(cosignContainer(o.cosign.image)).WithExec(signing.PublicKeyArgs(keyPath)).Stdout(ctx)
	if err != nil {
		err = oneLine(err) // holds cosign's stderr
		if strings.Contains(err.Error(), "decryption failed") {
			return errors.New("pre-flight: signing key: the with-signing-key password does not open the key (cosign: decryption failed)")
		}
		return fmt.Errorf("pre-flight: signing key: %w", err)
	}
	if o.public, err = evidence.ParsePublicKey([]byte(pem)); err != nil {
		return fmt.Errorf("pre-flight: signing key: %w", err)
	}
	if _, err := trivy(o.trivyImage).Sync(ctx); err != nil {
		return fmt.Errorf("pre-flight: trivy image %s: %w", o.trivyImage, oneLine(err))
	}
	return nil
}

// findings are what verify learned about each image that its evidence
// records: the smoke run and scan verdict of every platform. Checks run
// concurrently; findings is safe for that.
type findings struct {
	mu    sync.Mutex
	smoke map[string][]evidence.SmokeResult
	scan  map[string]*scanFinding
}

type scanFinding struct {
	verdicts              []evidence.Verdict
	startedOn, finishedOn time.Time
}

func newFindings() *findings {
	return &findings{smoke: map[string][]evidence.SmokeResult{}, scan: map[string]*scanFinding{}}
}

func (f *findings) addSmoke(image string, r evidence.SmokeResult) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.smoke[image] = append(f.smoke[image], r)
}

func (f *findings) addVerdict(image string, v evidence.Verdict, start, end time.Time) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.scan[image]
	if s == nil {
		s = &scanFinding{startedOn: start, finishedOn: end}
		f.scan[image] = s
	}
	s.verdicts = append(s.verdicts, v)
	if start.Before(s.startedOn) {
		s.startedOn = start
	}
	if end.After(s.finishedOn) {
		s.finishedOn = end
	}
}

// attest makes the evidence a verified, staged index still lacks, signs
// every statement with cosign (one after another: cosign appends to one
// list per index), and reads it all back: every statement Check requires
// present and opened with the key. A rerun signs only what is missing.
// It returns how many statements it signed.
func (m *Kfp) attest(ctx context.Context, reg release.Registry, rec release.Record, img catalog.Image, o *signingOptions,
	scan *scanOptions, f *findings, startedOn time.Time, registry, username string, password *dagger.Secret) (int, error) {
	repo, err := name.NewRepository(rec.Repository)
	if err != nil {
		return 0, err
	}
	expect := evidence.Expect{Image: rec.Image, Index: rec.Index, Commit: rec.Commit, Platforms: rec.PlatformNames(), Scan: scan != nil}
	have, err := o.opened(ctx, reg, repo, rec.Index)
	if err != nil {
		return 0, err
	}
	need := evidence.Needed(expect, have)
	var sts []evidence.Statement
	add := func(st evidence.Statement, err error) error {
		if err == nil {
			sts = append(sts, st)
		}
		return err
	}
	if need.Provenance {
		b, err := m.provenanceOf(ctx, img, rec, registry, startedOn)
		if err != nil {
			return 0, err
		}
		if err := add(evidence.NewProvenance(rec, b)); err != nil {
			return 0, err
		}
	}
	for _, p := range need.SBOMs {
		i := slices.IndexFunc(rec.Platforms, func(pm release.PlatformManifest) bool { return pm.Platform == p })
		ctr := stagedContainer(rec.Repository, registry, username, password, p, rec.Platforms[i].Digest)
		doc, err := sbomFile(ctr, o.sbom, o.trivyImage).Contents(ctx)
		if err != nil {
			return 0, fmt.Errorf("SBOM of %s %s: %w", rec.Image, p, oneLine(err))
		}
		named, err := evidence.NameSBOM([]byte(doc), rec.Image, p)
		if err != nil {
			return 0, err
		}
		if err := add(evidence.NewSBOM(rec, named)); err != nil {
			return 0, err
		}
	}
	if need.Smoke {
		if err := add(evidence.NewSmoke(rec, f.smokeOf(rec.Image))); err != nil {
			return 0, err
		}
	}
	if need.Scan {
		s, err := scan.evidence(ctx, f.scanOf(rec.Image))
		if err != nil {
			return 0, err
		}
		if err := add(evidence.NewVuln(rec, s)); err != nil {
			return 0, err
		}
	}
	for _, st := range sts {
		if err := o.sign(ctx, rec.Repository+"@"+rec.Index.String(), st); err != nil {
			return 0, err
		}
	}
	have, err = o.opened(ctx, reg, repo, rec.Index)
	if err != nil {
		return len(sts), err
	}
	if fails := evidence.Check(expect, have); len(fails) > 0 {
		return len(sts), fmt.Errorf("the evidence read back fails: %s", strings.Join(fails, "; "))
	}
	return len(sts), nil
}

// attestAll runs attest for every verified index of merged, concurrency at
// a time, and returns per record how many statements it signed and the
// error (or nil).
func (m *Kfp) attestAll(ctx context.Context, reg release.Registry, set catalog.Set, merged []release.Record, o *signingOptions,
	scan *scanOptions, f *findings, startedOn time.Time, registry, username string, password *dagger.Secret, concurrency int) ([]int, []error) {
	signed := make([]int, len(merged))
	errs := fanout.Run(ctx, len(merged), concurrency, false, func(ctx context.Context, i int) error {
		r := merged[i]
		img, err := set.Lookup(r.Image)
		if err != nil {
			return err
		}
		signed[i], err = m.attest(ctx, reg, r, img, o, scan, f, startedOn, registry, username, password)
		return err
	})
	return signed, errs
}

// opened is the evidence attached to digest in repo that opens with the
// key; envelopes signed by another key are not this run's and count for
// nothing here (verify-release reports them).
func (o *signingOptions) opened(ctx context.Context, reg release.Registry, repo name.Repository, digest v1.Hash) ([]evidence.Statement, error) {
	found, err := evidence.Fetch(ctx, reg, repo, digest)
	if err != nil {
		return nil, err
	}
	var out []evidence.Statement
	for _, f := range found {
		if st, err := evidence.Open(f.Envelope, o.public); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// sign signs st's predicate with cosign as an attestation of ref (by
// digest). The predicate is a plain file: it holds no secret.
func (o *signingOptions) sign(ctx context.Context, ref string, st evidence.Statement) error {
	typ, err := evidence.CosignType(st.PredicateType)
	if err != nil {
		return err
	}
	ctr, in, reg, err := o.cosign.container(ctx, ref)
	if err != nil {
		return err
	}
	const path = "/kfp/evidence/predicate.json"
	pred := dag.Directory().WithNewFile("predicate.json", string(st.Predicate)).File("predicate.json")
	if _, err := o.keyed(ctr).WithMountedFile(path, pred).WithExec(signing.AttestArgs(keyPath, reg, typ, path, in)).Sync(ctx); err != nil {
		return fmt.Errorf("attest %s of %s: %w", typ, ref, oneLine(err))
	}
	return nil
}

// provenanceOf is what the provenance of img records beyond its record:
// the builder, the build arguments, and every base image resolved to the
// digest the engine pulls for it.
func (m *Kfp) provenanceOf(ctx context.Context, img catalog.Image, rec release.Record, registry string, startedOn time.Time) (evidence.Build, error) {
	b := evidence.Build{BuilderID: builderID, Versions: map[string]string{"dagger": engineVersion},
		BuildArgs: map[string]string{}, StartedOn: startedOn, FinishedOn: rec.StagedAt}
	if b.FinishedOn.IsZero() {
		b.FinishedOn = time.Now()
	}
	if b.StartedOn.IsZero() || b.StartedOn.After(b.FinishedOn) {
		b.StartedOn = b.FinishedOn // staged by an earlier run, or only the staging time is known
	}
	args, err := m.buildArgs(ctx, img, registry, "")
	if err != nil {
		return b, err
	}
	for _, a := range args {
		b.BuildArgs[a.Name] = a.Value
	}
	dockerfile, err := m.Source.File(img.Dockerfile).Contents(ctx)
	if err != nil {
		return b, fmt.Errorf("provenance of %s: read %s: %w", img.Name, img.Dockerfile, oneLine(err))
	}
	refs, err := evidence.BaseImages([]byte(dockerfile), b.BuildArgs)
	if err != nil {
		return b, fmt.Errorf("provenance of %s: %w", img.Name, err)
	}
	for _, ref := range refs {
		resolved, err := dag.Container().From(ref).ImageRef(ctx)
		if err != nil {
			return b, fmt.Errorf("provenance of %s: resolve base image %s: %w", img.Name, ref, oneLine(err))
		}
		_, digest, ok := strings.Cut(resolved, "@")
		if !ok {
			return b, fmt.Errorf("provenance of %s: base image %s resolved to %s, without a digest", img.Name, ref, resolved)
		}
		b.BaseImages = append(b.BaseImages, evidence.BaseImage{Ref: ref, Digest: digest})
	}
	return b, nil
}

func (f *findings) smokeOf(image string) []evidence.SmokeResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.smoke[image])
}

func (f *findings) scanOf(image string) scanFinding {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.scan[image]; s != nil {
		return scanFinding{verdicts: slices.Clone(s.verdicts), startedOn: s.startedOn, finishedOn: s.finishedOn}
	}
	return scanFinding{}
}

// evidence is the vulnerability verdict of one image: the scanner, the DB
// version and update time (its metadata.json), the policy and the verdicts.
func (o *scanOptions) evidence(ctx context.Context, f scanFinding) (evidence.Scan, error) {
	s := evidence.Scan{ScannerURI: "pkg:github/aquasecurity/trivy", ScannerVersion: imageTag(o.trivyImage),
		DBURI: o.dbRepository, Policy: evidence.Policy{Threshold: o.threshold.String(), IgnoreUnfixed: o.ignoreUnfixed},
		Verdicts: f.verdicts, StartedOn: f.startedOn, FinishedOn: f.finishedOn}
	v, err := o.dbVersion(ctx)
	if err != nil {
		return s, err
	}
	s.DBVersion = v
	return s, nil
}

// dbVersion is the DB's schema version and update time, from its
// metadata.json ("v2 updated 2026-11-30T00:00:00Z"), read once per run.
func (o *scanOptions) dbVersion(ctx context.Context) (string, error) {
	db, err := o.db(ctx)
	if err != nil {
		return "", err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dbMeta != "" {
		return o.dbMeta, nil
	}
	text, err := db.File("metadata.json").Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("vulnerability DB metadata: %w", oneLine(err))
	}
	var meta struct {
		Version   int       `json:"Version"`
		UpdatedAt time.Time `json:"UpdatedAt"`
	}
	if err := json.Unmarshal([]byte(text), &meta); err != nil {
		return "", fmt.Errorf("vulnerability DB metadata: %w", err)
	}
	o.dbMeta = fmt.Sprintf("v%d updated %s", meta.Version, meta.UpdatedAt.UTC().Format(time.RFC3339))
	return o.dbMeta, nil
}

// imageTag is the tag of an image reference (0.74.0 of
// aquasec/trivy:0.74.0@sha256:…), else its digest, else the whole reference.
func imageTag(ref string) string {
	base, digest, _ := strings.Cut(ref, "@")
	if t, err := name.NewTag(base); err == nil && strings.HasSuffix(base, ":"+t.TagStr()) {
		return t.TagStr()
	}
	if digest != "" {
		return digest
	}
	return ref
}
