package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// The types of statements and predicates this package makes and reads.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	// StatementTypeV01 is what cosign v3's attest writes (protojson of the
	// in-toto v0.1 statement); Open accepts both.
	StatementTypeV01 = "https://in-toto.io/Statement/v0.1"
	ProvenanceType   = "https://slsa.dev/provenance/v1"
	SPDXType         = "https://spdx.dev/Document"
	VulnType         = "https://cosign.sigstore.dev/attestation/vuln/v1"
	SmokeType        = "https://kfp-dagger.dev/attestation/smoke/v1"
	// BuildType names how kfp-dagger builds an image; its external
	// parameters are [ExternalParameters].
	BuildType = "https://kfp-dagger.dev/buildtypes/kfp-image/v1"
)

// Statement is an in-toto v1 statement about one or more artifacts.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is an artifact a statement is about, by digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// ResourceDescriptor names an input of a build, as SLSA v1 does.
type ResourceDescriptor struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest,omitempty"`
	Name   string            `json:"name,omitempty"`
}

// Provenance is the SLSA provenance v1 predicate.
type Provenance struct {
	BuildDefinition struct {
		BuildType            string               `json:"buildType"`
		ExternalParameters   ExternalParameters   `json:"externalParameters"`
		ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID      string            `json:"id"`
			Version map[string]string `json:"version,omitempty"`
		} `json:"builder"`
		Metadata struct {
			InvocationID string    `json:"invocationId,omitempty"`
			StartedOn    time.Time `json:"startedOn"`
			FinishedOn   time.Time `json:"finishedOn"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// ExternalParameters are what the caller of a kfp-dagger build chose.
type ExternalParameters struct {
	Source    string            `json:"source"`
	Commit    string            `json:"commit"`
	Version   string            `json:"version"`
	Image     string            `json:"image"`
	Platforms []string          `json:"platforms"`
	BuildArgs map[string]string `json:"buildArgs,omitempty"`
}

// Build is what provenance records beyond the staged record: who built it,
// with what, from which base images, when.
type Build struct {
	// BuilderID names the builder, e.g.
	// https://github.com/kfp-dagger/kfp-dagger/ci@<commit>.
	BuilderID string
	// Versions are the builder's component versions, e.g. kfp-dagger and
	// the dagger engine.
	Versions map[string]string
	// BuildArgs are the Dockerfile build arguments.
	BuildArgs map[string]string
	// BaseImages are the FROM references of every stage, each resolved to
	// the digest the build used.
	BaseImages []BaseImage
	// InvocationID identifies the run, e.g. a CI run URL.
	InvocationID          string
	StartedOn, FinishedOn time.Time
}

// BaseImage is one FROM reference and the digest it resolved to.
type BaseImage struct {
	Ref    string // as the Dockerfile names it, e.g. golang:1.26-bookworm
	Digest string // sha256:...
}

// subjectOf is the statement subject for a record's index.
func subjectOf(rec release.Record) ([]Subject, error) {
	if rec.Index.Hex == "" {
		return nil, fmt.Errorf("%s: the record has no index digest: assemble the index first", rec.Image)
	}
	return []Subject{{Name: rec.Repository, Digest: map[string]string{rec.Index.Algorithm: rec.Index.Hex}}}, nil
}

// NewProvenance returns the SLSA provenance v1 statement of a staged and
// assembled image index: its subject is the index digest; the external
// parameters say source, commit, version, image, platforms and build
// arguments; the resolved dependencies are the source commit and every base
// image by digest.
func NewProvenance(rec release.Record, b Build) (Statement, error) {
	subject, err := subjectOf(rec)
	if err != nil {
		return Statement{}, err
	}
	if b.BuilderID == "" {
		return Statement{}, errors.New("provenance: no builder id")
	}
	var p Provenance
	p.BuildDefinition.BuildType = BuildType
	p.BuildDefinition.ExternalParameters = ExternalParameters{
		Source: rec.Source, Commit: rec.Commit, Version: rec.Version, Image: rec.Image,
		Platforms: sortedPlatforms(rec), BuildArgs: b.BuildArgs,
	}
	deps := []ResourceDescriptor{{URI: "git+" + rec.Source + "@" + rec.Commit, Digest: map[string]string{"gitCommit": rec.Commit}, Name: "source"}}
	for _, bi := range b.BaseImages {
		alg, hex, ok := strings.Cut(bi.Digest, ":")
		if !ok || alg != "sha256" || len(hex) != 64 {
			return Statement{}, fmt.Errorf("provenance: base image %s: digest %q is not sha256:<64 hex>", bi.Ref, bi.Digest)
		}
		deps = append(deps, ResourceDescriptor{URI: "oci://" + bi.Ref, Digest: map[string]string{alg: hex}, Name: bi.Ref})
	}
	p.BuildDefinition.ResolvedDependencies = deps
	p.RunDetails.Builder.ID = b.BuilderID
	p.RunDetails.Builder.Version = b.Versions
	p.RunDetails.Metadata.InvocationID = b.InvocationID
	p.RunDetails.Metadata.StartedOn, p.RunDetails.Metadata.FinishedOn = b.StartedOn.UTC(), b.FinishedOn.UTC()
	return statement(subject, ProvenanceType, p)
}

// Policy is the rule a vulnerability verdict was reached under.
type Policy struct {
	Threshold     string `json:"threshold"`     // LOW, MEDIUM, HIGH or CRITICAL
	IgnoreUnfixed bool   `json:"ignoreUnfixed"` // findings without a fix left out
}

// Verdict is the scan result of one platform image.
type Verdict struct {
	Platform string   `json:"platform"`
	Passed   bool     `json:"passed"`
	Findings []string `json:"findings,omitempty"` // IDs at or above the threshold
}

// Vuln is the cosign vuln/v1 predicate, its result holding the policy and
// one verdict per platform.
type Vuln struct {
	Scanner struct {
		URI     string `json:"uri"`
		Version string `json:"version"`
		DB      struct {
			URI     string `json:"uri"`
			Version string `json:"version"`
		} `json:"db"`
		Result struct {
			Policy   Policy    `json:"policy"`
			Verdicts []Verdict `json:"verdicts"`
		} `json:"result"`
	} `json:"scanner"`
	Metadata struct {
		ScanStartedOn  time.Time `json:"scanStartedOn"`
		ScanFinishedOn time.Time `json:"scanFinishedOn"`
	} `json:"metadata"`
}

// Scan is what a vulnerability verdict records.
type Scan struct {
	ScannerURI, ScannerVersion string
	// DBURI and DBVersion name the vulnerability DB and its version (update
	// time).
	DBURI, DBVersion      string
	Policy                Policy
	Verdicts              []Verdict
	StartedOn, FinishedOn time.Time
}

// NewVuln returns the vulnerability verdict statement of an index.
func NewVuln(rec release.Record, s Scan) (Statement, error) {
	subject, err := subjectOf(rec)
	if err != nil {
		return Statement{}, err
	}
	var v Vuln
	v.Scanner.URI, v.Scanner.Version = s.ScannerURI, s.ScannerVersion
	v.Scanner.DB.URI, v.Scanner.DB.Version = s.DBURI, s.DBVersion
	v.Scanner.Result.Policy, v.Scanner.Result.Verdicts = s.Policy, s.Verdicts
	v.Metadata.ScanStartedOn, v.Metadata.ScanFinishedOn = s.StartedOn.UTC(), s.FinishedOn.UTC()
	return statement(subject, VulnType, v)
}

// Smoke is the smoke-run predicate: what each platform image answered to
// --version, run from its staged digest.
type Smoke struct {
	Results []SmokeResult `json:"results"`
}

// SmokeResult is one platform's smoke run.
type SmokeResult struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	Passed   bool   `json:"passed"`
	Output   string `json:"output,omitempty"`
}

// Arch is the architecture of a platform: "arm64" of "linux/arm64" and of
// "linux/arm64/v8"; a platform without "/" is returned as it is.
func Arch(platform string) string {
	parts := strings.Split(platform, "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return platform
}

// Err is nil when the smoke run passed, else an error saying what the
// image printed and which architecture it should have named.
func (r SmokeResult) Err(image string) error {
	if r.Passed {
		return nil
	}
	return fmt.Errorf("smoke run of %s --version printed %q, which does not name %s", image, r.Output, Arch(r.Platform))
}

// NewSmoke returns the smoke statement of an index.
func NewSmoke(rec release.Record, results []SmokeResult) (Statement, error) {
	subject, err := subjectOf(rec)
	if err != nil {
		return Statement{}, err
	}
	return statement(subject, SmokeType, Smoke{Results: results})
}

// NewSBOM returns the SBOM statement of one platform of an index: the
// subject is the index (what a user pulls), the predicate the SPDX JSON
// document of that platform's image, whose name says the platform.
func NewSBOM(rec release.Record, spdx []byte) (Statement, error) {
	subject, err := subjectOf(rec)
	if err != nil {
		return Statement{}, err
	}
	if !json.Valid(spdx) {
		return Statement{}, fmt.Errorf("%s: the SBOM is not JSON", rec.Image)
	}
	return Statement{Type: StatementType, Subject: subject, PredicateType: SPDXType, Predicate: spdx}, nil
}

func statement(subject []Subject, predicateType string, predicate any) (Statement, error) {
	js, err := json.Marshal(predicate)
	if err != nil {
		return Statement{}, err
	}
	return Statement{Type: StatementType, Subject: subject, PredicateType: predicateType, Predicate: js}, nil
}

// sortedPlatforms lists the platforms of a record, sorted.
func sortedPlatforms(rec release.Record) []string {
	out := rec.PlatformNames()
	slices.Sort(out)
	return out
}
