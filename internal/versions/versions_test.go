package versions

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

func TestParse(t *testing.T) {
	p, err := Parse([]byte("# comment\n\nA=1\nB_2=v0.1.2-rc.1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p["A"] != "1" || p["B_2"] != "v0.1.2-rc.1" || len(p) != 2 {
		t.Fatalf("Parse: %v", p)
	}
	for _, bad := range []string{"A = 1", `A="1"`, "A=$B", "lower=1", "A=1\nA=2", "export A=1"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
	if _, err := p.Get("MISSING"); err == nil || !strings.Contains(err.Error(), "has no MISSING") {
		t.Errorf("Get(MISSING): %v", err)
	}
}

// TestRepositoryAgreesWithVersions holds dagger.json, the workflows, the
// module's image references and the scripts against versions.env.
func TestRepositoryAgreesWithVersions(t *testing.T) {
	p, err := Load(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"DAGGER_VERSION", "TRIVY_VERSION", "TRIVY_IMAGE_DIGEST", "COSIGN_VERSION", "COSIGN_IMAGE_DIGEST", "GO_TOOLCHAIN_VERSION", "DEBIAN_SUITE"} {
		if _, err := p.Get(k); err != nil {
			t.Fatal(err)
		}
	}
	for _, problem := range check(t, repoRoot, p) {
		t.Error(problem)
	}
}

// TestCheckFindsDisagreements runs the same check on a small tree whose
// every pin is off, so the check above is known to fail when it should.
func TestCheckFindsDisagreements(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dagger.json", `{"engineVersion": "v0.20.0"}`)
	write(".github/workflows/ci.yml", "      - uses: ./.github/actions/setup-dagger\n        with:\n          version: \"0.20.0\"\n")
	write("ci/scan.go", "\t// +default=\"aquasec/trivy:0.60.0\"\n\t// +default=\"gcr.io/projectsigstore/cosign:v2.0.0\"\n\t// +default=\"quay.io/other/tool:1.0\"\n\t// +default=\"aquasec/trivy:0.74.0\"\n")
	write("ci/test.go", `dag.Container().From("golang:1.25-trixie")`)
	write("ci/attest.go", "const engineVersion = \"v0.21.7\"\n")
	write("hack/x.sh", "DAGGER_VERSION=v0.21.8\n")
	p := Pins{"DAGGER_VERSION": "v0.21.8", "TRIVY_VERSION": "v0.74.0", "COSIGN_VERSION": "v3.1.3", "TRIVY_IMAGE_DIGEST": "sha256:1111",
		"GO_TOOLCHAIN_VERSION": "go1.26.8", "DEBIAN_SUITE": "bookworm"}
	got := strings.Join(check(t, root, p), "\n")
	for _, want := range []string{
		`dagger.json: engineVersion "v0.20.0"`,
		`.github/workflows/ci.yml:3: dagger version "0.20.0"`,
		`ci/scan.go:1: "aquasec/trivy:0.60.0"`,
		`ci/scan.go:2: "gcr.io/projectsigstore/cosign:v2.0.0"`,
		`ci/scan.go:3: image reference "quay.io/other/tool:1.0" is not one versions.env pins`,
		`ci/scan.go:4: default "aquasec/trivy:0.74.0", want the pinned aquasec/trivy:0.74.0@sha256:1111`,
		`ci/test.go:1: "golang:1.25-trixie"`,
		`ci/attest.go:1: engineVersion "v0.21.7"`,
		`hack/x.sh:1: spells out v0.21.8 (DAGGER_VERSION)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check did not report %s; it reported:\n%s", want, got)
		}
	}
}

var (
	// workflowDaggerVersion matches the dagger CLI version a workflow,
	// action.yml or .gitlab-ci.yml asks for.
	workflowDaggerVersion = regexp.MustCompile(`^\s*(?:version|default|DAGGER_VERSION):\s*"?v?([0-9]+\.[0-9]+\.[0-9]+)"?\s*$`)
	// moduleDefault matches a +default value that names an image.
	moduleDefault = regexp.MustCompile(`\+default="([^"]*[/:][^"]*:[^"]+)"`)
	// toolRef matches a Trivy or cosign image reference anywhere in Go code.
	toolRef = regexp.MustCompile(`"((?:[a-z0-9.]+/)?(?:aquasec/trivy|projectsigstore/cosign):[^"]*)"`)
	// engineVersionConst matches the module's engineVersion constant, the
	// engine version its provenance records.
	engineVersionConst = regexp.MustCompile(`^\s*(?:const\s+)?engineVersion\s*=\s*"([^"]*)"`)
	// baseImage matches the base images the module runs tests in.
	baseImage = regexp.MustCompile(`"(golang:([0-9.]+)-([a-z]+)|python:[0-9.]+-slim-([a-z]+)|-([a-z]+)-slim)"`)
)

// check returns one line per place under root that disagrees with p.
func check(t *testing.T, root string, p Pins) []string {
	t.Helper()
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// dagger.json
	var dj struct {
		EngineVersion string `json:"engineVersion"`
	}
	data, err := os.ReadFile(filepath.Join(root, "dagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dj); err != nil {
		t.Fatalf("dagger.json: %v", err)
	}
	if dj.EngineVersion != p["DAGGER_VERSION"] {
		add("dagger.json: engineVersion %q, versions.env DAGGER_VERSION %q", dj.EngineVersion, p["DAGGER_VERSION"])
	}

	walk(t, root, func(rel string, lines []string) {
		switch {
		case strings.HasPrefix(rel, ".github/") && (strings.HasSuffix(rel, ".yml") || strings.HasSuffix(rel, ".yaml")) ||
			rel == "action.yml" || rel == ".gitlab-ci.yml":
			for i, l := range lines {
				if m := workflowDaggerVersion.FindStringSubmatch(l); m != nil && "v"+m[1] != p["DAGGER_VERSION"] {
					add("%s:%d: dagger version %q, versions.env DAGGER_VERSION %q", rel, i+1, m[1], p["DAGGER_VERSION"])
				}
			}
		case strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, ".gen.go") && !strings.HasPrefix(rel, "internal/versions/"):
			for i, l := range lines {
				checkGoLine(p, rel, i+1, l, add)
			}
		case strings.HasPrefix(rel, "hack/") && strings.HasSuffix(rel, ".sh") || rel == ".ci/run":
			for i, l := range lines {
				for k, v := range p {
					if strings.ContainsAny(v, "0123456789") && strings.Contains(l, v) {
						add("%s:%d: spells out %s (%s); source versions.env instead", rel, i+1, v, k)
					}
				}
			}
		}
	})
	return problems
}

func checkGoLine(p Pins, rel string, n int, l string, add func(string, ...any)) {
	trivy, cosign := p.TrivyImage(), p.CosignImage()
	for _, m := range toolRef.FindAllStringSubmatch(l, -1) {
		ref, digest, pinned := strings.Cut(m[1], "@")
		if !strings.HasSuffix(ref, ":") && !strings.HasSuffix(ref, trivy) && !strings.HasSuffix(ref, cosign) {
			add("%s:%d: %q, versions.env pins %s and %s", rel, n, ref, trivy, cosign)
		}
		if pinned && strings.HasSuffix(ref, cosign) && digest != p["COSIGN_IMAGE_DIGEST"] {
			add("%s:%d: %q, versions.env pins cosign at %s", rel, n, m[1], p["COSIGN_IMAGE_DIGEST"])
		}
		if pinned && strings.HasSuffix(ref, trivy) && digest != p["TRIVY_IMAGE_DIGEST"] {
			add("%s:%d: %q, versions.env pins trivy at %s", rel, n, m[1], p["TRIVY_IMAGE_DIGEST"])
		}
	}
	for _, m := range moduleDefault.FindAllStringSubmatch(l, -1) {
		ref := m[1]
		if strings.Contains(ref, "projectsigstore/cosign") && ref != p.CosignDefault() {
			add("%s:%d: default %q, want the pinned %s", rel, n, ref, p.CosignDefault())
		}
		if strings.Contains(ref, "aquasec/trivy") && ref != p.TrivyDefault() {
			add("%s:%d: default %q, want the pinned %s", rel, n, ref, p.TrivyDefault())
		}
		if !strings.HasSuffix(ref, trivy) && !strings.HasSuffix(ref, cosign) && !strings.Contains(ref, "aquasec/trivy") && !strings.Contains(ref, "projectsigstore/cosign") && !strings.HasPrefix(ref, "ghcr.io/aquasecurity/trivy-db:") {
			add("%s:%d: image reference %q is not one versions.env pins; add it there and here", rel, n, ref)
		}
	}
	if m := engineVersionConst.FindStringSubmatch(l); m != nil && m[1] != p["DAGGER_VERSION"] {
		add("%s:%d: engineVersion %q, versions.env DAGGER_VERSION %q", rel, n, m[1], p["DAGGER_VERSION"])
	}
	goMinor := strings.Join(strings.SplitN(strings.TrimPrefix(p["GO_TOOLCHAIN_VERSION"], "go"), ".", 3)[:2], ".")
	for _, m := range baseImage.FindAllStringSubmatch(l, -1) {
		suite := m[3] + m[4] + m[5]
		if suite != p["DEBIAN_SUITE"] || (m[2] != "" && m[2] != goMinor) {
			add("%s:%d: %q, versions.env pins Go %s on Debian %s", rel, n, m[1], goMinor, p["DEBIAN_SUITE"])
		}
	}
}

// walk calls fn with every tracked-looking text file under root, less .git,
// testdata and the sample trees (KFP's own files, not ours).
func walk(t *testing.T, root string, fn func(rel string, lines []string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			if rel == "sample" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fn(rel, strings.Split(string(data), "\n"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
