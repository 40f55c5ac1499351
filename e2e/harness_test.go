package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// env is what hack/engine.sh env exports, checked once per test.
type env struct {
	repoRoot     string
	registry     string // host:port of the htpasswd registry
	username     string
	passwordFile string
	password     string
}

// requireEnv skips under -short and otherwise fails the test unless the
// engine socket and the registry are there.
func requireEnv(t *testing.T) env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	return checkEnv(t)
}

// requireEnvB is requireEnv for benchmarks.
func requireEnvB(b *testing.B) env {
	b.Helper()
	return checkEnv(b)
}

// checkEnv fails tb unless the engine socket, the CLI and the registry are there.
func checkEnv(t testing.TB) env {
	t.Helper()
	host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	sock, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		t.Fatalf("_EXPERIMENTAL_DAGGER_RUNNER_HOST=%q: the engine is not set up; run hack/engine.sh up && eval \"$(hack/engine.sh env)\"", host)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("engine socket %s missing: run hack/engine.sh up", sock)
	}
	if _, err := exec.LookPath("dagger"); err != nil {
		t.Fatalf("dagger CLI not on PATH: eval \"$(hack/engine.sh env)\"")
	}
	e := env{
		registry:     os.Getenv("KFP_REGISTRY"),
		username:     os.Getenv("KFP_REGISTRY_USERNAME"),
		passwordFile: os.Getenv("KFP_REGISTRY_PASSWORD_FILE"),
	}
	if e.registry == "" || e.username == "" || e.passwordFile == "" {
		t.Fatalf("KFP_REGISTRY, KFP_REGISTRY_USERNAME and KFP_REGISTRY_PASSWORD_FILE must be set: eval \"$(hack/engine.sh env)\"")
	}
	pw, err := os.ReadFile(e.passwordFile)
	if err != nil {
		t.Fatalf("registry password: %v", err)
	}
	e.password = strings.TrimSpace(string(pw))
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	e.repoRoot = root
	return e
}

// result is one run of the dagger CLI.
type result struct {
	stdout, stderr string
	err            error
	elapsed        time.Duration
}

// dagger runs `dagger --progress=plain call ARGS` from the repository root.
func (e env) dagger(t *testing.T, args ...string) result {
	t.Helper()
	return e.run(t, args...)
}

// daggerB is dagger for benchmarks.
func (e env) daggerB(b *testing.B, args ...string) result {
	b.Helper()
	return e.run(b, args...)
}

func (e env) run(t testing.TB, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	full := append([]string{"--progress=plain", "call"}, args...)
	cmd := exec.CommandContext(ctx, "dagger", full...)
	cmd.Dir = e.repoRoot
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), err: err, elapsed: time.Since(start)}
	t.Logf("e2e: dagger %s (%s, err=%v)", strings.Join(args, " "), r.elapsed.Round(time.Millisecond), err)
	keepProgress(t, start, r.stderr)
	return r
}

// keepProgress writes a call's plain progress output to
// $KFP_E2E_PROGRESS_DIR/<test>-<start>.log when that variable is set, to see
// where a slow test spends its time.
func keepProgress(t testing.TB, start time.Time, stderr string) {
	dir := os.Getenv("KFP_E2E_PROGRESS_DIR")
	if dir == "" {
		return
	}
	name := strings.ReplaceAll(t.Name(), "/", "_") + "-" + start.Format("150405.000") + ".log"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(stderr), 0o600); err != nil {
		t.Logf("e2e: keep progress: %v", err)
	}
}

// mustSucceed fails the test with the CLI's output when the call failed.
func (r result) mustSucceed(t *testing.T) string {
	t.Helper()
	if r.err != nil {
		t.Fatalf("dagger call failed: %v\nstdout:\n%s\nstderr (tail):\n%s", r.err, r.stdout, tail(r.stderr, 60))
	}
	return strings.TrimSpace(r.stdout)
}

// mustFail fails the test when the call succeeded, and returns its stderr.
func (r result) mustFail(t *testing.T) string {
	t.Helper()
	if r.err == nil {
		t.Fatalf("dagger call succeeded, want failure\nstdout:\n%s", r.stdout)
	}
	return r.stderr
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// uniqueRepo returns a registry path no other test run has used.
func (e env) uniqueRepo(prefix string) string {
	return fmt.Sprintf("%s/%s-%d", e.registry, prefix, time.Now().UnixNano())
}

// readIndex reads the image index desc holds, and its manifest.
func readIndex(t *testing.T, desc *remote.Descriptor) (v1.ImageIndex, *v1.IndexManifest) {
	t.Helper()
	idx, err := desc.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return idx, im
}

// tunnelTo is the with-registry-tunnel call for a registry on the host's
// loopback at addr (host:port): module code reaches it only through a tunnel.
func tunnelTo(addr string) []string {
	return []string{"with-registry-tunnel", "--service=tcp://localhost:" + addr[strings.LastIndex(addr, ":")+1:]}
}

// tunnel is the with-registry-tunnel call for the test registry.
func (e env) tunnel() []string { return tunnelTo(e.registry) }

// authFor is the with-registry-auth call giving the test registry's
// credentials to the registry at addr (host:port: the test registry or a
// proxy in front of it).
func (e env) authFor(addr string) []string {
	return []string{"with-registry-auth", "--address=" + addr, "--username=" + e.username, "--secret=file:" + e.passwordFile}
}

// auth is the with-registry-auth call for the test registry.
func (e env) auth() []string { return e.authFor(e.registry) }

// access is auth and tunnel: what a call needs to reach the test registry.
func (e env) access() []string { return slices.Concat(e.auth(), e.tunnel()) }

// remoteOpts authenticates go-containerregistry to the test registry.
func (e env) remoteOpts() []remote.Option {
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: e.username, Password: e.password})}
}

func parseRef(t *testing.T, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatalf("parse %q: %v", ref, err)
	}
	return r
}

// uniqueVersion is a release version prefix.PATCH that no earlier run used.
// PATCH is a plain number: a clock's "090501" has the leading zero semver
// refuses, which failed the tests run between midnight and 10:00.
func uniqueVersion(prefix string) string {
	return fmt.Sprintf("%s.%d", prefix, time.Now().UnixMilli()%1_000_000_000)
}
