package release

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

// SchemaVersion is the version of the JSON form of a [Record] this package
// writes and the only one it reads.
const SchemaVersion = 1

// Master is the version of a build of the master branch; every other version
// is a release, X.Y.Z or X.Y.Z-PRERELEASE.
const Master = "master"

// Record is what one stage run staged of one image: the platform manifests
// it pushed by digest, and the facts every later step checks them against.
// A stage run on one engine holds only that engine's platforms; [Merge]
// joins the records of all runs.
type Record struct {
	// Image is the catalog name of the image, e.g. kfp-driver.
	Image string
	// Repository is where the image is staged and published, e.g.
	// ghcr.io/kubeflow/kfp-driver.
	Repository string
	// Version is master or the release version, X.Y.Z.
	Version string
	// Commit is the full source commit, 40 lowercase hex characters.
	Commit string
	// Source is the URL of the source repository.
	Source string
	// Platforms lists the staged platform manifests.
	Platforms []PlatformManifest
	// Index is the digest of the staged image index, once assembled; the
	// zero Hash means none.
	Index v1.Hash
	// Labels are the OCI labels the images were built with.
	Labels map[string]string
	// StagedAt is when the stage run pushed the manifests.
	StagedAt time.Time
}

// PlatformManifest is one staged platform of an image.
type PlatformManifest struct {
	// Platform is os/arch[/variant], e.g. linux/arm64.
	Platform string
	// Digest is the digest of the platform's image manifest.
	Digest v1.Hash
	// Smoke is the smoke run the stage made of that digest (on an engine of
	// that architecture), or nil when it made none.
	Smoke *Smoke
}

// Smoke is the outcome of running a staged platform image with --version.
type Smoke struct {
	Passed bool
	// Output is what the image printed, trimmed.
	Output string
}

