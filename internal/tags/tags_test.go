package tags

import (
	"slices"
	"strings"
	"testing"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		in   Trigger
		want []string
		err  string
	}{
		{name: "master", in: Trigger{Kind: Master, Commit: sha}, want: []string{"master", sha}},
		{name: "release", in: Trigger{Kind: Release, Version: "2.5.0", Commit: sha}, want: []string{"2.5.0", sha}},
		{name: "latest release", in: Trigger{Kind: Release, Version: "2.17.0", Latest: true, Commit: sha}, want: []string{"2.17.0", "latest", sha}},
		{name: "release candidate", in: Trigger{Kind: Release, Version: "2.5.0-rc.1", Commit: sha}, want: []string{"2.5.0-rc.1", sha}},
		{name: "alpha pre-release", in: Trigger{Kind: Release, Version: "10.0.0-alpha-2.x", Commit: sha}, want: []string{"10.0.0-alpha-2.x", sha}},

		{name: "unknown kind", in: Trigger{Kind: "nightly", Commit: sha}, err: `unknown build kind "nightly": want master or release`},
		{name: "empty kind", in: Trigger{Commit: sha}, err: `unknown build kind "": want master or release`},
		{name: "master without commit", in: Trigger{Kind: Master}, err: "missing commit: every build is tagged with its full source commit"},
		{name: "release without commit", in: Trigger{Kind: Release, Version: "2.5.0"}, err: "missing commit: every build is tagged with its full source commit"},
		{name: "short commit", in: Trigger{Kind: Master, Commit: "0123456"}, err: `invalid commit "0123456": want the full 40-character lowercase hex SHA`},
		{name: "uppercase commit", in: Trigger{Kind: Master, Commit: strings.ToUpper(sha)}, err: `invalid commit "` + strings.ToUpper(sha) + `": want the full 40-character lowercase hex SHA`},
		{name: "master marked latest", in: Trigger{Kind: Master, Latest: true, Commit: sha}, err: "a master build cannot be marked latest: only releases can"},
		{name: "master with version", in: Trigger{Kind: Master, Version: "2.5.0", Commit: sha}, err: `version "2.5.0" given for a master build: only releases have versions`},
		{name: "release without version", in: Trigger{Kind: Release, Commit: sha}, err: "missing release version: want X.Y.Z, e.g. 2.5.0"},
		{name: "leading v", in: Trigger{Kind: Release, Version: "v2.5.0", Commit: sha}, err: `invalid release version "v2.5.0": drop the leading v (use "2.5.0")`},
		{name: "leading v pre-release", in: Trigger{Kind: Release, Version: "v2.5.0-rc.1", Commit: sha}, err: `invalid release version "v2.5.0-rc.1": drop the leading v (use "2.5.0-rc.1")`},
		{name: "two parts", in: Trigger{Kind: Release, Version: "2.5", Commit: sha}, err: `invalid release version "2.5": want X.Y.Z or X.Y.Z-PRERELEASE, e.g. 2.5.0 or 2.5.0-rc.1`},
		{name: "v and two parts", in: Trigger{Kind: Release, Version: "v2.5", Commit: sha}, err: `invalid release version "v2.5": want X.Y.Z or X.Y.Z-PRERELEASE, e.g. 2.5.0 or 2.5.0-rc.1`},
		{name: "leading zero", in: Trigger{Kind: Release, Version: "2.05.0", Commit: sha}, err: `invalid release version "2.05.0": want X.Y.Z or X.Y.Z-PRERELEASE, e.g. 2.5.0 or 2.5.0-rc.1`},
		{name: "build metadata", in: Trigger{Kind: Release, Version: "2.5.0+abc", Commit: sha}, err: `invalid release version "2.5.0+abc": want X.Y.Z or X.Y.Z-PRERELEASE, e.g. 2.5.0 or 2.5.0-rc.1`},
		{name: "empty pre-release", in: Trigger{Kind: Release, Version: "2.5.0-", Commit: sha}, err: `invalid release version "2.5.0-": want X.Y.Z or X.Y.Z-PRERELEASE, e.g. 2.5.0 or 2.5.0-rc.1`},
		{name: "pre-release marked latest", in: Trigger{Kind: Release, Version: "2.5.0-rc.1", Latest: true, Commit: sha}, err: "pre-release 2.5.0-rc.1 cannot be marked latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compute(tt.in)
			if e := errString(err); e != tt.err {
				t.Fatalf("Compute(%+v) error = %q, want %q", tt.in, e, tt.err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Compute(%+v) = %q, want %q", tt.in, got, tt.want)
			}
			for _, tag := range got {
				if err := ValidateTag(tag); err != nil {
					t.Errorf("Compute(%+v) returned an invalid tag: %v", tt.in, err)
				}
			}
		})
	}
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
		err  string
	}{
		{in: "master", want: Master},
		{in: " release\n", want: Release},
		{in: "Release", err: `unknown build kind "Release": want master or release`},
		{in: "main", err: `unknown build kind "main": want master or release`},
		{in: "", err: `unknown build kind "": want master or release`},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if e := errString(err); e != tt.err {
			t.Errorf("ParseKind(%q) error = %q, want %q", tt.in, e, tt.err)
		}
		if got != tt.want {
			t.Errorf("ParseKind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateTag(t *testing.T) {
	const msg = ": want 1 to 128 letters, digits, _ . or -, not starting with . or -"
	tests := []struct {
		tag string
		err string
	}{
		{tag: "master"},
		{tag: "2.5.0-rc.1"},
		{tag: "_private"},
		{tag: "Release_2.X"},
		{tag: sha},
		{tag: strings.Repeat("a", 128)},
		{tag: "", err: `invalid tag ""` + msg},
		{tag: ".hidden", err: `invalid tag ".hidden"` + msg},
		{tag: "-dash", err: `invalid tag "-dash"` + msg},
		{tag: "2.5.0+build", err: `invalid tag "2.5.0+build"` + msg},
		{tag: "feature/x", err: `invalid tag "feature/x"` + msg},
		{tag: "a b", err: `invalid tag "a b"` + msg},
		{tag: strings.Repeat("a", 129), err: `invalid tag "` + strings.Repeat("a", 129) + `"` + msg},
	}
	for _, tt := range tests {
		if got := errString(ValidateTag(tt.tag)); got != tt.err {
			t.Errorf("ValidateTag(%q) = %q, want %q", tt.tag, got, tt.err)
		}
	}
}

func TestImmutable(t *testing.T) {
	tests := []struct {
		tag  string
		want bool
	}{
		{tag: "2.5.0", want: true},
		{tag: "2.5.0-rc.1", want: true},
		{tag: sha, want: true},
		{tag: "master", want: false},
		{tag: "latest", want: false},
		{tag: "release-2.5", want: false},
		{tag: "v2.5.0", want: false},
		{tag: "0123456", want: false},
	}
	for _, tt := range tests {
		if got := Immutable(tt.tag); got != tt.want {
			t.Errorf("Immutable(%q) = %t, want %t", tt.tag, got, tt.want)
		}
	}
}

func TestValidateRegistry(t *testing.T) {
	tests := []struct {
		registry string
		err      string
	}{
		{registry: "ghcr.io/kubeflow"},
		{registry: "ghcr.io"},
		{registry: "127.0.0.1:5000/kfp"},
		{registry: "localhost:5000"},
		{registry: "us-docker.pkg.dev/my-project/kfp_images"},
		{registry: "", err: "missing registry: want a registry host and optional path, e.g. ghcr.io/kubeflow"},
		{registry: "ghcr.io/Kubeflow", err: `invalid registry "ghcr.io/Kubeflow": must be lowercase`},
		{registry: "GHCR.IO/kubeflow", err: `invalid registry "GHCR.IO/kubeflow": must be lowercase`},
		{registry: "ghcr.io/kube flow", err: `invalid registry "ghcr.io/kube flow": contains whitespace`},
		{registry: "ghcr.io/kubeflow\n", err: `invalid registry "ghcr.io/kubeflow\n": contains whitespace`},
		{registry: "ghcr.io/kubeflow:2.5.0", err: `invalid registry "ghcr.io/kubeflow:2.5.0": drop the tag or digest (want a registry and path only, e.g. ghcr.io/kubeflow)`},
		{registry: "ghcr.io/kubeflow@sha256:abc", err: `invalid registry "ghcr.io/kubeflow@sha256:abc": drop the tag or digest (want a registry and path only, e.g. ghcr.io/kubeflow)`},
		{registry: "https://ghcr.io/kubeflow", err: `invalid registry "https://ghcr.io/kubeflow": drop the scheme (use "ghcr.io/kubeflow")`},
		{registry: "ghcr.io/kubeflow/", err: `invalid registry "ghcr.io/kubeflow/": drop the trailing slash`},
		{registry: "kubeflow", err: `invalid registry "kubeflow": must start with a registry host such as ghcr.io or localhost:5000`},
		{registry: "localhost/kfp", err: `invalid registry "localhost/kfp": must start with a registry host such as ghcr.io or localhost:5000`},
		{registry: "ghcr.io//kubeflow", err: `invalid registry "ghcr.io//kubeflow": path component "" must be lowercase letters and digits separated by . _ __ or -`},
		{registry: "ghcr.io/-kubeflow", err: `invalid registry "ghcr.io/-kubeflow": path component "-kubeflow" must be lowercase letters and digits separated by . _ __ or -`},
		{registry: "ghcr.io:notaport/kubeflow", err: `invalid registry "ghcr.io:notaport/kubeflow": registries must be valid RFC 3986 URI authorities: ghcr.io:notaport`},
	}
	for _, tt := range tests {
		if got := errString(ValidateRegistry(tt.registry)); got != tt.err {
			t.Errorf("ValidateRegistry(%q) = %q, want %q", tt.registry, got, tt.err)
		}
	}
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name     string
		registry string
		image    string
		tags     []string
		want     []string
		err      string
	}{
		{
			name: "release", registry: "ghcr.io/kubeflow", image: "kfp-api-server", tags: []string{"2.5.0", "latest", sha},
			want: []string{"ghcr.io/kubeflow/kfp-api-server:2.5.0", "ghcr.io/kubeflow/kfp-api-server:latest", "ghcr.io/kubeflow/kfp-api-server:" + sha},
		},
		{
			name: "local registry with port", registry: "127.0.0.1:5000/kfp", image: "kfp-driver", tags: []string{"master"},
			want: []string{"127.0.0.1:5000/kfp/kfp-driver:master"},
		},
		{
			name: "bad registry", registry: "ghcr.io/Kubeflow", image: "kfp-driver", tags: []string{"master"},
			err: `invalid registry "ghcr.io/Kubeflow": must be lowercase`,
		},
		{
			name: "bad image", registry: "ghcr.io/kubeflow", image: "KFP-Driver", tags: []string{"master"},
			err: `invalid image name "KFP-Driver": must be lowercase letters and digits separated by . _ __ or -`,
		},
		{
			name: "bad tag", registry: "ghcr.io/kubeflow", image: "kfp-driver", tags: []string{"master", "v1+x"},
			err: `invalid tag "v1+x": want 1 to 128 letters, digits, _ . or -, not starting with . or -`,
		},
		{
			name: "no tags", registry: "ghcr.io/kubeflow", image: "kfp-driver",
			err: "no tags given for ghcr.io/kubeflow/kfp-driver",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := References(tt.registry, tt.image, tt.tags)
			if e := errString(err); e != tt.err {
				t.Fatalf("References() error = %q, want %q", e, tt.err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("References() = %q, want %q", got, tt.want)
			}
		})
	}
}
