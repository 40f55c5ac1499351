package e2e

import (
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kfp-dagger/kfp-dagger/internal/release"
	"github.com/kfp-dagger/kfp-dagger/internal/report"
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
// records with a signing key: the index holds exactly the two staged
// children, its evidence passes verify-release, every tag points at it, a
// rerun writes nothing, promote --latest retags without building, and a
// record that fails verification moves no tag.
func TestStageMergePromote(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("release")
	version := uniqueVersion("2.99")
	constructor := []string{"--commit=" + testCommit, "--version=" + version}
	dir := t.TempDir()

	var records []string
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		outDir := filepath.Join(dir, strings.ReplaceAll(p, "/", "-"))
		out := filepath.Join(outDir, "records.json")
		e.dagger(t, slices.Concat(constructor, e.access(), []string{"stage", "--registry=" + repo,
			"--images=metadata-envoy", "--platforms=" + p, "--smoke", "export", "--path=" + outDir})...).mustSucceed(t)
		recs := readRecords(t, out)
		if len(recs) != 1 || len(recs[0].Platforms) != 1 || recs[0].Platforms[0].Platform != p || recs[0].Commit != testCommit {
			t.Fatalf("stage %s records: %+v", p, recs)
		}
		arch := p[strings.LastIndex(p, "/")+1:]
		if sm := recs[0].Platforms[0].Smoke; sm == nil || !sm.Passed || !strings.Contains(sm.Output, arch) {
			t.Fatalf("stage --smoke %s records the smoke run %+v, want passed and naming %s", p, sm, arch)
		}
		records = append(records, "--records="+out)
	}
	// Nothing a user pulls exists yet.
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+version), e.remoteOpts()...); err == nil {
		t.Fatalf("%s exists after stage, before promote", version)
	}

	// promote runs promote after the module set-up in setup.
	promote := func(setup []string, extra ...string) result {
		return e.dagger(t, slices.Concat(constructor, e.access(), setup, []string{"promote", "--registry=" + repo}, extra)...)
	}
	key := newSigningKey(t, e, requireToolImages(t))
	keys := key.dir
	// Records without the stages' smoke runs cannot be signed: one line,
	// before anything is written.
	var unsmoked []release.Record
	for _, r := range records {
		for _, rec := range readRecords(t, strings.TrimPrefix(r, "--records=")) {
			for i := range rec.Platforms {
				rec.Platforms[i].Smoke = nil
			}
			unsmoked = append(unsmoked, rec)
		}
	}
	js, err := json.Marshal(unsmoked)
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "unsmoked.json")
	if err := os.WriteFile(bare, js, 0o644); err != nil {
		t.Fatal(err)
	}
	if line := errorLine(promote(key.setup(), "--records="+bare).mustFail(t)); !strings.Contains(line, "with-signing-key needs the smoke run of every platform") {
		t.Errorf("signed promote of records without smoke runs: %q", line)
	}
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+version), e.remoteOpts()...); err == nil {
		t.Fatalf("%s exists after a refused promote", version)
	}
	// The stages smoked each platform natively: promote signs those results.
	out := promote(key.setup(), records...).mustSucceed(t)
	t.Logf("e2e: promote:\n%s", out)
	if !strings.Contains(out, ": 4 statements signed now, all it needs signed and checked") {
		t.Errorf("promote with a signing key reports no evidence:\n%s", out)
	}
	verified := e.dagger(t, slices.Concat(constructor, e.access(), []string{"verify-release", "--registry=" + repo,
		"--images=metadata-envoy", "--public-key=" + filepath.Join(keys, "cosign.pub")})...).mustSucceed(t)
	if !strings.Contains(verified, " | 4 | ok |") {
		t.Errorf("verify-release after a signed promote:\n%s", verified)
	}

	// The index under the release tag holds exactly the two staged children.
	want := []string{readRecords(t, strings.TrimPrefix(records[0], "--records="))[0].Platforms[0].Digest.String(),
		readRecords(t, strings.TrimPrefix(records[1], "--records="))[0].Platforms[0].Digest.String()}
	desc, err := remote.Get(parseRef(t, repo+"/kfp-metadata-envoy:"+version), e.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	_, im := readIndex(t, desc)
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
	again := parseReport(t, promote(nil, append(records, "--format=json")...).mustSucceed(t))
	if len(again.Results) != 1 || again.Results[0].Status != report.StatusPublished ||
		!slices.Equal(again.Results[0].Unchanged, again.Results[0].Tags) || len(again.Results[0].Tags) != 2 {
		t.Errorf("a second promote wrote tags (want its 2 tags unchanged): %+v", again.Results)
	}

	// promote --latest of the existing release: a retag, no build, no records.
	start := time.Now()
	latest := promote(nil, "--latest", "--images=metadata-envoy").mustSucceed(t)
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
	js, err = json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, js, 0o644); err != nil {
		t.Fatal(err)
	}
	line := errorLine(e.dagger(t, slices.Concat([]string{"--commit=" + testCommit, "--version=" + other}, e.access(),
		[]string{"promote", "--registry=" + repo, "--records=" + bad})...).mustFail(t))
	if !strings.Contains(line, "1 of 1 image failed: kfp-metadata-envoy (not promoted: ") {
		t.Errorf("promote of a record that fails verification: %q", line)
	}
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+other), e.remoteOpts()...); err == nil {
		t.Errorf("%s was tagged although verification failed", other)
	}
}