// recordJSON is the JSON form of a Record.
type recordJSON struct {
	SchemaVersion int               `json:"schema_version"`
	Image         string            `json:"image"`
	Repository    string            `json:"repository"`
	Version       string            `json:"version"`
	Commit        string            `json:"commit"`
	Source        string            `json:"source"`
	Platforms     []platformJSON    `json:"platforms"`
	Index         string            `json:"index,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	StagedAt      time.Time         `json:"staged_at"`
}

type platformJSON struct {
	Platform string     `json:"platform"`
	Digest   string     `json:"digest"`
	Smoke    *smokeJSON `json:"smoke,omitempty"`
}

type smokeJSON struct {
	Passed bool   `json:"passed"`
	Output string `json:"output"`
}

// MarshalJSON writes the record with its schema version, digests as
// strings and the index left out when there is none.
func (r Record) MarshalJSON() ([]byte, error) {
	j := recordJSON{
		SchemaVersion: SchemaVersion,
		Image:         r.Image,
		Repository:    r.Repository,
		Version:       r.Version,
		Commit:        r.Commit,
		Source:        r.Source,
		Platforms:     make([]platformJSON, len(r.Platforms)),
		Labels:        r.Labels,
		StagedAt:      r.StagedAt.UTC(),
	}
	for i, p := range r.Platforms {
		j.Platforms[i] = platformJSON{Platform: p.Platform, Digest: p.Digest.String()}
		if p.Smoke != nil {
			j.Platforms[i].Smoke = &smokeJSON{Passed: p.Smoke.Passed, Output: p.Smoke.Output}
		}
	}
	if hasDigest(r.Index) {
		j.Index = r.Index.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, refuses any other schema
// version, and validates the record.
func (r *Record) UnmarshalJSON(data []byte) error {
	var j recordJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("stage record: %w", err)
	}
	if j.SchemaVersion != SchemaVersion {
		return fmt.Errorf("stage record of %q: schema version %d is not supported (this build reads version %d)", j.Image, j.SchemaVersion, SchemaVersion)
	}
	out := Record{
		Image:      j.Image,
		Repository: j.Repository,
		Version:    j.Version,
		Commit:     j.Commit,
		Source:     j.Source,
		Labels:     j.Labels,
		StagedAt:   j.StagedAt,
	}
	for _, p := range j.Platforms {
		h, err := v1.NewHash(p.Digest)
		if err != nil {
			return fmt.Errorf("stage record of %s: platform %s: invalid digest %q: %w", j.Image, p.Platform, p.Digest, err)
		}
		pm := PlatformManifest{Platform: p.Platform, Digest: h}
		if p.Smoke != nil {
			pm.Smoke = &Smoke{Passed: p.Smoke.Passed, Output: p.Smoke.Output}
		}
		out.Platforms = append(out.Platforms, pm)
	}
	if j.Index != "" {
		h, err := v1.NewHash(j.Index)
		if err != nil {
			return fmt.Errorf("stage record of %s: invalid index digest %q: %w", j.Image, j.Index, err)
		}
		out.Index = h
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*r = out
	return nil
}

var (
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// imageRE is a path component of a repository name in the OCI
	// distribution spec.
	imageRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
	// platformPartRE is one part of os/arch/variant.
	platformPartRE = regexp.MustCompile(`^[a-z0-9]+$`)
)

// PlatformNames lists the record's platforms ("linux/amd64", …) in the
// record's order.
func (r Record) PlatformNames() []string {
	out := make([]string, len(r.Platforms))
	for i, p := range r.Platforms {
		out[i] = p.Platform
	}
	return out
}

// Validate returns an error naming the image and the first field that is
// missing or malformed. Two entries for one platform are a
// [*DuplicatePlatformError].
func (r Record) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("stage record of %q: "+format, append([]any{r.Image}, args...)...)
	}
	if !imageRE.MatchString(r.Image) {
		return bad("invalid image name: want lowercase letters and digits separated by . _ __ or -")
	}
	if err := checkRepository(r.Repository, r.Image); err != nil {
		return bad("%w", err)
	}
	if err := checkCommitVersion(r.Commit, r.Version); err != nil {
		return bad("%w", err)
	}
	if len(r.Platforms) == 0 {
		return bad("no platforms staged")
	}
	seen := map[string]v1.Hash{}
	for _, p := range r.Platforms {
		if _, err := parsePlatform(p.Platform); err != nil {
			return bad("%w", err)
		}
		if !hasDigest(p.Digest) {
			return bad("platform %s has no digest", p.Platform)
		}
		if err := checkDigest(p.Digest); err != nil {
			return bad("platform %s: %w", p.Platform, err)
		}
		if d, dup := seen[p.Platform]; dup {
			return &DuplicatePlatformError{Image: r.Image, Platform: p.Platform, Digests: []v1.Hash{d, p.Digest}}
		}
		seen[p.Platform] = p.Digest
	}
	if hasDigest(r.Index) {
		if err := checkDigest(r.Index); err != nil {
			return bad("index: %w", err)
		}
	}
	return nil
}

// checkRepository fails unless repo is a valid repository whose last path
// component is image.
func checkRepository(repo, image string) error {
	if repo == "" {
		return fmt.Errorf("missing repository")
	}
	n, err := name.NewRepository(repo, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("invalid repository %q: %w", repo, err)
	}
	if last := n.RepositoryStr()[strings.LastIndex(n.RepositoryStr(), "/")+1:]; last != image {
		return fmt.Errorf("repository %s is not named after the image (ends in %q)", repo, last)
	}
	return nil
}

// checkCommitVersion checks commit and version with internal/tags' rules.
func checkCommitVersion(commit, version string) error {
	tr := tags.Trigger{Kind: tags.Release, Version: version, Commit: commit}
	if version == Master {
		tr = tags.Trigger{Kind: tags.Master, Commit: commit}
	}
	_, err := tags.Compute(tr)
	return err
}

func checkDigest(h v1.Hash) error {
	if h.Algorithm != "sha256" {
		return fmt.Errorf("digest %s: want a sha256 digest", h)
	}
	if _, err := v1.NewHash(h.String()); err != nil {
		return err
	}
	return nil
}

// hasDigest reports whether h is set.
func hasDigest(h v1.Hash) bool { return h != v1.Hash{} }

// parsePlatform parses os/arch[/variant], each part lowercase letters and
// digits.
func parsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return v1.Platform{}, fmt.Errorf("invalid platform %q: want os/arch or os/arch/variant", s)
	}
	for _, p := range parts {
		if !platformPartRE.MatchString(p) {
			return v1.Platform{}, fmt.Errorf("invalid platform %q: want os/arch or os/arch/variant in lowercase letters and digits", s)
		}
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// platformString writes p as os/arch[/variant].
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// normalPlatform returns s with the default variant of its architecture
// dropped (arm64/v8 is arm64), as container runtimes match them.
func normalPlatform(s string) string {
	if rest, ok := strings.CutSuffix(s, "/arm64/v8"); ok {
		return rest + "/arm64"
	}
	return s
}

// samePlatform reports whether two platform strings name the same platform.
func samePlatform(a, b string) bool { return normalPlatform(a) == normalPlatform(b) }
