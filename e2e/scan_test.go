package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	bolt "go.etcd.io/bbolt"

	"github.com/kfp-dagger/kfp-dagger/internal/vulnscan"
)

// The fixture advisories. The sample python images (python:3.11-slim-bookworm)
// hold Debian's python3.11 3.11.2-6+deb12u8; every sample image holds zlib1g
// (source package zlib). Fixture IDs cannot clash with real CVEs.
const (
	fixtureHigh = "CVE-2099-1111" // python3.11 < 3.11.2-6+deb12u99, HIGH, fixed
	fixtureLow  = "CVE-2099-2222" // zlib, LOW, no fix yet
)

// Trivy DB artifact media types (what `trivy image --download-db-only` pulls).
const (
	trivyDBLayer  = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
	trivyDBConfig = "application/vnd.aquasec.trivy.config.v1+json"
)

// writeTrivyDB writes a schema-2 Trivy DB (trivy.db and metadata.json) with
// the fixture advisories into dir.
func writeTrivyDB(t *testing.T, dir string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "trivy.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	put := func(tx *bolt.Tx, path []string, key string, v any) error {
		b, err := tx.CreateBucketIfNotExists([]byte(path[0]))
		if err != nil {
			return err
		}
		for _, p := range path[1:] {
			if b, err = b.CreateBucketIfNotExists([]byte(p)); err != nil {
				return err
			}
		}
		js, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), js)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, e := range []struct {
			path []string
			key  string
			v    any
		}{
			{[]string{"debian 12", "python3.11"}, fixtureHigh, map[string]any{"FixedVersion": "3.11.2-6+deb12u99"}},
			{[]string{"debian 12", "zlib"}, fixtureLow, map[string]any{}},
			{[]string{"vulnerability"}, fixtureHigh, map[string]any{"Title": "kfp-dagger e2e fixture: python3.11", "Description": "Test advisory.", "Severity": "HIGH", "References": []string{"https://example.invalid/" + fixtureHigh}}},
			{[]string{"vulnerability"}, fixtureLow, map[string]any{"Title": "kfp-dagger e2e fixture: zlib", "Description": "Test advisory without a fix.", "Severity": "LOW"}},
			{[]string{"data-source"}, "debian 12", map[string]any{"ID": "debian", "Name": "Debian Security Tracker", "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"}},
		} {
			if err := put(tx, e.path, e.key, e.v); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	meta, _ := json.Marshal(map[string]any{"Version": 2, "NextUpdate": now.Add(30 * 24 * time.Hour), "UpdatedAt": now, "DownloadedAt": now})
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pushTrivyDB packs dir's trivy.db and metadata.json as db.tar.gz and pushes
// it to ref as the OCI artifact Trivy downloads its DB from.
func pushTrivyDB(t *testing.T, dir, ref string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"trivy.db", "metadata.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:       static.NewLayer(buf.Bytes(), types.MediaType(trivyDBLayer)),
		Annotations: map[string]string{"org.opencontainers.image.title": "db.tar.gz"},
	})
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(mutate.ConfigMediaType(img, types.MediaType(trivyDBConfig)), types.OCIManifestSchema1)
	if err := remote.Write(parseRef(t, ref), img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatalf("push the fixture DB to %s: %v", ref, err)
	}
}

// scanEnv is a test environment with a fixture DB in a registry of its own.
type scanEnv struct {
	env
	mirror   string   // host:port of the docker.io mirror (no auth, read-only)
	dbHost   string   // host:port of the registry serving the fixture DB
	scanArgs []string // with-trivy: the mirror's image and the fixture DB
}

// requireToolImages fails unless the mirror serves the Trivy and cosign
// images (hack/engine.sh up --with-tools), and returns the mirror.
func requireToolImages(t *testing.T) string {
	t.Helper()
	mirror := os.Getenv("KFP_MIRROR")
	if mirror == "" {
		t.Fatal("KFP_MIRROR must be set: eval \"$(hack/engine.sh env)\"")
	}
	for _, img := range []string{"aquasec/trivy:0.74.0", "projectsigstore/cosign:v3.1.3"} {
		if _, err := remote.Head(parseRef(t, mirror+"/"+img)); err != nil {
			t.Fatalf("the mirror does not serve %s (%v): run hack/engine.sh up --with-tools", img, err)
		}
	}
	return mirror
}

