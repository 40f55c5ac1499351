package e2e

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	out := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit, "--source-date-epoch=1700000000"}, e.access(),
		[]string{"publish", "--image=metadata-envoy", "--registry=" + repo})...).mustSucceed(t)
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
	idx, im := readIndex(t, desc)
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
// a clear message and leave nothing in the registry, and that credentials
// set for another host are not sent: the call says the registry got none.
func TestPublishWrongPasswordPushesNothing(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("wrongpw")
	bad := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(bad, []byte("not-the-password"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit, "with-registry-auth", "--address=" + e.registry,
		"--username=" + e.username, "--secret=file:" + bad}, e.tunnel(), []string{"publish", "--image=metadata-envoy", "--registry=" + repo})...).mustFail(t)
	if line := errorLine(stderr); !strings.Contains(line, `refused the credentials for user "kfp" (401 Unauthorized)`) {
		t.Errorf("error line %q does not say the credentials were refused", line)
	}
	if strings.Contains(stderr, "not-the-password") {
		t.Errorf("the password appears in the CLI output")
	}
	// The right password, bound to another host (the same registry by
	// another name is another host).
	other := "localhost:" + e.registry[strings.LastIndex(e.registry, ":")+1:]
	stderr = e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.authFor(other), e.tunnel(),
		[]string{"publish", "--image=metadata-envoy", "--registry=" + repo})...).mustFail(t)
	if line := errorLine(stderr); !strings.Contains(line, "registry "+e.registry+" wants credentials (401 Unauthorized) and none were given for it") {
		t.Errorf("credentials of another host: error line %q, want that none were given for %s", line, e.registry)
	}
	ref := parseRef(t, repo+"/kfp-metadata-envoy:master")
	if _, err := remote.Head(ref, e.remoteOpts()...); err == nil {
		t.Fatalf("%s exists after a publish with a wrong password", ref)
	}
}

// TestPublishReleaseTagsAndImmutability publishes a release with latest and
// reads every tag back; a rerun of the same commit succeeds without writing
// a tag; a build of another commit under the same version is refused,
// naming both digests and both commits, and moves nothing; --force moves it.
func TestPublishReleaseTagsAndImmutability(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("release")
	publish := func(commit string, extra ...string) result {
		return e.dagger(t, slices.Concat([]string{"--commit=" + commit, "--version=2.17.0", "--source-date-epoch=1700000000"}, e.access(),
			[]string{"publish", "--image=metadata-envoy", "--registry=" + repo, "--latest", "--smoke=false"}, extra)...)
	}
	out := publish(testCommit).mustSucceed(t)
	t.Logf("e2e: pushed %s", out)
	_, digest, _ := strings.Cut(out, "@")
	holds := func(tag, want string) {
		t.Helper()
		desc, err := remote.Get(parseRef(t, repo+"/kfp-metadata-envoy:"+tag), e.remoteOpts()...)
		if err != nil {
			t.Fatalf("tag %s: %v", tag, err)
		}
		if desc.Digest.String() != want {
			t.Errorf("tag %s points at %s, want %s", tag, desc.Digest, want)
		}
	}
	for _, tag := range []string{"2.17.0", testCommit, "latest"} {
		holds(tag, digest)
	}
	if again := publish(testCommit).mustSucceed(t); again != out {
		t.Errorf("rerun of the same release printed %s, want %s", again, out)
	}

	const other = "89abcdef0123456789abcdef0123456789abcdef"
	line := errorLine(publish(other).mustFail(t))
	for _, want := range []string{"kfp-metadata-envoy:2.17.0 is immutable and holds " + digest, "(commit " + testCommit + ")", "(commit " + other + ")", "force kfp-metadata-envoy"} {
		if !strings.Contains(line, want) {
			t.Errorf("another commit as 2.17.0: error line %q does not say %q", line, want)
		}
	}
	holds("2.17.0", digest)
	holds("latest", digest)
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+other), e.remoteOpts()...); err == nil {
		t.Errorf("the refused release still wrote its commit tag %s", other)
	}
	forced := publish(other, "--force").mustSucceed(t)
	_, moved, _ := strings.Cut(forced, "@")
	if moved == digest {
		t.Fatalf("another commit built to the same digest %s: the test proves nothing", digest)
	}
	for _, tag := range []string{"2.17.0", other, "latest"} {
		holds(tag, moved)
	}
	holds(testCommit, digest)
}

