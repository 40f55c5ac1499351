package signing

import (
	"fmt"
	"strings"
)

// SplitHost splits an image reference into its registry host and the rest
// (repository path with tag or digest). A first component without a dot, a
// colon or "localhost" is a Docker Hub path: the host is docker.io.
func SplitHost(ref string) (host, rest string, err error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.Contains(ref, "://") || strings.ContainsAny(ref, " \t\n") {
		return "", "", fmt.Errorf("invalid image reference %q", ref)
	}
	first, after, ok := strings.Cut(ref, "/")
	if !ok || after == "" {
		if !ok {
			return "docker.io", "library/" + ref, nil
		}
		return "", "", fmt.Errorf("invalid image reference %q", ref)
	}
	if strings.ContainsAny(first, ".:") || first == "localhost" {
		return first, after, nil
	}
	return "docker.io", ref, nil
}

// Rehost returns ref with its registry host replaced by host, for a
// container that reaches the registry through a tunnel under another name.
func Rehost(ref, host string) (string, error) {
	_, rest, err := SplitHost(ref)
	if err != nil {
		return "", err
	}
	return host + "/" + rest, nil
}

// Port returns the port of a host:port endpoint such as a Dagger service's.
func Port(endpoint string) (string, error) {
	endpoint = strings.TrimPrefix(strings.TrimPrefix(endpoint, "tcp://"), "http://")
	i := strings.LastIndex(endpoint, ":")
	if i < 0 || i == len(endpoint)-1 {
		return "", fmt.Errorf("endpoint %q has no port", endpoint)
	}
	return endpoint[i+1:], nil
}

// WithDigest returns ref's repository with digest instead of its tag or
// digest: ghcr.io/kubeflow/x:2.5.0 + sha256:ab → ghcr.io/kubeflow/x@sha256:ab.
func WithDigest(ref, digest string) (string, error) {
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		return "", fmt.Errorf("invalid digest %q", digest)
	}
	repo, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	if _, _, err := SplitHost(repo); err != nil {
		return "", err
	}
	return repo + "@" + digest, nil
}

// Digest returns the first sha256 digest in s, such as the output of
// `cosign triangulate --type digest` (repo@sha256:…).
func Digest(s string) (string, error) {
	i := strings.Index(s, "sha256:")
	if i < 0 || len(s) < i+len("sha256:")+64 {
		return "", fmt.Errorf("no sha256 digest in %q", strings.TrimSpace(s))
	}
	d := s[i : i+len("sha256:")+64]
	for _, c := range d[len("sha256:"):] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("no sha256 digest in %q", strings.TrimSpace(s))
		}
	}
	return d, nil
}
