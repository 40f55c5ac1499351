package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testCommit is the commit the end-to-end tests build as.
const testCommit = "0123456789abcdef0123456789abcdef01234567"

// TestPublishPushesMultiPlatformIndex publishes one sample image with the real
// CLI and reads the index back: both platforms, the returned digest, labels.
func TestPublishPushesMultiPlatformIndex(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("publish")
	out := e.dagger(t, "--commit="+testCommit, "--source-date-epoch=1700000000",
		"publish", "--image=metadata-envoy", "--registry="+repo,
		"--username="+e.username, "--password=file:"+e.passwordFile).mustSucceed(t)
	t.Logf("e2e: pushed %s", out)

	want := repo + "/kfp-metadata-envoy:master@sha256:"
	if !strings.HasPrefix(out, want) {
		t.Fatalf("publish printed %q, want %s…", out, want)
	}
	_, digest, _ := strings.Cut(out, "@")

	ref := parseRef(t, repo+"/kfp-metadata-envoy:master")
	desc, err := remote.Get(ref, e.remoteOpts()...)
	if err != nil {
		t.Fatalf("read back %s: %v", ref, err)
	}
	if desc.Digest.String() != digest {
		t.Errorf("tag master points at %s, publish returned %s", desc.Digest, digest)
	}
	if desc.MediaType != types.OCIImageIndex && desc.MediaType != types.DockerManifestList {
		t.Fatalf("pushed %s, want an image index", desc.MediaType)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]v1.Hash{}
	for _, m := range im.Manifests {
		if m.Platform != nil {
			got[m.Platform.OS+"/"+m.Platform.Architecture] = m.Digest
		}
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		d, ok := got[p]
		if !ok {
			t.Errorf("index has no %s manifest (has %v)", p, got)
			continue
		}
		img, err := idx.Image(d)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS+"/"+cf.Architecture != p {
			t.Errorf("%s manifest's config says %s/%s", p, cf.OS, cf.Architecture)
		}
		for k, v := range map[string]string{
			"org.opencontainers.image.title":    "kfp-metadata-envoy",
			"org.opencontainers.image.revision": testCommit,
			"org.opencontainers.image.version":  "master",
			"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
		} {
			if cf.Config.Labels[k] != v {
				t.Errorf("%s label %s = %q, want %q", p, k, cf.Config.Labels[k], v)
			}
		}
	}
}

// TestPublishWrongPasswordPushesNothing checks that bad credentials fail with
// a clear message and leave nothing in the registry.
func TestPublishWrongPasswordPushesNothing(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("wrongpw")
	bad := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(bad, []byte("not-the-password"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := e.dagger(t, "--commit="+testCommit, "publish", "--image=metadata-envoy",
		"--registry="+repo, "--username="+e.username, "--password=file:"+bad).mustFail(t)
	if !strings.Contains(stderr, "401 Unauthorized") && !strings.Contains(stderr, "authentication required") {
		t.Errorf("error does not say the credentials were refused:\n%s", tail(stderr, 20))
	}
	if strings.Contains(stderr, "not-the-password") {
		t.Errorf("the password appears in the CLI output")
	}
	ref := parseRef(t, repo+"/kfp-metadata-envoy:master")
	if _, err := remote.Head(ref, e.remoteOpts()...); err == nil {
		t.Fatalf("%s exists after a publish with a wrong password", ref)
	}
}
