package release

import (
	"fmt"
	"strings"

	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

// StagingPrefix starts every staging tag. No release tag starts with it:
// versions start with a digit, commits are hex, and the moving tags are
// master, latest and branch names such as release-2.5.
const StagingPrefix = "stage-"

// PlatformStagingTag names the tag a stage run pushes one platform manifest
// under: stage-<first 12 hex of commit>-<version>_<os>-<arch>[-<variant>],
// e.g. stage-0123456789ab-2.5.0_linux-arm64. The tag keeps the manifest
// from being garbage collected until it is promoted.
//
// Versions never contain "_", so the platform part cannot be mistaken for
// part of a pre-release version, and no platform staging tag equals an
// [IndexStagingTag]. Staging tags are never immutable in internal/tags'
// sense: a new stage of the same commit overwrites them.
func PlatformStagingTag(commit, version, platform string) (string, error) {
	p, err := parsePlatform(platform)
	if err != nil {
		return "", fmt.Errorf("staging tag: %w", err)
	}
	slug := p.OS + "-" + p.Architecture
	if p.Variant != "" {
		slug += "-" + p.Variant
	}
	return stagingTag(commit, version, "_"+slug)
}

// IndexStagingTag names the tag the assembled image index is pushed under:
// stage-<first 12 hex of commit>-<version>, e.g. stage-0123456789ab-master.
func IndexStagingTag(commit, version string) (string, error) {
	return stagingTag(commit, version, "")
}

func stagingTag(commit, version, suffix string) (string, error) {
	if err := checkCommitVersion(commit, version); err != nil {
		return "", fmt.Errorf("staging tag: %w", err)
	}
	tag := StagingPrefix + commit[:12] + "-" + version + suffix
	if err := tags.ValidateTag(tag); err != nil {
		return "", fmt.Errorf("staging tag for version %s: %w", version, err)
	}
	if tags.Immutable(tag) || tag == "master" || tag == "latest" {
		// unreachable with the prefix; kept so a change of format cannot
		// silently produce a release tag
		return "", fmt.Errorf("staging tag %q could be taken for a release tag", tag)
	}
	return tag, nil
}

// IsStagingTag reports whether tag is a staging tag.
func IsStagingTag(tag string) bool { return strings.HasPrefix(tag, StagingPrefix) }
