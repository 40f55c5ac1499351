package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kfp-dagger/kfp-dagger/internal/report"
)

// reportAfterError parses the JSON report a failed publish-all prints after
// its error line.
func reportAfterError(t *testing.T, stderr string) report.Report {
	t.Helper()
	i := strings.LastIndex(stderr, "\nError: ")
	j := strings.LastIndex(stderr, "\n}")
	if i < 0 || j < i || !strings.Contains(stderr[i:], "\n{") {
		t.Fatalf("no report after the error line:\n%s", tail(stderr, 30))
	}
	return parseReport(t, stderr[i+strings.Index(stderr[i:], "\n{")+1:j+2])
}

// TestPublishAllSmokeFailureMovesNoTag publishes two images from a copy of
// the sample whose metadata-envoy fails its --version smoke run: both are
// staged, neither gets a tag, and the report names the image and why.
func TestPublishAllSmokeFailureMovesNoTag(t *testing.T) {
	e := requireEnv(t)
	tree := copySample(t, e.repoRoot)
	entry := filepath.Join(tree, "third_party/metadata_envoy/entrypoint.sh")
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "set -euo pipefail\n",
		"set -euo pipefail\n[ \"${1:-}\" != --version ] || { echo 'kfp-metadata-envoy: broken on purpose' >&2; exit 3; }\n", 1)
	if broken == string(data) {
		t.Fatal("could not break the entrypoint: the sample changed")
	}
	if err := os.WriteFile(entry, []byte(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	repo := e.uniqueRepo("smokefail")
	res := e.dagger(t, slices.Concat([]string{"--source=" + tree, "--commit=" + testCommit}, e.access(), []string{"publish-all",
		"--images=metadata-envoy,inverse-proxy-agent", "--format=json", "--registry=" + repo})...)
	rep := reportAfterError(t, res.mustFail(t))
	t.Logf("e2e: publish-all with a failing smoke run: %s, %s", res.elapsed, errorLine(res.stderr))
	if len(rep.Results) != 2 {
		t.Fatalf("report has %d results, want 2: %+v", len(rep.Results), rep.Results)
	}
	for _, r := range rep.Results {
		switch r.Image {
		case "kfp-metadata-envoy":
			if r.Status != report.StatusFailed || !strings.Contains(r.Error, "not promoted") || !strings.Contains(r.Error, "smoke run") {
				t.Errorf("metadata-envoy: %s %q, want failed: not promoted, smoke run", r.Status, r.Error)
			}
		case "kfp-inverse-proxy-agent":
			if r.Status != report.StatusSkipped || !strings.Contains(r.Error, "not promoted") {
				t.Errorf("inverse-proxy-agent: %s %q, want skipped: not promoted", r.Status, r.Error)
			}
		default:
			t.Errorf("unexpected image %s in the report", r.Image)
		}
		if r.Digest == "" {
			t.Errorf("%s: no staged index digest in the report", r.Image)
		}
		for _, tag := range []string{"master", testCommit} {
			if _, err := remote.Head(parseRef(t, repo+"/"+r.Image+":"+tag), e.remoteOpts()...); err == nil {
				t.Errorf("%s:%s was written although verification failed", r.Image, tag)
			}
		}
	}
}

// TestPublishAllTagWritesFailMidway lets the first tag write through and
// fails every later one (503, longer than the retry budget): the run fails
// with only immutable tags written; a rerun writes the rest and no image
// ends with its commit tag but without master. Every promoted digest is the
// staged index the report names, with exactly the catalog's platforms.
func TestPublishAllTagWritesFailMidway(t *testing.T) {
	e := requireEnv(t)
	var tagWrites, failing atomic.Int64
	proxy := startFaultProxy(t, e.registry, func(n int, r *http.Request) fault {
		_, ref, ok := strings.Cut(r.URL.Path, "/manifests/")
		if !ok || r.Method != http.MethodPut || (ref != "master" && ref != testCommit) {
			return pass
		}
		if tagWrites.Add(1) > 1 && failing.Load() == 1 {
			return unavailable
		}
		return pass
	})
	failing.Store(1)
	repo := proxy.addr + "/tagfail-" + strings.ReplaceAll(e.uniqueRepo("x"), e.registry+"/", "")
	direct := strings.Replace(repo, proxy.addr, e.registry, 1)
	args := slices.Concat([]string{"--commit=" + testCommit}, e.authFor(proxy.addr), tunnelTo(proxy.addr), []string{"publish-all",
		"--images=metadata-envoy,inverse-proxy-agent", "--format=json", "--registry=" + repo, "--attempt-timeout=5s", "--retry-budget=5s", "--smoke=false"})
	first := e.dagger(t, args...)
	first.mustFail(t)
	t.Logf("e2e: publish-all with tag writes failing after the first: %s, %s", first.elapsed, errorLine(first.stderr))
	images := []string{"kfp-inverse-proxy-agent", "kfp-metadata-envoy"}
	has := func(image, tag string) bool {
		_, err := remote.Head(parseRef(t, direct+"/"+image+":"+tag), e.remoteOpts()...)
		return err == nil
	}
	written := 0
	for _, img := range images {
		if has(img, "master") {
			t.Errorf("%s:master moved although an immutable tag of the release failed", img)
		}
		if has(img, testCommit) {
			written++
		}
	}
	if written != 1 {
		t.Errorf("%d commit tags written before the faults, want exactly 1: the test does not fail where it should", written)
	}

	failing.Store(0)
	second := e.dagger(t, args...)
	rep := parseReport(t, second.mustSucceed(t))
	t.Logf("e2e: rerun without faults: %s", second.elapsed)
	for _, r := range rep.Results {
		if r.Status != report.StatusPublished {
			t.Errorf("%s: %s %s", r.Image, r.Status, r.Error)
			continue
		}
		want := map[string][]string{"kfp-metadata-envoy": {"linux/amd64", "linux/arm64"}, "kfp-inverse-proxy-agent": {"linux/amd64"}}[r.Image]
		for _, tag := range []string{testCommit, "master"} {
			desc, err := remote.Get(parseRef(t, direct+"/"+r.Image+":"+tag), e.remoteOpts()...)
			if err != nil {
				t.Errorf("%s:%s after the rerun: %v", r.Image, tag, err)
				continue
			}
			if desc.Digest.String() != r.Digest {
				t.Errorf("%s:%s holds %s, the staged index is %s", r.Image, tag, desc.Digest, r.Digest)
			}
			_, im := readIndex(t, desc)
			var got []string
			for _, m := range im.Manifests {
				got = append(got, m.Platform.OS+"/"+m.Platform.Architecture)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s:%s index platforms %v, want %v", r.Image, tag, got, want)
			}
		}
	}
}