// trivyImage is the with-trivy call for the Trivy image the mirror serves
// (hack/tool-images.sh builds it): the module's default is Trivy's official
// image by digest, which this machine cannot pull.
func trivyImage(mirror string) []string {
	return []string{"with-trivy", "--image=" + mirror + "/aquasec/trivy:0.74.0"}
}

// requireScanEnv serves a fresh fixture DB from an in-process registry on
// loopback (go-containerregistry's), reached from Trivy's container through
// the host tunnel like any loopback registry; the first scan of each test
// downloads it (cold). The mirror stays read-only.
func requireScanEnv(t *testing.T) scanEnv {
	t.Helper()
	e := requireEnv(t)
	mirror := requireToolImages(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	writeTrivyDB(t, dir)
	repo := host + "/kfp-e2e/trivy-db:2"
	pushTrivyDB(t, dir, repo)
	_, port, _ := strings.Cut(host, ":")
	return scanEnv{env: e, mirror: mirror, dbHost: host, scanArgs: append(trivyImage(mirror), "--db-repository="+repo, "--db-registry=tcp://localhost:"+port)}
}

func (s scanEnv) scan(t *testing.T, args ...string) result {
	t.Helper()
	return s.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, s.scanArgs, []string{"scan"}, args)...)
}

// TestScanFixtureDB scans sample images with the real CLI against a test
// vulnerability DB served from the loopback mirror as an OCI artifact.
func TestScanFixtureDB(t *testing.T) {
	s := requireScanEnv(t)

	// A python image holds python3.11: the HIGH fixture fails the call at HIGH.
	cold := s.scan(t, "--image=metadata-writer", "--severity=HIGH")
	line := errorLine(cold.mustFail(t))
	if !strings.Contains(line, fixtureHigh) || !strings.Contains(line, "at or above HIGH") || !strings.Contains(line, "kfp-metadata-writer linux/amd64") {
		t.Fatalf("scan at HIGH: error line %q, want it to name %s at or above HIGH", line, fixtureHigh)
	}
	t.Logf("e2e: scan cold (DB downloaded): %s: %s", cold.elapsed.Round(time.Millisecond), line)

	// The same image passes at CRITICAL.
	warm := s.scan(t, "--image=metadata-writer", "--severity=CRITICAL")
	warm.mustSucceed(t)
	t.Logf("e2e: scan warm (tool image cached; the DB is fetched again through the tunnel): %s", warm.elapsed.Round(time.Millisecond))

	// The reports, returned although the finding is there.
	dir := t.TempDir()
	s.scan(t, "--image=metadata-writer", "--severity=HIGH", "--fail-on-findings=false", "export", "--path="+dir).mustSucceed(t)
	js, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := vulnscan.ParseTrivyJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	found := rep.AtOrAbove(vulnscan.High, false)
	if len(found) == 0 || found[0].ID != fixtureHigh || !strings.HasPrefix(found[0].Installed, "3.11.2-6+deb12u") {
		t.Errorf("report.json findings at HIGH: %+v", found)
	}
	if !strings.HasPrefix(rep.OS, "debian 12") {
		t.Errorf("report.json OS %q, want debian 12", rep.OS)
	}
	sarif, err := os.ReadFile(filepath.Join(dir, "report.sarif"))
	if err != nil {
		t.Fatal(err)
	}
	if err := vulnscan.CheckSARIF(sarif, fixtureHigh); err != nil {
		t.Errorf("report.sarif: %v", err)
	}
	table, err := os.ReadFile(filepath.Join(dir, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(table), fixtureHigh) || !strings.Contains(string(table), "python3.11") {
		t.Errorf("report.txt does not list %s in python3.11:\n%s", fixtureHigh, table)
	}

	// A Debian image without python passes at HIGH.
	s.scan(t, "--image=metadata-envoy", "--severity=HIGH").mustSucceed(t)

	// At LOW the unfixed zlib advisory counts, unless --ignore-unfixed.
	low := errorLine(s.scan(t, "--image=metadata-envoy", "--severity=low").mustFail(t))
	if !strings.Contains(low, fixtureLow) || !strings.Contains(low, "no fix yet") {
		t.Errorf("scan at LOW: error line %q, want %s (no fix yet)", low, fixtureLow)
	}
	s.scan(t, "--image=metadata-envoy", "--severity=LOW", "--ignore-unfixed").mustSucceed(t)
}

// TestScanBadInput checks the errors for an unknown severity, a DB that is
// not there and a Trivy image that is not there: each fails the call with a
// clear line, never a silent pass.
func TestScanBadInput(t *testing.T) {
	s := requireScanEnv(t)
	line := errorLine(s.scan(t, "--image=metadata-envoy", "--severity=SEVERE").mustFail(t))
	if !strings.Contains(line, `invalid argument "SEVERE" for "--severity" flag: value should be one of CRITICAL,HIGH,LOW,MEDIUM`) {
		t.Errorf("unknown severity: error line %q", line)
	}
	missing := s.dbHost + "/kfp-e2e/no-such-db:2"
	_, port, _ := strings.Cut(s.dbHost, ":")
	r := s.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, trivyImage(s.mirror),
		[]string{"--db-repository=" + missing, "--db-registry=tcp://localhost:" + port, "scan", "--image=metadata-envoy"})...)
	line = errorLine(r.mustFail(t))
	if !strings.Contains(line, "vulnerability DB "+missing+" could not be downloaded") {
		t.Errorf("missing DB: error line %q, want it to say the DB could not be downloaded", line)
	}
	t.Logf("e2e: missing DB: %s", line)

	// A Trivy image the registry does not hold is named as such (the
	// module's default, pinned by digest, is one here).
	absent := s.mirror + "/aquasec/trivy:0.0.0-absent"
	line = errorLine(s.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, s.scanArgs,
		[]string{"with-trivy", "--image=" + absent, "scan", "--image=metadata-envoy"})...).mustFail(t)) // the fixture DB, another image
	if !strings.HasPrefix(line, "Error: trivy image "+absent+": ") {
		t.Errorf("absent Trivy image: error line %q, want it to name the image", line)
	}
}

