package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// BuildInputs holds the facts of one build that build arguments are made of.
// Commit and Tag are optional: when one is empty, the arguments made from it
// are left out, as in KFP's pull-request builds.
type BuildInputs struct {
	// Commit is the full source commit, 40 lowercase hex characters. It
	// becomes COMMIT_SHA and COMMIT_HASH.
	Commit string
	// Tag is the tag being built: master or X.Y.Z for published images,
	// the branch name for tool images. It becomes TAG_NAME.
	Tag string
	// Registry is where images are pushed, e.g. ghcr.io/kubeflow. kfp-release
	// needs it to name the kfp-api-generator image it is built FROM.
	Registry string
	// NVMRC is the raw content of frontend/.nvmrc, e.g. "v24.14.0\n". It
	// becomes NODE_VERSION.
	NVMRC string
}

// BuildArg is one build argument, passed as --build-arg Name=Value.
type BuildArg struct {
	Name, Value string
}

// BuildArgValues returns the values of the image's build arguments, sorted by
// name, as KFP's workflows pass them on master and release builds.
func (img Image) BuildArgValues(in BuildInputs) ([]BuildArg, error) {
	out := make([]BuildArg, 0, len(img.BuildArgs))
	for _, name := range img.BuildArgs {
		value, ok, err := img.buildArg(name, in)
		if err != nil {
			return nil, fmt.Errorf("build arg %s for %s: %w", name, img.Name, err)
		}
		if ok {
			out = append(out, BuildArg{Name: name, Value: value})
		}
	}
	slices.SortFunc(out, func(a, b BuildArg) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// buildArg returns the value of one build argument, and false if it is to be
// left out.
func (img Image) buildArg(name string, in BuildInputs) (string, bool, error) {
	switch name {
	case argNodeVersion:
		v, err := nodeVersion(in.NVMRC)
		return v, true, err
	case argCommitSHA, argCommitHash:
		if in.Commit == "" {
			return "", false, nil
		}
		if !commitRE.MatchString(in.Commit) {
			return "", false, fmt.Errorf("invalid commit %q: want 40 lowercase hex characters", in.Commit)
		}
		return in.Commit, true, nil
	case argTagName:
		return in.Tag, in.Tag != "", nil
	case argGCFlags:
		// An empty value builds without extra compiler flags; debug
		// builds pass "all=-N -l".
		return "", true, nil
	case argBaseImage:
		if in.Registry == "" || in.Tag == "" {
			return "", false, fmt.Errorf("a registry and a tag are required to name the %s image it is built FROM", img.DependsOn)
		}
		return fmt.Sprintf("%s/%s:%s", strings.TrimSuffix(in.Registry, "/"), img.DependsOn, in.Tag), true, nil
	}
	return "", false, fmt.Errorf("no rule to compute it")
}

var (
	commitRE      = regexp.MustCompile(`^[0-9a-f]{40}$`)
	nodeVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
)

// nodeVersion turns the content of frontend/.nvmrc into NODE_VERSION: the
// version without surrounding space or a leading "v", as KFP's
// `tr -d 'v' < frontend/.nvmrc` does.
func nodeVersion(nvmrc string) (string, error) {
	v := strings.TrimSpace(nvmrc)
	if v == "" {
		return "", fmt.Errorf("frontend/.nvmrc is empty: want a Node.js version like v24.14.0")
	}
	v = strings.TrimPrefix(v, "v")
	if !nodeVersionRE.MatchString(v) {
		return "", fmt.Errorf("invalid frontend/.nvmrc %q: want a Node.js version like v24.14.0", strings.TrimSpace(nvmrc))
	}
	return v, nil
}
