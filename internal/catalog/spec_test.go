package catalog

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// spec mirrors testdata/kfp-images.json, the facts the catalog must match.
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

// specPath holds the facts about KFP's images that the catalog is checked
// against.
const specPath = "testdata/kfp-images.json"

// loadSpec reads the facts; a missing or incomplete file fails the test.
func loadSpec(t *testing.T) []specImage {
	t.Helper()
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatalf("reading KFP image facts: %v", err)
	}
	var s spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("parsing KFP image facts %s: %v", specPath, err)
	}
	if len(s.Published) == 0 || len(s.Tools) == 0 || len(s.CommonBuildArgs) == 0 {
		t.Fatalf("KFP image facts %s list %d published images, %d tool images and %d common build args; want some of each",
			specPath, len(s.Published), len(s.Tools), len(s.CommonBuildArgs))
	}
	var out []specImage
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
	if got := names(Builtin().All()); !slices.Equal(got, specNames) {
		t.Errorf("Builtin() holds %q\nspec lists %q (same images, same order: published then tools)", got, specNames)
	}

	byName := make(map[string]Image)
	for _, img := range Builtin().All() {
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