// TestScanAllReportsWhy scans a python and a Debian image in one call: the
// call fails, and its report names the blocked image and the finding.
func TestScanAllReportsWhy(t *testing.T) {
	s := requireScanEnv(t)
	r := s.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, s.scanArgs, []string{"scan-all",
		"--images=metadata-writer,metadata-envoy", "--platforms=linux/amd64"})...)
	stderr := r.mustFail(t)
	for _, want := range []string{
		"| kfp-metadata-writer | linux/amd64 | blocked | 4 |", // four python3.11 binary packages
		"| kfp-metadata-envoy | linux/amd64 | passed | 0 |",
		"- kfp-metadata-writer linux/amd64: 1 vulnerability at or above HIGH: " + fixtureHigh,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("scan-all output lacks %q:\n%s", want, tail(stderr, 30))
		}
	}
	t.Logf("e2e: scan-all of 2 images: %s", r.elapsed.Round(time.Millisecond))
}

// TestSbomListsPackages writes the SBOM of a python image in both formats
// and finds python3.11 in each.
func TestSbomListsPackages(t *testing.T) {
	e := requireEnv(t)
	mirror := requireToolImages(t)
	// the CLI takes the enum's names, in any case
	for _, f := range []string{"SPDX_JSON", "cyclonedx_json"} {
		path := filepath.Join(t.TempDir(), "sbom.json")
		e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, trivyImage(mirror),
			[]string{"sbom", "--image=metadata-writer", "--format=" + f, "export", "--path=" + path})...).mustSucceed(t)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		kind, pkgs, err := vulnscan.SBOMPackages(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want := strings.TrimSuffix(strings.ToLower(f), "_json"); kind != want {
			t.Errorf("--format=%s wrote a %s document", f, kind)
		}
		var hit *vulnscan.Package
		for i := range pkgs {
			if pkgs[i].Name == "python3.11" {
				hit = &pkgs[i]
			}
		}
		if hit == nil || !strings.HasPrefix(hit.Version, "3.11.2-6") {
			t.Errorf("%s SBOM (%d packages) does not list python3.11 3.11.2-6…: %+v", f, len(pkgs), hit)
			continue
		}
		t.Logf("e2e: %s SBOM lists %d packages, python3.11 %s (%s)", f, len(pkgs), hit.Version, hit.PURL)
	}
	line := errorLine(e.dagger(t, "sbom", "--image=metadata-writer", "--format=spdx").mustFail(t))
	if !strings.Contains(line, `invalid argument "spdx" for "--format" flag: value should be one of CYCLONEDX_JSON,SPDX_JSON`) {
		t.Errorf("bad format: error line %q", line)
	}
}

