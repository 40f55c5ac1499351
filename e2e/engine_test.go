package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// engineScript runs hack/engine.sh with a state folder of its own and a
// network name no engine uses, so it never touches the running environment.
func engineScript(t *testing.T, home string, args ...string) (string, time.Duration, error) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "hack", "engine.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "KFP_DAGGER_HOME="+home, "KFP_ENGINE_NETWORK=kfpe2e", "KFP_ENGINE_CIDR=10.251.0.0/16")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	return string(out), time.Since(start), err
}

// TestEngineStatusOnAFreshMachine: status only reads, so with no state at all
// it answers at once, non-zero, and writes nothing.
func TestEngineStatusOnAFreshMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hack/engine.sh: skipped with -short")
	}
	home := filepath.Join(t.TempDir(), "never-set-up")
	out, took, err := engineScript(t, home, "status")
	if err == nil {
		t.Fatalf("status with no state succeeded:\n%s", out)
	}
	if took > 2*time.Second {
		t.Errorf("status with no state took %s, want under 2 s", took)
	}
	if !strings.Contains(out, "not set up: run hack/engine.sh up") {
		t.Errorf("status output %q does not say it is not set up", out)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("status created %s (err=%v)", home, err)
	}
	t.Logf("e2e: status with no state: exit non-zero in %s: %s", took.Round(time.Millisecond), strings.TrimSpace(out))
}

// TestEngineDownLeavesOthersAlone: a stale PID file whose number now belongs
// to another program never makes down kill it.
func TestEngineDownLeavesOthersAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hack/engine.sh: skipped with -short")
	}
	other := exec.Command("sleep", "120")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	home := t.TempDir()
	run := filepath.Join(home, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(other.Process.Pid)
	for _, f := range []string{"engine.pid", "registry.pid", "mirror.pid"} {
		if err := os.WriteFile(filepath.Join(run, f), []byte(pid+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := engineScript(t, home, "down")
	if err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	if perr := other.Process.Signal(syscall.Signal(0)); perr != nil {
		t.Fatalf("down killed pid %s, which a stale PID file named: %v\n%s", pid, perr, out)
	}
	if !strings.Contains(out, "stale engine PID file: pid "+pid) {
		t.Errorf("down did not say the engine PID file was stale:\n%s", out)
	}
	for _, f := range []string{"engine.pid", "registry.pid", "mirror.pid"} {
		if _, err := os.Stat(filepath.Join(run, f)); !os.IsNotExist(err) {
			t.Errorf("stale %s left in place (err=%v)", f, err)
		}
	}
	if !strings.Contains(out, "left in place: the binfmt_misc entry qemu-aarch64") {
		t.Errorf("down does not say what it leaves:\n%s", out)
	}
}

// TestMirrorIsReadOnly: once seeded, the docker.io mirror refuses every
// write, and the publish registry's password is readable by root alone.
func TestMirrorIsReadOnly(t *testing.T) {
	e := requireEnv(t)
	mirror := os.Getenv("KFP_MIRROR")
	if mirror == "" {
		t.Fatal("KFP_MIRROR must be set: eval \"$(hack/engine.sh env)\"")
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref := parseRef(t, mirror+"/kfp-e2e/must-not-land:1")
	if err := remote.Write(ref, img, remote.WithAuth(authn.Anonymous)); err == nil {
		t.Fatalf("push to the mirror %s succeeded; it must be read-only once seeded", ref)
	} else {
		t.Logf("e2e: push to the mirror refused: %v", err)
	}
	if _, err := remote.Head(ref); err == nil {
		t.Errorf("%s exists after a refused push", ref)
	}
	for path, want := range map[string]os.FileMode{e.passwordFile: 0o600, filepath.Dir(e.passwordFile): 0o700 | os.ModeDir} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %s, want %s", path, fi.Mode(), want)
		}
	}
}

// firewallDeletions runs hack/engine-firewall.py on an iptables-save dump.
func firewallDeletions(t *testing.T, save string) []string {
	t.Helper()
	cmd := exec.Command("python3", filepath.Join("..", "hack", "engine-firewall.py"), "kfpdag", "10.88.0.0/16")
	cmd.Stdin = strings.NewReader(save)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("engine-firewall.py: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestEngineFirewallRules: down deletes exactly the rules and chains of the
// engine's network (hack/engine-firewall.py), read from a real dump of this
// machine's nft tables while the engine ran, with another CNI network beside it.
func TestEngineFirewallRules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "iptables-save.txt"))
	if err != nil {
		t.Fatal(err)
	}
	save := string(data)
	got := firewallDeletions(t, save)
	joined := strings.Join(got, "\n")
	for _, l := range strings.Split(save, "\n") {
		rule, ok := strings.CutPrefix(l, "-A ")
		if !ok {
			continue
		}
		deleted := strings.Contains(joined, "-D "+rule)
		ours := strings.Contains(rule, `\"kfpdag\"`) || strings.Contains(rule, " 10.88.0.2/32 ") || strings.Contains(rule, " 10.88.0.3/32 ")
		if deleted != ours {
			t.Errorf("rule %q: deleted=%v, want %v", rule, deleted, ours)
		}
	}
	for _, chain := range []string{"CNI-2824cfd84f6519dae10f86e6", "CNI-93b176876a8e8a1687ffc51b"} {
		if !strings.Contains(joined, "-X "+chain) {
			t.Errorf("chain %s of the engine network is not removed", chain)
		}
	}
	for _, chain := range []string{"CNI-0123456789abcdef01234567", "CNI-FORWARD", "CNI-ADMIN"} {
		if strings.Contains(joined, "-X "+chain) {
			t.Errorf("chain %s, still used by another network, is removed", chain)
		}
	}

	// Without the other network, the shared chains and the FORWARD jump go too.
	var alone []string
	for _, l := range strings.Split(save, "\n") {
		if !strings.Contains(l, "10.89.") && !strings.Contains(l, "CNI-0123456789abcdef01234567") {
			alone = append(alone, l)
		}
	}
	joined = strings.Join(firewallDeletions(t, strings.Join(alone, "\n")), "\n")
	for _, want := range []string{"-X CNI-FORWARD", "-X CNI-ADMIN", `-D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD`} {
		if !strings.Contains(joined, want) {
			t.Errorf("with no other network, %q is missing from:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "-D INPUT") {
		t.Errorf("a rule for 10.88.0.0/15, wider than the engine's network, is deleted:\n%s", joined)
	}
}
