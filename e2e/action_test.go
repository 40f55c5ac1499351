package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// action is the CI entry point (cmd/kfp-dagger-action), built once per
// test, run as a GitHub Actions step would run it.
type action struct {
	e   env
	bin string
}

func buildAction(t *testing.T, e env) action {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kfp-dagger-action")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kfp-dagger-action")
	cmd.Dir = e.repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the entry point: %v\n%s", err, out)
	}
	return action{e: e, bin: bin}
}

// step is what one run of the entry point left: its output, the outputs it
// set and the step summary.
type step struct {
	stdout, stderr, summary, outputFile string
	outputs                             map[string]string
	err                                 error
}

// run runs the entry point for a push of ref (a GitHub push event) with
// the given inputs, the registry password among them, in the repository
// root, as a workflow step.
func (a action) run(t *testing.T, ref string, inputs map[string]string) step {
	t.Helper()
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	payload, _ := json.Marshal(map[string]any{"ref": ref, "after": testCommit, "deleted": false, "created": false})
	if err := os.WriteFile(event, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	s := step{outputFile: filepath.Join(dir, "output")}
	summary := filepath.Join(dir, "summary")
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "GITHUB_") && !strings.HasPrefix(k, "INPUT_") && !strings.HasPrefix(k, "KFP_") && k != "GITLAB_CI" {
			env = append(env, kv)
		}
	}
	env = append(env, "GITHUB_ACTIONS=true", "GITHUB_ACTOR=octocat", "GITHUB_EVENT_NAME=push", "GITHUB_EVENT_PATH="+event,
		"GITHUB_REF="+ref, "GITHUB_SHA="+testCommit, "GITHUB_OUTPUT="+s.outputFile, "GITHUB_STEP_SUMMARY="+summary,
		"INPUT_SOURCE=sample", "INPUT_USERNAME="+a.e.username, "INPUT_PASSWORD="+a.e.password)
	_, port, _ := strings.Cut(a.e.registry, ":")
	env = append(env, "INPUT_REGISTRY-TUNNEL=tcp://localhost:"+port)
	for k, v := range inputs {
		env = append(env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin)
	cmd.Dir, cmd.Env = a.e.repoRoot, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	s.err = cmd.Run()
	t.Logf("e2e: entry point %s %v (%s, err=%v)", ref, inputs, time.Since(start).Round(time.Millisecond), s.err)
	s.stdout, s.stderr = out.String(), errb.String()
	data, _ := os.ReadFile(summary)
	s.summary = string(data)
	data, _ = os.ReadFile(s.outputFile)
	s.outputs = parseGitHubOutputs(t, string(data))
	// The one place it may appear is the runner's own ::add-mask:: command,
	// which the runner consumes and never shows.
	stdout := strings.Replace(s.stdout, "::add-mask::"+a.e.password+"\n", "", 1)
	for what, text := range map[string]string{"stdout": stdout, "stderr": s.stderr, "summary": s.summary, "outputs": string(data)} {
		if strings.Contains(text, a.e.password) {
			t.Errorf("the registry password is in the step's %s", what)
		}
	}
	if s.err != nil {
		t.Fatalf("entry point failed: %v\nstdout:\n%s\nstderr (tail):\n%s", s.err, tail(s.stdout, 20), tail(s.stderr, 40))
	}
	return s
}