// TestSignVerifyAndAttachSbom publishes a sample image to the htpasswd
// registry, signs it with a cosign key, verifies it with the right and with
// another public key, then attaches its SBOM where `cosign download sbom`
// looks (tag sha256-<manifest digest>.sbom).
func TestSignVerifyAndAttachSbom(t *testing.T) {
	e := requireEnv(t)
	mirror := requireToolImages(t)
	cosign := slices.Concat(e.access(), cosignWith(mirror))

	keys, other := t.TempDir(), t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "key-password")
	if err := os.WriteFile(pwFile, []byte("e2e-key-password"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.dagger(t, slices.Concat(cosignWith(mirror), []string{"key-pair", "--password=file:" + pwFile, "export", "--path=" + keys})...).mustSucceed(t)
	e.dagger(t, slices.Concat(cosignWith(mirror), []string{"key-pair", "export", "--path=" + other})...).mustSucceed(t)
	for _, f := range []string{filepath.Join(keys, "cosign.key"), filepath.Join(keys, "cosign.pub"), filepath.Join(other, "cosign.pub")} {
		if b, err := os.ReadFile(f); err != nil || !bytes.Contains(b, []byte("-----BEGIN")) {
			t.Fatalf("%s: %v %.40q", f, err, b)
		}
	}

	repo := e.uniqueRepo("sign")
	pushed := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit, "--source-date-epoch=1700000000"}, e.access(),
		[]string{"publish", "--image=metadata-writer", "--registry=" + repo, "--smoke=false"})...).mustSucceed(t)
	_, digest, _ := strings.Cut(pushed, "@")

	tagRef := repo + "/kfp-metadata-writer:master"
	signed := e.dagger(t, slices.Concat(cosign, []string{"with-signing-key", "--key=file:" + filepath.Join(keys, "cosign.key"),
		"--password=file:" + pwFile, "sign", "--ref=" + tagRef})...)
	out := signed.mustSucceed(t)
	if want := repo + "/kfp-metadata-writer@" + digest; out != want {
		t.Errorf("sign printed %q, want %q", out, want)
	}
	t.Logf("e2e: signed %s in %s", out, signed.elapsed.Round(time.Millisecond))

	ok := e.dagger(t, slices.Concat(cosign, []string{"verify", "--ref=" + tagRef, "--public-key=" + filepath.Join(keys, "cosign.pub")})...).mustSucceed(t)
	if !strings.Contains(ok, digest) {
		t.Errorf("verify output does not name the digest %s:\n%s", digest, ok)
	}
	bad := errorLine(e.dagger(t, slices.Concat(cosign, []string{"verify", "--ref=" + tagRef, "--public-key=" + filepath.Join(other, "cosign.pub")})...).mustFail(t))
	if !strings.Contains(bad, "no signature matches the given key or identity") {
		t.Errorf("verify with another key: error line %q", bad)
	}
	t.Logf("e2e: verify with another key: %s", bad)

	// SBOM attachment, as publish does after pushing.
	att := e.dagger(t, slices.Concat(cosign, trivyImage(mirror), []string{"attach-sbom", "--ref=" + pushed})...)
	lines := strings.Fields(att.mustSucceed(t))
	if len(lines) != 2 || lines[0] != "linux/amd64" || !strings.Contains(lines[1], ":sha256-") || !strings.HasSuffix(lines[1], ".sbom") {
		t.Fatalf("attach-sbom printed %q, want linux/amd64 and the .sbom tag", lines)
	}
	mt, b, err := readSBOMAttachment(e, lines[1])
	if err != nil {
		t.Fatal(err)
	}
	kind, pkgs, err := vulnscan.SBOMPackages(b)
	if err != nil || kind != "spdx" || mt != "text/spdx+json" {
		t.Fatalf("SBOM attachment: media type %s, %s, %v", mt, kind, err)
	}
	hasPython := false
	for _, p := range pkgs {
		hasPython = hasPython || p.Name == "python3.11"
	}
	if !hasPython {
		t.Errorf("attached SBOM (%d packages) does not list python3.11", len(pkgs))
	}
	t.Logf("e2e: SBOM attached as %s (%s, %d packages)", lines[1], mt, len(pkgs))

	// A digest the registry does not hold: a clear error, nothing attached.
	absent := strings.SplitN(pushed, "@", 2)[0] + "@sha256:" + strings.Repeat("0", 64)
	line := errorLine(e.dagger(t, slices.Concat(cosign, trivyImage(mirror), []string{"attach-sbom", "--ref=" + absent})...).mustFail(t))
	if !strings.Contains(line, "not found in registry") {
		t.Errorf("attach-sbom of an absent digest: %q, want not found", line)
	}
	t.Logf("e2e: attach-sbom of an absent digest: %s", line)

	// A multi-platform image: one SBOM per platform manifest of the index,
	// found the way `cosign download sbom --platform` finds it.
	envoy := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit, "--source-date-epoch=1700000000"}, e.access(),
		[]string{"publish", "--image=metadata-envoy", "--registry=" + repo, "--smoke=false"})...).mustSucceed(t)
	att = e.dagger(t, slices.Concat(cosign, trivyImage(mirror), []string{"attach-sbom", "--ref=" + envoy, "--format=CYCLONEDX_JSON"})...)
	lines = strings.Fields(att.mustSucceed(t))
	if len(lines) != 4 || lines[0] != "linux/amd64" || lines[2] != "linux/arm64" {
		t.Fatalf("attach-sbom of a two-platform index printed %q", lines)
	}
	idx, err := remote.Index(parseRef(t, envoy), e.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue
		}
		p := m.Platform.OS + "/" + m.Platform.Architecture
		tag := repo + "/kfp-metadata-envoy:" + strings.Replace(m.Digest.String(), ":", "-", 1) + ".sbom"
		want := p + " " + tag
		if got := strings.Join(lines, " "); !strings.Contains(got, want) {
			t.Errorf("attach-sbom output %q lacks %q", got, want)
		}
		_, b, err := readSBOMAttachment(e, tag)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		kind, pkgs, err := vulnscan.SBOMPackages(b)
		arch := ""
		for _, pk := range pkgs {
			if pk.Name == "libc6" {
				arch = pk.PURL
			}
		}
		if err != nil || kind != "cyclonedx" || !strings.Contains(arch, "arch="+m.Platform.Architecture) {
			t.Errorf("%s SBOM: %s, libc6 purl %q, %v; want the %s libc6", p, kind, arch, err, m.Platform.Architecture)
		}
	}
	downloadWithHostCosign(t, e, envoy)
}

