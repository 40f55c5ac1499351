// Package tags computes the tags a KFP build pushes and checks tags and image
// references before anything is pushed.
//
// KFP tags a push to master as "master" and a release as its version, X.Y.Z,
// plus "latest" when the release is marked latest. Google Cloud Build also
// tagged every image with its source commit; today's GitHub workflows were
// meant to and silently do not. [Compute] restores the commit tag, which is
// what makes an image traceable to its source and safe to pin.
//
// Tags are of two kinds: moving tags ("master", "latest", branch names) that
// each build overwrites, and immutable ones (release versions, commit SHAs)
// that must never be pushed twice with different content. [Immutable] tells
// them apart so a publisher can refuse to overwrite a release.
package tags