// TestPublishRegistryDown checks a clear error, before any build, when
// nothing listens where the registry should be.
func TestPublishRegistryDown(t *testing.T) {
	e := requireEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	stderr := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.authFor(down), tunnelTo(down), []string{"publish",
		"--image=metadata-envoy", "--registry=" + down + "/kfp", "--attempt-timeout=5s", "--retry-budget=10s"})...).mustFail(t)
	// through the tunnel a closed port accepts and closes each connection
	if line := errorLine(stderr); !strings.Contains(line, "pre-flight, nothing written: registry "+down+" does not answer through the tunnel") {
		t.Errorf("error line %q does not say the registry does not answer", line)
	}
}

// TestPublishThroughFaults publishes through a proxy that answers 503 and 429
// and resets connections on a schedule: the publish succeeds and its report
// counts the retries. Republishing the unchanged image rebuilds nothing and
// writes no blob.
func TestPublishThroughFaults(t *testing.T) {
	e := requireEnv(t)
	every := 0
	proxy := startFaultProxy(t, e.registry, func(n int, r *http.Request) fault {
		// fault the first few manifest and blob writes, then let everything through
		if n > 40 || (r.Method != http.MethodPut && r.Method != http.MethodPost && r.Method != http.MethodPatch) {
			return pass
		}
		every++
		return []fault{unavailable, tooManyRequests, reset, pass}[every%4]
	})
	repo := proxy.addr + "/faults-" + strings.ReplaceAll(e.uniqueRepo("x"), e.registry+"/", "")
	// the tunnel does not pass a reset on: the module's calls see it as a
	// silent connection, which the attempt deadline ends
	args := slices.Concat([]string{"--commit=" + testCommit}, e.authFor(proxy.addr), tunnelTo(proxy.addr), []string{"publish-all",
		"--images=metadata-envoy", "--format=json", "--registry=" + repo, "--attempt-timeout=5s", "--smoke=false"})
	first := e.dagger(t, args...)
	r := parseReport(t, first.mustSucceed(t))
	if len(r.Results) != 1 || r.Results[0].Status != "published" {
		t.Fatalf("report: %+v", r.Results)
	}
	t.Logf("e2e: first publish through faults: %s, %d faults injected, %d retries, %d blob writes", first.elapsed, proxy.faults.Load(), r.Results[0].Retries, proxy.uploads.Load())
	if proxy.faults.Load() == 0 {
		t.Fatal("the proxy injected no fault; the test proves nothing")
	}
	if r.Results[0].Retries == 0 {
		t.Errorf("%d faults injected but the report counts no retry", proxy.faults.Load())
	}
	uploadsBefore := proxy.uploads.Load()
	if uploadsBefore == 0 {
		t.Fatal("the first publish wrote no blob through the proxy: the count proves nothing")
	}
	second := e.dagger(t, args...)
	again := parseReport(t, second.mustSucceed(t))
	if len(again.Results) != 1 || strings.Join(again.Results[0].StagedBefore, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("republish: %+v, want both platforms kept as staged, not rebuilt", again.Results)
	}
	t.Logf("e2e: republish unchanged: %s (first %s), %d blob writes", second.elapsed, first.elapsed, proxy.uploads.Load()-uploadsBefore)
	if n := proxy.uploads.Load() - uploadsBefore; n != 0 {
		t.Errorf("republishing an unchanged image wrote %d blobs, want 0", n)
	}
}

// TestPublishGivesUpInsideBudget checks that a registry failing every write
// makes publish fail within its retry budget and leaves no tag.
func TestPublishGivesUpInsideBudget(t *testing.T) {
	e := requireEnv(t)
	proxy := startFaultProxy(t, e.registry, func(n int, r *http.Request) fault {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return pass
		}
		return unavailable
	})
	repo := proxy.addr + "/broken-" + strings.ReplaceAll(e.uniqueRepo("x"), e.registry+"/", "")
	res := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.authFor(proxy.addr), tunnelTo(proxy.addr),
		[]string{"publish", "--image=metadata-envoy", "--retry-budget=20s", "--registry=" + repo})...)
	stderr := res.mustFail(t)
	t.Logf("e2e: gave up after %s: %s", res.elapsed, errorLine(stderr))
	if res.elapsed > 3*time.Minute {
		t.Errorf("publish took %s to give up with a 20s budget", res.elapsed)
	}
	direct := strings.Replace(repo, proxy.addr, e.registry, 1)
	for _, tag := range []string{"master", testCommit} {
		if _, err := remote.Head(parseRef(t, direct+"/kfp-metadata-envoy:"+tag), e.remoteOpts()...); err == nil {
			t.Errorf("tag %s exists after a failed publish", tag)
		}
	}
}