// readSBOMAttachment reads the one-layer image cosign attached as tag and
// returns its layer's media type and bytes.
func readSBOMAttachment(e env, tag string) (string, []byte, error) {
	ref, err := name.ParseReference(tag)
	if err != nil {
		return "", nil, err
	}
	img, err := remote.Image(ref, e.remoteOpts()...)
	if err != nil {
		return "", nil, fmt.Errorf("read the SBOM attachment %s: %w", tag, err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		return "", nil, fmt.Errorf("SBOM attachment %s has %d layers: %v", tag, len(layers), err)
	}
	mt, err := layers[0].MediaType()
	if err != nil {
		return "", nil, err
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(mt), b, err
}

// downloadWithHostCosign runs `cosign download sbom --platform linux/arm64`
// with the cosign binary hack/tool-images.sh built, when it is there.
func downloadWithHostCosign(t *testing.T, e env, ref string) {
	t.Helper()
	cache := os.Getenv("KFP_DAGGER_CACHE")
	if cache == "" {
		cache = "/var/cache/kfp-dagger"
	}
	bin := filepath.Join(cache, "tools", "cosign-v3.1.3", "cosign")
	if _, err := os.Stat(bin); err != nil {
		t.Logf("e2e: %s not built; cosign download sbom not run", bin)
		return
	}
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(e.username + ":" + e.password))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"auths":{"`+e.registry+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "download", "sbom", "--platform", "linux/arm64", "--allow-insecure-registry", "--allow-http-registry", ref)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg, "HOME="+cfg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("cosign download sbom --platform linux/arm64 %s: %v\n%s", ref, err, errb.String())
	}
	kind, pkgs, err := vulnscan.SBOMPackages(out.Bytes())
	if err != nil || kind != "cyclonedx" || len(pkgs) == 0 {
		t.Errorf("cosign download sbom: %s, %d packages, %v", kind, len(pkgs), err)
	}
	t.Logf("e2e: cosign download sbom --platform linux/arm64 found a %s SBOM with %d packages", kind, len(pkgs))
}

// TestPublishAllScanGate publishes a python and a Debian image with --scan
// and --sbom. The python image holds the HIGH fixture, so the release is
// blocked: the report says why for it, the other image is verified but not
// promoted, and no tag moves for either. Published alone, the Debian image
// is promoted with one SBOM per platform, from the digests already staged.
func TestPublishAllScanGate(t *testing.T) {
	s := requireScanEnv(t)
	if help := s.dagger(t, "publish-all", "--help"); !strings.Contains(help.stdout+help.stderr, "--scan") {
		t.Fatal("publish-all has no --scan flag: the scan gate is not hooked into publish (scanCheck, attachSBOMs)")
	}
	mirror := os.Getenv("KFP_MIRROR")
	repo := s.uniqueRepo("gate")
	publish := func(images string) result {
		return s.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, s.access(), cosignWith(mirror), s.scanArgs,
			[]string{"publish-all", "--images=" + images, "--registry=" + repo, "--format=json", "--scan", "--sbom", "--smoke=false"})...)
	}
	r := publish("metadata-writer,metadata-envoy")
	stderr := r.mustFail(t)
	// the report follows the error line
	i := strings.LastIndex(stderr, "\nError: ")
	j := strings.LastIndex(stderr, "\n}")
	if i < 0 || j < i || !strings.Contains(stderr[i:], "\n{") {
		t.Fatalf("no report after the error line:\n%s", tail(stderr, 30))
	}
	rep := parseReport(t, stderr[i+strings.Index(stderr[i:], "\n{")+1:j+2])
	if len(rep.Results) != 2 {
		t.Fatalf("report has %d results, want 2: %+v", len(rep.Results), rep.Results)
	}
	for _, res := range rep.Results {
		switch res.Image {
		case "kfp-metadata-writer":
			if res.Status != "failed" || !strings.Contains(res.Error, "not promoted") || !strings.Contains(res.Error, fixtureHigh) {
				t.Errorf("metadata-writer: %s: %q, want not promoted because of %s", res.Status, res.Error, fixtureHigh)
			}
		case "kfp-metadata-envoy":
			if res.Status != "skipped" || !strings.Contains(res.Error, "not promoted") {
				t.Errorf("metadata-envoy: %s: %q, want verified but not promoted", res.Status, res.Error)
			}
		}
		for _, tag := range []string{"master", testCommit} {
			if _, err := remote.Head(parseRef(t, repo+"/"+res.Image+":"+tag), s.remoteOpts()...); err == nil {
				t.Errorf("%s:%s was tagged although the release failed its scan gate", res.Image, tag)
			}
		}
	}
	t.Logf("e2e: publish-all --scan --sbom of 2 images, blocked: %s", r.elapsed.Round(time.Millisecond))

	r = publish("metadata-envoy")
	rep = parseReport(t, r.mustSucceed(t))
	if len(rep.Results) != 1 || rep.Results[0].Status != "published" {
		t.Fatalf("metadata-envoy alone: %+v", rep.Results)
	}
	idx, err := remote.Index(parseRef(t, rep.Results[0].References[0]), s.remoteOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	sboms := 0
	for _, m := range im.Manifests {
		tag := repo + "/kfp-metadata-envoy:" + strings.Replace(m.Digest.String(), ":", "-", 1) + ".sbom"
		if _, err := remote.Head(parseRef(t, tag), s.remoteOpts()...); err != nil {
			t.Errorf("%s/%s: no SBOM at %s: %v", m.Platform.OS, m.Platform.Architecture, tag, err)
			continue
		}
		sboms++
	}
	if sboms != 2 {
		t.Errorf("%d SBOMs attached, want one per platform (2)", sboms)
	}
	t.Logf("e2e: publish-all --scan --sbom of metadata-envoy, staged before: %s, %d SBOMs", r.elapsed.Round(time.Millisecond), sboms)
}
