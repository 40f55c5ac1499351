package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// Set is the images one KFP source tree builds: the published images the
// tree publishes, each with the platforms it publishes it for, then the tool
// images. [Builtin] and [FromWorkflow] make one.
type Set struct {
	images []Image
	// LeftOut lists the published catalog images the tree does not
	// publish, in catalog order.
	LeftOut []LeftOut
}

// LeftOut is a published catalog image that a source tree does not publish.
type LeftOut struct {
	// Name is the image's name, e.g. kfp-metadata-writer.
	Name string
	// Reason says why it is left out.
	Reason string
}

// String returns the name and, in parentheses, the reason.
func (l LeftOut) String() string { return l.Name + " (" + l.Reason + ")" }

// Builtin returns the set of a tree without a workflow file that says what it
// publishes: every catalog image, the thirteen published images of KFP 2.17
// then the two tool images, none left out.
func Builtin() Set { return Set{images: images} }

// All returns every image of the set, published images first, in catalog
// order. The result is a copy: changing it does not change the set.
func (s Set) All() []Image {
	out := make([]Image, len(s.images))
	for i, img := range s.images {
		out[i] = img.clone()
	}
	return out
}

// Lookup returns the image with the given published name (kfp-api-server) or
// short name (apiserver). A catalog image the set leaves out is an error
// that says why.
func (s Set) Lookup(nameOrShort string) (Image, error) {
	if img, ok := find(s.images, nameOrShort); ok {
		return img.clone(), nil
	}
	if l, ok := s.leftOut(nameOrShort); ok {
		return Image{}, leftOutError([]LeftOut{l})
	}
	return Image{}, s.unknownImages([]string{nameOrShort})
}

// Select returns the named images, without duplicates, in the order of
// [Set.All]. Names may be published or short names; blank names are ignored,
// and no names at all selects every image. Every unknown name is reported in
// one error; failing that, every name the set leaves out.
func (s Set) Select(names []string) ([]Image, error) {
	want := make(map[string]bool)
	var unknown []string
	var left []LeftOut
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			continue
		}
		if img, ok := find(s.images, n); ok {
			want[img.Name] = true
		} else if l, ok := s.leftOut(n); ok {
			if !slices.Contains(left, l) {
				left = append(left, l)
			}
		} else {
			unknown = append(unknown, n)
		}
	}
	switch {
	case len(unknown) > 0:
		return nil, s.unknownImages(unknown)
	case len(left) > 0:
		return nil, leftOutError(left)
	case len(want) == 0:
		return s.All(), nil
	}
	var out []Image
	for _, img := range s.images {
		if want[img.Name] {
			out = append(out, img.clone())
		}
	}
	return out, nil
}

// leftOut returns the entry of LeftOut for a published or short name.
func (s Set) leftOut(nameOrShort string) (LeftOut, bool) {
	img, ok := find(images, nameOrShort)
	if !ok {
		return LeftOut{}, false
	}
	for _, l := range s.LeftOut {
		if l.Name == img.Name {
			return l, true
		}
	}
	return LeftOut{}, false
}

// Affected returns the images of the set that a change to the given paths
// means must be rebuilt, in the order of [Set.All]. Paths are relative to a
// KFP checkout, as "git diff --name-only" prints them. An image is affected
// when a path is one of its Inputs or lies under one of its input
// directories, or when the image it is built FROM is affected.
func (s Set) Affected(changed []string) []Image {
	hit := make(map[string]bool)
	for _, img := range s.images {
		for _, p := range changed {
			if img.uses(p) {
				hit[img.Name] = true
				break
			}
		}
	}
	// Images built FROM an affected image must be rebuilt too; loop until
	// no more are found so that chains of any length are followed.
	for more := true; more; {
		more = false
		for _, img := range s.images {
			if !hit[img.Name] && img.DependsOn != "" && hit[img.DependsOn] {
				hit[img.Name] = true
				more = true
			}
		}
	}
	var out []Image
	for _, img := range s.images {
		if hit[img.Name] {
			out = append(out, img.clone())
		}
	}
	return out
}

// ReasonUnchanged is the LeftOut reason of an image that [Set.OnlyChanged]
// leaves out.
const ReasonUnchanged = "none of its inputs changed"

// OnlyChanged returns sel less the images a change to the given paths does
// not affect ([Set.Affected]), and the set with those images added to
// LeftOut, so plans and reports name what a change-based run skips.
func (s Set) OnlyChanged(sel []Image, changed []string) (Set, []Image) {
	hit := map[string]bool{}
	for _, img := range s.Affected(changed) {
		hit[img.Name] = true
	}
	out := Set{images: s.images, LeftOut: slices.Clone(s.LeftOut)}
	var kept []Image
	for _, img := range sel {
		if hit[img.Name] {
			kept = append(kept, img)
		} else {
			out.LeftOut = append(out.LeftOut, LeftOut{Name: img.Name, Reason: ReasonUnchanged})
		}
	}
	return out, kept
}

// find returns the image of imgs with the given published or short name.
func find(imgs []Image, nameOrShort string) (Image, bool) {
	key := strings.TrimSpace(nameOrShort)
	for _, img := range imgs {
		if key == img.Name || key == img.Short {
			return img, true
		}
	}
	return Image{}, false
}

func (s Set) unknownImages(names []string) error {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	valid := make([]string, len(s.images))
	for i, img := range s.images {
		valid[i] = fmt.Sprintf("%s (%s)", img.Name, img.Short)
	}
	return fmt.Errorf("unknown %s %s; valid images: %s", plural(len(names), "image"), strings.Join(quoted, ", "), strings.Join(valid, ", "))
}

func leftOutError(left []LeftOut) error {
	parts := make([]string, len(left))
	for i, l := range left {
		parts[i] = l.String()
	}
	return fmt.Errorf("%s left out of this source tree: %s", plural(len(left), "image"), strings.Join(parts, ", "))
}

// plural returns noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
