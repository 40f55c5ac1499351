package catalog

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// spec mirrors the parts of shared/spec/kfp-images.json the catalog must match.
type spec struct {
	Published []struct {
		Name       string   `json:"name"`
		Short      string   `json:"short"`
		Dockerfile string   `json:"dockerfile"`
		Context    string   `json:"context"`
		Platforms  []string `json:"platforms"`
		BuildArgs  []string `json:"build_args"`
	} `json:"published_images"`
	Tools []struct {
		Name       string            `json:"name"`
		Dockerfile string            `json:"dockerfile"`
		Context    string            `json:"context"`
		Platforms  []string          `json:"platforms"`
		BuildArgs  map[string]string `json:"build_args"`
	} `json:"tool_images"`
	CommonBuildArgs map[string]string `json:"build_args_on_master_and_release"`
}

// specImage is what the spec says about one image, in a form both kinds of
// entry share.
type specImage struct {
	name, short, dockerfile, context string
	platforms, buildArgs             []string
	tool                             bool
}

// loadSpec reads the spec from $KFP_SPEC or from shared/ beside the checkout.
// It skips the test when the file is missing, except in CI, where a missing
// spec would silently drop the check.
func loadSpec(t *testing.T) []specImage {
	t.Helper()
	path := os.Getenv("KFP_SPEC")
	if path == "" {
		path = filepath.Join("..", "..", "..", "shared", "spec", "kfp-images.json")
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("KFP image spec not found at %s (set KFP_SPEC to its path)", path)
		}
		t.Skipf("KFP image spec not found at %s; set KFP_SPEC to check the catalog against it", path)
	}
	if err != nil {
		t.Fatalf("reading KFP image spec: %v", err)
	}
	var s spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("parsing KFP image spec %s: %v", path, err)
	}
	if len(s.Published) == 0 || len(s.Tools) == 0 {
		t.Fatalf("KFP image spec %s lists %d published and %d tool images; want some of each", path, len(s.Published), len(s.Tools))
	}
	var out []specImage
	if len(s.CommonBuildArgs) == 0 {
		t.Fatalf("KFP image spec %s lists no build_args_on_master_and_release", path)
	}
	for _, p := range s.Published {
		args := slices.Clone(p.BuildArgs)
		for k := range s.CommonBuildArgs {
			args = append(args, k)
		}
		out = append(out, specImage{p.Name, p.Short, p.Dockerfile, p.Context, p.Platforms, sorted(args...), false})
	}
	for _, p := range s.Tools {
		var args []string
		for k := range p.BuildArgs {
			args = append(args, k)
		}
		out = append(out, specImage{p.Name, "", p.Dockerfile, p.Context, p.Platforms, args, true})
	}
	return out
}

func TestCatalogMatchesSpec(t *testing.T) {
	want := loadSpec(t)

	var specNames []string
	for _, w := range want {
		specNames = append(specNames, w.name)
	}
	if got := Names(); !slices.Equal(got, specNames) {
		t.Errorf("Names() = %q\nspec lists %q (same images, same order: published then tools)", got, specNames)
	}

	byName := make(map[string]Image)
	for _, img := range All() {
		byName[img.Name] = img
	}
	for _, w := range want {
		img, ok := byName[w.name]
		if !ok {
			t.Errorf("spec image %s is missing from the catalog", w.name)
			continue
		}
		delete(byName, w.name)
		if w.short != "" && img.Short != w.short {
			t.Errorf("%s: Short = %q, spec says %q", w.name, img.Short, w.short)
		}
		if img.Dockerfile != w.dockerfile {
			t.Errorf("%s: Dockerfile = %q, spec says %q", w.name, img.Dockerfile, w.dockerfile)
		}
		if img.Context != w.context {
			t.Errorf("%s: Context = %q, spec says %q", w.name, img.Context, w.context)
		}
		if !sameSet(img.Platforms, w.platforms) {
			t.Errorf("%s: Platforms = %q, spec says %q", w.name, img.Platforms, w.platforms)
		}
		if img.Tool != w.tool {
			t.Errorf("%s: Tool = %t, spec lists it among tool images: %t", w.name, img.Tool, w.tool)
		}
		if !sameSet(img.BuildArgs, w.buildArgs) {
			t.Errorf("%s: BuildArgs = %q, spec says %q", w.name, img.BuildArgs, w.buildArgs)
		}
	}
	for name := range byName {
		t.Errorf("catalog image %s is not in the spec", name)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
