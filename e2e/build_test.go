package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kfp-dagger/kfp-dagger/internal/report"
)

// parseReport reads a build-all or publish-all JSON report.
func parseReport(t *testing.T, out string) report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return r
}

// TestBuildAllSampleAMD64 builds every image of the sample tree for
// linux/amd64 and runs each one's --version smoke command.
func TestBuildAllSampleAMD64(t *testing.T) {
	e := requireEnv(t)
	out := e.dagger(t, slices.Concat([]string{"--commit=" + testCommit}, e.auth(), []string{"build-all", "--platforms=linux/amd64",
		"--smoke", "--concurrency=2", "--format=json", "--registry=" + e.uniqueRepo("staging")})...).mustSucceed(t)
	r := parseReport(t, out)
	seen := map[string]bool{}
	for _, res := range r.Results {
		if res.Status != "built" {
			t.Errorf("%s %v: status %s: %s", res.Image, res.Platforms, res.Status, res.Error)
		}
		seen[res.Image] = true
		t.Logf("e2e: built %s %v in %s", res.Image, res.Platforms, res.Duration.Round(100*time.Millisecond))
	}
	if len(seen) != 15 {
		t.Errorf("built %d images, want all 15: %v", len(seen), seen)
	}
}

// TestBuildAllSampleARM64 builds one Go, one Node and one Python image for
// linux/arm64 under qemu and checks each reports arm64 at run time.
func TestBuildAllSampleARM64(t *testing.T) {
	e := requireEnv(t)
	out := e.dagger(t, "--commit="+testCommit, "build-all", "--platforms=linux/arm64", "--smoke",
		"--images=driver,frontend,visualization-server", "--format=json").mustSucceed(t)
	r := parseReport(t, out)
	if len(r.Results) != 3 {
		t.Fatalf("got %d results, want 3: %+v", len(r.Results), r.Results)
	}
	for _, res := range r.Results {
		if res.Status != "built" || len(res.Platforms) != 1 || res.Platforms[0] != "linux/arm64" {
			t.Errorf("%s: %s %v: %s", res.Image, res.Status, res.Platforms, res.Error)
		}
		t.Logf("e2e: built %s linux/arm64 in %s", res.Image, res.Duration.Round(100*time.Millisecond))
	}
}

// TestBuildSmokeReportsArchitecture runs a built container through the CLI
// chain build … with-exec … stdout for both platforms.
func TestBuildSmokeReportsArchitecture(t *testing.T) {
	e := requireEnv(t)
	for _, arch := range []string{"amd64", "arm64"} {
		out := e.dagger(t, "--commit="+testCommit, "build", "--image=driver", "--platform=linux/"+arch,
			"with-exec", "--args=--version", "--use-entrypoint", "stdout").mustSucceed(t)
		if !strings.Contains(out, "arch="+arch) || !strings.HasPrefix(out, "kfp-driver") {
			t.Errorf("linux/%s: --version printed %q", arch, out)
		}
	}
}

// TestBadInputFailsWithOneClearLine checks each kind of bad input gives a
// non-zero exit and an error line naming the problem.
func TestBadInputFailsWithOneClearLine(t *testing.T) {
	e := requireEnv(t)
	noDockerfile := t.TempDir()
	if err := os.WriteFile(filepath.Join(noDockerfile, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown image", []string{"build", "--image=kfp-nope"}, `unknown image "kfp-nope"; valid images: kfp-api-server (apiserver)`},
		{"bad platform", []string{"build", "--image=driver", "--platform=linux/s390x"}, `invalid platform "linux/s390x"`},
		{"platform not shipped", []string{"build", "--image=metadata-writer", "--platform=linux/arm64"}, "kfp-metadata-writer does not ship linux/arm64"},
		{"missing Dockerfile", []string{"--source=" + noDockerfile, "build", "--image=driver"}, "Dockerfile backend/Dockerfile.driver not found in the source"},
		{"zero concurrency", []string{"build-all", "--concurrency=0"}, "invalid concurrency 0"},
		{"bad commit", []string{"--commit=abc", "images"}, `invalid commit "abc"`},
		{"bad registry", []string{"--commit=" + testCommit, "plan", "--registry=Not A Registry"}, "registry"},
		{"bad version", []string{"--commit=" + testCommit, "--version=v2.0", "plan"}, "v2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stderr := e.dagger(t, tc.args...).mustFail(t)
			line := errorLine(stderr)
			if !strings.Contains(line, tc.want) {
				t.Errorf("error line %q does not contain %q", line, tc.want)
			}
		})
	}
}

// errorLine returns the CLI's final "Error: …" line.
func errorLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Error: ") {
			return lines[i]
		}
	}
	return ""
}
