package release

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kfp-dagger/kfp-dagger/internal/tags"
)

func TestStagingTagExamples(t *testing.T) {
	got, err := PlatformStagingTag(commitA, "2.5.0", "linux/arm64")
	if want := "stage-0123456789ab-2.5.0_linux-arm64"; err != nil || got != want {
		t.Errorf("PlatformStagingTag = %q, %v; want %q", got, err, want)
	}
	got, err = PlatformStagingTag(commitA, Master, "linux/arm/v7")
	if want := "stage-0123456789ab-master_linux-arm-v7"; err != nil || got != want {
		t.Errorf("PlatformStagingTag = %q, %v; want %q", got, err, want)
	}
	got, err = IndexStagingTag(commitA, "2.5.0-rc.1")
	if want := "stage-0123456789ab-2.5.0-rc.1"; err != nil || got != want {
		t.Errorf("IndexStagingTag = %q, %v; want %q", got, err, want)
	}
}

func TestStagingTagsNeverReleaseTags(t *testing.T) {
	commits := []string{commitA, commitB, strings.Repeat("0", 40), strings.Repeat("9", 40)}
	versions := []string{Master, "2.5.0", "0.0.0", "2.5.0-rc.1", "1.2.3-linux-amd64", "10.20.30-alpha.beta-1", "1.0.0-0a"}
	platforms := []string{"linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64"}

	// Every tag a release or master build pushes, for every commit and
	// version, plus the branch tags of tool images.
	release := map[string]bool{"master": true, "latest": true, "release-2.5": true}
	for _, c := range commits {
		for _, v := range versions {
			tr := tags.Trigger{Kind: tags.Release, Version: v, Commit: c, Latest: !strings.Contains(v, "-")}
			if v == Master {
				tr = tags.Trigger{Kind: tags.Master, Commit: c}
			}
			ts, err := tags.Compute(tr)
			if err != nil {
				t.Fatal(err)
			}
			for _, tag := range ts {
				release[tag] = true
			}
		}
	}

	seen := map[string]string{}
	for _, c := range commits {
		for _, v := range versions {
			var names []string
			idx, err := IndexStagingTag(c, v)
			if err != nil {
				t.Fatalf("IndexStagingTag(%s, %s): %v", c, v, err)
			}
			names = append(names, idx)
			for _, p := range platforms {
				tag, err := PlatformStagingTag(c, v, p)
				if err != nil {
					t.Fatalf("PlatformStagingTag(%s, %s, %s): %v", c, v, p, err)
				}
				names = append(names, tag)
			}
			for i, tag := range names {
				what := c[:12] + " " + v + " " + "index"
				if i > 0 {
					what = c[:12] + " " + v + " " + platforms[i-1]
				}
				if release[tag] {
					t.Errorf("staging tag %q of %s is a release tag", tag, what)
				}
				if tags.Immutable(tag) {
					t.Errorf("staging tag %q of %s counts as immutable", tag, what)
				}
				if err := tags.ValidateTag(tag); err != nil || len(tag) > 128 {
					t.Errorf("staging tag %q of %s: %v", tag, what, err)
				}
				if _, err := name.NewTag("ghcr.io/kubeflow/kfp-driver:"+tag, name.StrictValidation); err != nil {
					t.Errorf("staging tag %q: %v", tag, err)
				}
				if !IsStagingTag(tag) {
					t.Errorf("IsStagingTag(%q) = false", tag)
				}
				// different (commit, version, platform) never share a tag
				if prev, dup := seen[tag]; dup {
					t.Errorf("staging tag %q names both %s and %s", tag, prev, what)
				}
				seen[tag] = what
			}
		}
	}
	for tag := range release {
		if IsStagingTag(tag) {
			t.Errorf("release tag %q looks like a staging tag", tag)
		}
	}
}

func TestStagingTagRejects(t *testing.T) {
	long := "1.2.3-" + strings.Repeat("a", 110)
	for _, tt := range []struct{ commit, version, platform, want string }{
		{commitA[:12], "2.5.0", "linux/amd64", "invalid commit"},
		{commitA, "v2.5.0", "linux/amd64", "leading v"},
		{commitA, "main", "linux/amd64", "invalid release version"},
		{commitA, "2.5.0", "linux", "invalid platform"},
		{commitA, "2.5.0", "Linux/AMD64", "invalid platform"},
		{commitA, long, "linux/amd64", "1 to 128"},
	} {
		if _, err := PlatformStagingTag(tt.commit, tt.version, tt.platform); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("PlatformStagingTag(%q, %q, %q) = %v, want an error containing %q", tt.commit, tt.version, tt.platform, err, tt.want)
		}
	}
}
