package tags

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/google/go-containerregistry/pkg/name"
)

// Kind is what triggered a build.
type Kind string

// The kinds of build that publish images.
const (
	// Master is a push to the master branch.
	Master Kind = "master"
	// Release is the publication of a version.
	Release Kind = "release"
)

// Moving tags, overwritten by every build that pushes them.
const (
	master = "master"
	latest = "latest"
)

// Trigger describes the build whose tags [Compute] returns.
type Trigger struct {
	// Kind is what triggered the build.
	Kind Kind
	// Version is the release version, X.Y.Z or X.Y.Z-PRERELEASE without a
	// leading v. Master builds have none.
	Version string
	// Latest marks a release as the newest one, to be tagged "latest".
	Latest bool
	// Commit is the full source commit, 40 lowercase hex characters. Every
	// build is tagged with it.
	Commit string
}

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.TrimSpace(s)); k {
	case Master, Release:
		return k, nil
	}
	return "", fmt.Errorf("unknown build kind %q: want %s or %s", s, Master, Release)
}

// Compute returns the tags a build pushes: "master" and the commit for a push
// to master; the version, "latest" if the release is marked latest, and the
// commit for a release.
func Compute(t Trigger) ([]string, error) {
	if t.Kind != Master && t.Kind != Release {
		return nil, fmt.Errorf("unknown build kind %q: want %s or %s", t.Kind, Master, Release)
	}
	if err := checkCommit(t.Commit); err != nil {
		return nil, err
	}
	if t.Kind == Master {
		if t.Version != "" {
			return nil, fmt.Errorf("version %q given for a master build: only releases have versions", t.Version)
		}
		if t.Latest {
			return nil, fmt.Errorf("a master build cannot be marked latest: only releases can")
		}
		return []string{master, t.Commit}, nil
	}
	if err := checkVersion(t.Version); err != nil {
		return nil, err
	}
	tags := []string{t.Version}
	if t.Latest {
		if strings.Contains(t.Version, "-") {
			return nil, fmt.Errorf("pre-release %s cannot be marked latest", t.Version)
		}
		tags = append(tags, latest)
	}
	return append(tags, t.Commit), nil
}

var (
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// versionRE is Semantic Versioning 2.0.0 without build metadata, whose
	// "+" is not allowed in a tag.
	versionRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
		`(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$`)
	tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	// componentRE is a path component of a repository name in the OCI
	// distribution spec.
	componentRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
)

func checkCommit(c string) error {
	if c == "" {
		return fmt.Errorf("missing commit: every build is tagged with its full source commit")
	}
	if !commitRE.MatchString(c) {
		return fmt.Errorf("invalid commit %q: want the full 40-character lowercase hex SHA", c)
	}
	return nil
}

func checkVersion(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("missing release version: want X.Y.Z, e.g. 2.5.0")
	case versionRE.MatchString(v):
		return nil
	case strings.HasPrefix(v, "v") && versionRE.MatchString(v[1:]):
		return fmt.Errorf("invalid release version %q: drop the leading v (use %q)", v, v[1:])
	}
	return fmt.Errorf("invalid release version %q: want X.Y.Z or X.Y.Z-PRERELEASE, e.g. 2.5.0 or 2.5.0-rc.1", v)
}

// ValidateTag returns an error if tag is not a valid OCI tag.
func ValidateTag(tag string) error {
	if !tagRE.MatchString(tag) {
		return fmt.Errorf("invalid tag %q: want 1 to 128 letters, digits, _ . or -, not starting with . or -", tag)
	}
	return nil
}

// Immutable reports whether tag names one build for good: a release version
// or a commit. Such a tag must not be pushed again with other content.
// "master", "latest" and branch names move with every build.
func Immutable(tag string) bool {
	return versionRE.MatchString(tag) || commitRE.MatchString(tag)
}

// ValidateRegistry returns an error if registry cannot prefix image
// repositories: it must be a registry host, optionally followed by a path,
// such as ghcr.io/kubeflow or 127.0.0.1:5000/kfp.
func ValidateRegistry(registry string) error {
	const example = "e.g. ghcr.io/kubeflow"
	host, rest, _ := strings.Cut(registry, "/")
	last := registry[strings.LastIndex(registry, "/")+1:]
	switch {
	case registry == "":
		return fmt.Errorf("missing registry: want a registry host and optional path, %s", example)
	case strings.ContainsFunc(registry, unicode.IsSpace):
		return fmt.Errorf("invalid registry %q: contains whitespace", registry)
	case strings.Contains(registry, "://"):
		return fmt.Errorf("invalid registry %q: drop the scheme (use %q)", registry, registry[strings.Index(registry, "://")+3:])
	case strings.Contains(registry, "@") || (rest != "" && strings.Contains(last, ":")):
		return fmt.Errorf("invalid registry %q: drop the tag or digest (want a registry and path only, %s)", registry, example)
	case strings.HasSuffix(registry, "/"):
		return fmt.Errorf("invalid registry %q: drop the trailing slash", registry)
	case strings.ToLower(registry) != registry:
		return fmt.Errorf("invalid registry %q: must be lowercase", registry)
	case !strings.ContainsAny(host, ".:"):
		return fmt.Errorf("invalid registry %q: must start with a registry host such as ghcr.io or localhost:5000", registry)
	}
	if rest != "" {
		for _, c := range strings.Split(rest, "/") {
			if !componentRE.MatchString(c) {
				return fmt.Errorf("invalid registry %q: path component %q must be lowercase letters and digits separated by . _ __ or -", registry, c)
			}
		}
	}
	// go-containerregistry validates repositories, not registries: give it
	// one under registry, with a name long enough to pass its length check.
	if _, err := name.NewRepository(registry+"/image", name.StrictValidation); err != nil {
		return fmt.Errorf("invalid registry %q: %w", registry, err)
	}
	return nil
}

// References returns registry/image:tag for each tag, checking each with
// go-containerregistry's strict validation.
func References(registry, image string, tags []string) ([]string, error) {
	if err := ValidateRegistry(registry); err != nil {
		return nil, err
	}
	for _, c := range strings.Split(image, "/") {
		if !componentRE.MatchString(c) {
			return nil, fmt.Errorf("invalid image name %q: must be lowercase letters and digits separated by . _ __ or -", image)
		}
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("no tags given for %s/%s", registry, image)
	}
	refs := make([]string, 0, len(tags))
	for _, tag := range tags {
		if err := ValidateTag(tag); err != nil {
			return nil, err
		}
		ref := registry + "/" + image + ":" + tag
		if _, err := name.NewTag(ref, name.StrictValidation); err != nil {
			return nil, fmt.Errorf("invalid image reference %q: %w", ref, err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}