// TestStageMissingDockerfileWritesNothing: a stage, and a publish-all, of
// several images where one Dockerfile is missing fail before any build, and
// the registry holds nothing of any of them.
func TestStageMissingDockerfileWritesNothing(t *testing.T) {
	e := requireEnv(t)
	tree := copySample(t, e.repoRoot)
	if err := os.Remove(filepath.Join(tree, "backend", "Dockerfile.driver")); err != nil {
		t.Fatal(err)
	}
	repo := e.uniqueRepo("stage-missing")
	constructor := []string{"--source=" + tree, "--commit=" + testCommit}
	line := errorLine(e.dagger(t, slices.Concat(constructor, e.access(), []string{"stage", "--registry=" + repo,
		"--images=metadata-envoy,driver"})...).mustFail(t))
	if !strings.Contains(line, "nothing built or pushed: Dockerfile not found in the source for kfp-driver (backend/Dockerfile.driver)") {
		t.Errorf("missing Dockerfile: %q", line)
	}
	line = errorLine(e.dagger(t, slices.Concat(constructor, e.access(), []string{"publish-all", "--registry=" + repo,
		"--images=metadata-envoy,driver,api-generator"})...).mustFail(t))
	if !strings.Contains(line, "nothing built or pushed: Dockerfile not found in the source for kfp-driver (backend/Dockerfile.driver)") {
		t.Errorf("publish-all, missing Dockerfile: %q", line)
	}
	for _, img := range []string{"kfp-metadata-envoy", "kfp-driver", "kfp-api-generator"} {
		tags, err := remote.List(parseRef(t, repo+"/"+img).Context(), e.remoteOpts()...)
		if err == nil && len(tags) > 0 {
			t.Errorf("%s/%s holds %v after a failed stage", repo, img, tags)
		}
	}
}

// TestStageResumes: a stage run that stopped after staging one image (here:
// a run of that image alone) is finished by a rerun that keeps what is
// staged, by digest, and builds only the rest; summary.md says which. Without
// a tunnel, a loopback registry is refused with the flag to pass.
func TestStageResumes(t *testing.T) {
	e := requireEnv(t)
	repo := e.uniqueRepo("resume")
	_, port, _ := strings.Cut(e.registry, ":")
	stage := func(images string) (string, []release.Record) {
		t.Helper()
		out := t.TempDir()
		e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.access(), []string{"stage", "--registry=" + repo,
			"--images=" + images, "--platforms=linux/amd64", "export", "--path=" + out})...).mustSucceed(t)
		md, err := os.ReadFile(filepath.Join(out, "summary.md"))
		if err != nil {
			t.Fatal(err)
		}
		return string(md), readRecords(t, filepath.Join(out, "records.json"))
	}
	_, first := stage("metadata-envoy")
	md, recs := stage("metadata-envoy,cache-deployer")
	t.Logf("e2e: rerun summary.md:\n%s", md)
	if !strings.Contains(md, "| kfp-metadata-envoy | linux/amd64 | "+first[0].Platforms[0].Digest.String()+" | an earlier run (not rebuilt) |") {
		t.Errorf("the rerun did not keep the staged kfp-metadata-envoy:\n%s", md)
	}
	if !strings.Contains(md, "| kfp-cache-deployer | linux/amd64 | sha256:") || !strings.Contains(md, "| this run |") {
		t.Errorf("the rerun did not stage kfp-cache-deployer:\n%s", md)
	}
	i := slices.IndexFunc(recs, func(r release.Record) bool { return r.Image == "kfp-metadata-envoy" })
	if len(recs) != 2 || i < 0 || recs[i].Platforms[0].Digest != first[0].Platforms[0].Digest {
		t.Errorf("rerun records %+v: want both images, kfp-metadata-envoy at %s", recs, first[0].Platforms[0].Digest)
	}

	line := errorLine(e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.auth(), []string{"stage", "--registry=" + repo,
		"--images=metadata-envoy"})...).mustFail(t))
	if !strings.Contains(line, "is on the host's loopback") || !strings.Contains(line, "with-registry-tunnel --service=tcp://localhost:"+port) {
		t.Errorf("stage to a loopback registry without a tunnel: %q", line)
	}
}

