package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kfp-dagger/kfp-dagger/internal/release"
)

// readRecords reads the records.json a stage run exported.
func readRecords(t *testing.T, path string) []release.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []release.Record
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// TestStageMergePromote stages one image on two stage runs, one per
// platform, as two engines or runners would, then promotes the merged
// records: the index holds exactly the two staged children, every tag points
// at it, a rerun writes nothing, promote --latest retags without building,
// and a record that fails verification moves no tag.
func TestStageMergePromote(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("release")
	version := "2.99." + time.Now().Format("150405")
	auth := []string{"--username=" + e.username, "--password=file:" + e.passwordFile}
	_, port, _ := strings.Cut(e.registry, ":")
	tunnel := "--registry-tunnel=tcp://localhost:" + port
	dir := t.TempDir()

	var records []string
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		out := filepath.Join(dir, strings.ReplaceAll(p, "/", "-")+".json")
		args := append([]string{"--commit=" + testCommit, "--version=" + version, "stage", "--registry=" + repo,
			"--images=metadata-envoy", "--platforms=" + p}, auth...)
		e.dagger(t, append(args, "export", "--path="+out)...).mustSucceed(t)
		recs := readRecords(t, out)
		if len(recs) != 1 || len(recs[0].Platforms) != 1 || recs[0].Platforms[0].Platform != p || recs[0].Commit != testCommit {
			t.Fatalf("stage %s records: %+v", p, recs)
		}
		records = append(records, "--records="+out)
	}
	// Nothing a user pulls exists yet.
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+version), e.remoteOpts()...); err == nil {
		t.Fatalf("%s exists after stage, before promote", version)
	}

	promote := func(extra ...string) result {
		args := append([]string{"--commit=" + testCommit, "--version=" + version, "promote", "--registry=" + repo, tunnel}, auth...)
		return e.dagger(t, append(args, extra...)...)
	}
	out := promote(append(records, "--smoke")...).mustSucceed(t)
	t.Logf("e2e: promote:\n%s", out)

	// The index under the release tag holds exactly the two staged children.
	want := []string{readRecords(t, strings.TrimPrefix(records[0], "--records="))[0].Platforms[0].Digest.String(),
		readRecords(t, strings.TrimPrefix(records[1], "--records="))[0].Platforms[0].Digest.String()}
	desc, err := remote.Get(parseRef(t, repo+"/kfp-metadata-envoy:"+version), e.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range im.Manifests {
		got = append(got, m.Digest.String())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("index children %v, want the staged %v", got, want)
	}
	// The commit tag points at the same index; latest was not asked for.
	sha, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+testCommit), e.remoteOpts()...)
	if err != nil || sha.Digest != desc.Digest {
		t.Errorf("commit tag: %v, %v; want %s", sha, err, desc.Digest)
	}
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:latest"), e.remoteOpts()...); err == nil {
		t.Errorf("latest exists without --latest")
	}

	// A rerun finishes what is missing: here nothing.
	again := promote(records...).mustSucceed(t)
	if strings.Contains(again, ": written") || !strings.Contains(again, "already there") {
		t.Errorf("a second promote wrote tags:\n%s", again)
	}

	// promote --latest of the existing release: a retag, no build, no records.
	start := time.Now()
	latest := promote("--latest", "--images=metadata-envoy").mustSucceed(t)
	took := time.Since(start)
	l, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:latest"), e.remoteOpts()...)
	if err != nil || l.Digest != desc.Digest {
		t.Errorf("latest after promote --latest: %v, %v; want %s\n%s", l, err, desc.Digest, latest)
	}
	t.Logf("e2e: promote --latest moved latest in %s", took.Round(time.Millisecond))

	// A record whose version is not what the images are labelled with fails
	// verification: no tag moves.
	recs := readRecords(t, strings.TrimPrefix(records[0], "--records="))
	recs = append(recs, readRecords(t, strings.TrimPrefix(records[1], "--records="))...)
	other := version + "1"
	for i := range recs {
		recs[i].Version = other
	}
	js, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, js, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--commit=" + testCommit, "--version=" + other, "promote", "--registry=" + repo, tunnel, "--records=" + bad}, auth...)
	line := errorLine(e.dagger(t, args...).mustFail(t))
	if !strings.Contains(line, "promote: no tag moved") || !strings.Contains(line, "kfp-metadata-envoy") {
		t.Errorf("promote of a record that fails verification: %q", line)
	}
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+other), e.remoteOpts()...); err == nil {
		t.Errorf("%s was tagged although verification failed", other)
	}
}

// TestStageMissingDockerfileWritesNothing: a stage of several images where
// one Dockerfile is missing fails before any build, and the registry holds
// nothing of any of them.
func TestStageMissingDockerfileWritesNothing(t *testing.T) {
	e := requireEnv(t)
	tree := copySample(t, e.repoRoot)
	if err := os.Remove(filepath.Join(tree, "backend", "Dockerfile.driver")); err != nil {
		t.Fatal(err)
	}
	repo := e.uniqueRepo("stage-missing")
	line := errorLine(e.dagger(t, "--source="+tree, "--commit="+testCommit, "stage", "--registry="+repo,
		"--images=metadata-envoy,driver", "--username="+e.username, "--password=file:"+e.passwordFile).mustFail(t))
	if !strings.Contains(line, "nothing built or pushed: Dockerfile not found in the source for kfp-driver (backend/Dockerfile.driver)") {
		t.Errorf("missing Dockerfile: %q", line)
	}
	for _, img := range []string{"kfp-metadata-envoy", "kfp-driver"} {
		tags, err := remote.List(parseRef(t, repo+"/"+img).Context(), e.remoteOpts()...)
		if err == nil && len(tags) > 0 {
			t.Errorf("%s/%s holds %v after a failed stage", repo, img, tags)
		}
	}
}