// parseGitHubOutputs reads a GITHUB_OUTPUT file as the runner does.
func parseGitHubOutputs(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			if lines[i] != "" {
				t.Fatalf("GITHUB_OUTPUT line %q is not a heredoc", lines[i])
			}
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// checkDigestOutputs holds the digest outputs of a step against what the
// registry holds under tag, and returns the index's children.
func checkDigestOutputs(t *testing.T, e env, s step, repo, image, tag string) []string {
	t.Helper()
	desc, err := remote.Get(parseRef(t, repo+"/"+image+":"+tag), e.remoteOpts()...)
	if err != nil {
		t.Fatalf("%s:%s: %v", image, tag, err)
	}
	var digests map[string]string
	if err := json.Unmarshal([]byte(s.outputs["digests"]), &digests); err != nil {
		t.Fatalf("digests output %q: %v", s.outputs["digests"], err)
	}
	if digests[image] != desc.Digest.String() || s.outputs["digest-"+image] != desc.Digest.String() {
		t.Errorf("outputs digests=%s digest-%s=%s; the registry holds %s", s.outputs["digests"], image, s.outputs["digest-"+image], desc.Digest)
	}
	var subjects []struct{ Name, Digest string }
	if err := json.Unmarshal([]byte(s.outputs["subjects"]), &subjects); err != nil || len(subjects) != 1 ||
		subjects[0].Name != repo+"/"+image || subjects[0].Digest != desc.Digest.String() {
		t.Errorf("subjects output %q (%v), want [{%s/%s %s}]", s.outputs["subjects"], err, repo, image, desc.Digest)
	}
	_, im := readIndex(t, desc)
	var children []string
	for _, m := range im.Manifests {
		children = append(children, m.Digest.String())
	}
	slices.Sort(children)
	return children
}

// TestActionPushToMaster runs the entry point as a GitHub step for a push to
// master (command auto): it publishes through stage, verify and promote,
// its outputs name the digest the registry holds, the step summary has the
// image's row, and the token is in none of its output.
func TestActionPushToMaster(t *testing.T) {
	e := requireEnv(t)
	a := buildAction(t, e)
	repo := e.uniqueRepo("action")
	s := a.run(t, "refs/heads/master", map[string]string{"registry": repo, "images": "metadata-envoy"})
	if s.outputs["version"] != "master" || s.outputs["tags"] != "master,"+testCommit {
		t.Errorf("outputs version=%q tags=%q, want master and master,%s", s.outputs["version"], s.outputs["tags"], testCommit)
	}
	if children := checkDigestOutputs(t, e, s, repo, "kfp-metadata-envoy", "master"); len(children) != 2 {
		t.Errorf("index children %v, want two platforms", children)
	}
	if !strings.Contains(s.summary, "kfp-metadata-envoy") || !strings.Contains(s.summary, "published") {
		t.Errorf("step summary lacks the image's row:\n%s", s.summary)
	}
}

// TestActionStageJobsThenPromote runs the entry point as the publish
// workflow does for a release tag: two stage jobs, one per platform, each
// leaving its records, then the release job promoting both: one index with
// both staged children under the release tag, and outputs that name it.
func TestActionStageJobsThenPromote(t *testing.T) {
	e := requireEnv(t)
	a := buildAction(t, e)
	repo := e.uniqueRepo("action-stage")
	version := uniqueVersion("2.98")
	ref := "refs/tags/" + version
	dir := t.TempDir()
	var records, staged []string
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		recDir := filepath.Join(dir, strings.ReplaceAll(p, "/", "-"))
		s := a.run(t, ref, map[string]string{"command": "stage", "registry": repo, "images": "metadata-envoy",
			"platforms": p, "records-dir": recDir})
		if s.outputs["records"] != filepath.Join(recDir, "records.json") {
			t.Fatalf("records output %q, want %s", s.outputs["records"], filepath.Join(recDir, "records.json"))
		}
		recs := readRecords(t, s.outputs["records"])
		if len(recs) != 1 || len(recs[0].Platforms) != 1 || recs[0].Platforms[0].Platform != p {
			t.Fatalf("stage %s records: %+v", p, recs)
		}
		if !strings.Contains(s.summary, "kfp-metadata-envoy") {
			t.Errorf("stage summary lacks the image:\n%s", s.summary)
		}
		records = append(records, s.outputs["records"])
		staged = append(staged, recs[0].Platforms[0].Digest.String())
	}
	if _, err := remote.Head(parseRef(t, repo+"/kfp-metadata-envoy:"+version), e.remoteOpts()...); err == nil {
		t.Fatalf("%s exists after the stage jobs, before promote", version)
	}
	s := a.run(t, ref, map[string]string{"command": "promote", "registry": repo, "records": strings.Join(records, ",")})
	slices.Sort(staged)
	if children := checkDigestOutputs(t, e, s, repo, "kfp-metadata-envoy", version); !slices.Equal(children, staged) {
		t.Errorf("index children %v, want the staged %v", children, staged)
	}
	if s.outputs["tags"] != version+","+testCommit {
		t.Errorf("tags output %q, want %s,%s", s.outputs["tags"], version, testCommit)
	}
}