// TestPromoteThroughFaults promotes through a proxy that answers 503 or 429
// or resets the connection on about 30 % of all registry requests, reads
// included: the promote succeeds, the index holds the staged children, and
// promote counts its retries. The stage goes to the registry directly (its
// pushes are the engine's; a faulty stage push of a 30 MB layer costs
// minutes of CI for nothing promote does not show), and its records are
// pointed at the proxy, which serves the same registry.
func TestPromoteThroughFaults(t *testing.T) {
	e := requireEnv(t)
	rng := rand.New(rand.NewPCG(42, 7))
	var mu sync.Mutex
	proxy := startFaultProxy(t, e.registry, func(n int, r *http.Request) fault {
		mu.Lock()
		defer mu.Unlock()
		if rng.IntN(10) >= 3 {
			return pass
		}
		return []fault{unavailable, tooManyRequests, reset}[rng.IntN(3)]
	})
	repo := e.uniqueRepo("tx")
	out := t.TempDir()
	e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.access(), []string{"stage", "--images=metadata-envoy",
		"--registry=" + repo, "export", "--path=" + out})...).mustSucceed(t)
	recs := readRecords(t, filepath.Join(out, "records.json"))
	viaProxy := strings.Replace(repo, e.registry, proxy.addr, 1)
	for i := range recs {
		recs[i].Repository = strings.Replace(recs[i].Repository, e.registry, proxy.addr, 1)
	}
	js, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(out, "via-proxy.json")
	if err := os.WriteFile(file, js, 0o644); err != nil {
		t.Fatal(err)
	}
	// The engine's tunnel does not pass a connection reset on to the module:
	// the attempt waits for its deadline instead, so keep it short here.
	promoted := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.authFor(proxy.addr), tunnelTo(proxy.addr),
		[]string{"promote", "--records=" + file, "--registry=" + viaProxy, "--attempt-timeout=5s", "--format=json"})...).mustSucceed(t)
	t.Logf("e2e: promote through faults: %d requests, %d faults injected:\n%s", proxy.requests.Load(), proxy.faults.Load(), promoted)
	if proxy.faults.Load() == 0 {
		t.Fatal("the proxy injected no fault; the test proves nothing")
	}
	if rep := parseReport(t, promoted); len(rep.Results) != 1 || rep.Results[0].Status != report.StatusPublished || rep.Results[0].Retries == 0 {
		t.Errorf("promote through faults: want kfp-metadata-envoy published with its retries counted: %+v", rep.Results)
	}
	idx, err := remote.Index(parseRef(t, repo+"/kfp-metadata-envoy:master"), e.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != len(recs[0].Platforms) {
		t.Errorf("index has %d children, staged %d", len(im.Manifests), len(recs[0].Platforms))
	}
}

// TestPromoteSilentRegistry: a registry that accepts connections and never
// answers makes promote fail within attempt deadline × attempts + slack,
// naming the registry; nothing can be tagged.
func TestPromoteSilentRegistry(t *testing.T) {
	e := requireEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // hold it open, say nothing
		}
	}()
	host := l.Addr().String()
	rec := release.Record{Image: "kfp-metadata-envoy", Repository: host + "/silent/kfp-metadata-envoy", Version: "master", Commit: testCommit,
		Source: "https://github.com/kubeflow/pipelines", StagedAt: time.Now().UTC()}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		h, err := v1.NewHash("sha256:" + strings.Repeat("ab", 32))
		if err != nil {
			t.Fatal(err)
		}
		if p == "linux/arm64" {
			h.Hex = strings.Repeat("cd", 32)
		}
		rec.Platforms = append(rec.Platforms, release.PlatformManifest{Platform: p, Digest: h})
	}
	js, err := json.Marshal([]release.Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "records.json")
	if err := os.WriteFile(file, js, 0o644); err != nil {
		t.Fatal(err)
	}
	const deadline, budget = 2 * time.Second, 6 * time.Second
	r := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, tunnelTo(host), []string{"promote",
		"--registry=" + host + "/silent", "--records=" + file, "--attempt-timeout=2s", "--retry-budget=6s"})...)
	line := errorLine(r.mustFail(t))
	t.Logf("e2e: silent registry: failed in %s: %s", r.elapsed.Round(time.Millisecond), line)
	if !strings.Contains(line, host) {
		t.Errorf("the error does not name the registry %s: %q", host, line)
	}
	// The budget counts from the first failure, which comes after one
	// deadline; each later attempt adds at most one deadline; 20 s of slack
	// covers the CLI and the module's start.
	if limit := deadline + budget + deadline + 20*time.Second; r.elapsed > limit {
		t.Errorf("promote against a silent registry took %s, want under %s", r.elapsed, limit)
	}
}
