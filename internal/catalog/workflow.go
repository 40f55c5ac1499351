package catalog

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// WorkflowPath is the file of a KFP tree that says which images the tree
// publishes, and for which platforms: the image matrix of the workflow that
// builds and pushes them on every push to master.
const WorkflowPath = ".github/workflows/image-builds-master.yml"

// imageMatrix is the strategy.matrix of the job that builds the images.
type imageMatrix struct {
	// Image lists one entry per image: name, dockerfile and context.
	Image []map[string]string `yaml:"image"`
	// Arch lists one entry per architecture: arch_name, runs_on and platform.
	Arch []map[string]string `yaml:"arch"`
	// Exclude lists image and arch combinations that are not built; each
	// entry matches on the fields it gives.
	Exclude []map[string]map[string]string `yaml:"exclude"`
}

// FromWorkflow returns the set of a tree whose [WorkflowPath] holds data. The
// job whose strategy.matrix lists images with a name and a dockerfile decides
// which published images the tree publishes: each for the platforms of the
// matrix's arch entries, less the excluded combinations. A published catalog
// image it does not name is left out; the tool images are always in the set.
// An image the catalog does not know, a Dockerfile or context that differs
// from the catalog's, or a file that is not such a workflow is an error.
func FromWorkflow(data []byte) (Set, error) {
	m, err := parseWorkflow(data)
	if err != nil {
		return Set{}, fmt.Errorf("parse %s: %w", WorkflowPath, err)
	}
	named := make(map[string][]string) // image name → platforms
	for _, entry := range m.Image {
		if err := checkEntry(entry, named); err != nil {
			return Set{}, err
		}
		if named[entry["name"]], err = m.platforms(entry); err != nil {
			return Set{}, fmt.Errorf("parse %s: %w", WorkflowPath, err)
		}
	}
	var s Set
	for _, img := range images {
		platforms, ok := named[img.Name]
		switch {
		case img.Tool:
			s.images = append(s.images, img)
		case !ok:
			s.LeftOut = append(s.LeftOut, LeftOut{Name: img.Name, Reason: "not in " + WorkflowPath})
		case len(platforms) == 0:
			s.LeftOut = append(s.LeftOut, LeftOut{Name: img.Name, Reason: "every arch excluded in " + WorkflowPath})
		default:
			img = img.clone()
			img.Platforms = platforms
			s.images = append(s.images, img)
		}
	}
	return s, nil
}

// checkEntry fails unless the matrix entry names, once, a published catalog
// image with the catalog's Dockerfile and context.
func checkEntry(entry map[string]string, named map[string][]string) error {
	name := entry["name"]
	if _, dup := named[name]; dup {
		return fmt.Errorf("%s names image %q twice", WorkflowPath, name)
	}
	img, ok := find(images, name)
	if !ok || img.Tool || img.Name != name {
		return fmt.Errorf("%s names image %q, which kfp-dagger cannot build (known: %s)", WorkflowPath, name, strings.Join(publishedNames(), ", "))
	}
	dockerfile, context := path.Clean(entry["dockerfile"]), path.Clean(orDot(entry["context"]))
	if dockerfile != img.Dockerfile || context != img.Context {
		return fmt.Errorf("%s builds %s from %s with context %s, but kfp-dagger builds it from %s with context %s",
			WorkflowPath, name, dockerfile, context, img.Dockerfile, img.Context)
	}
	return nil
}

// platforms returns the platforms of the matrix's arch entries that no
// exclude removes for the image entry.
func (m imageMatrix) platforms(entry map[string]string) ([]string, error) {
	var out []string
	for _, arch := range m.Arch {
		if m.excluded(entry, arch) {
			continue
		}
		p, err := ParsePlatform(arch["platform"])
		if err != nil {
			return nil, fmt.Errorf("arch %s: %w", arch["arch_name"], err)
		}
		out = append(out, p)
	}
	return out, nil
}

// excluded reports whether an exclude matches the image and arch entries.
func (m imageMatrix) excluded(entry, arch map[string]string) bool {
	for _, ex := range m.Exclude {
		if matches(entry, ex["image"]) && matches(arch, ex["arch"]) {
			return true
		}
	}
	return false
}

// matches reports whether every field of want has the same value in entry.
func matches(entry, want map[string]string) bool {
	for k, v := range want {
		if entry[k] != v {
			return false
		}
	}
	return true
}

// parseWorkflow returns the image matrix of the one job that has one.
func parseWorkflow(data []byte) (imageMatrix, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return imageMatrix{}, flat(err)
	}
	if len(doc.Content) == 0 {
		return imageMatrix{}, errors.New("the file is empty")
	}
	jobs := child(doc.Content[0], "jobs")
	var found []string
	var matrix *yaml.Node
	for i := 0; jobs != nil && i+1 < len(jobs.Content); i += 2 {
		m := child(child(jobs.Content[i+1], "strategy"), "matrix")
		if img := child(m, "image"); img != nil && img.Kind == yaml.SequenceNode {
			found = append(found, jobs.Content[i].Value)
			matrix = m
		}
	}
	switch len(found) {
	case 0:
		return imageMatrix{}, errors.New("no job has a strategy.matrix.image list")
	case 1:
	default:
		return imageMatrix{}, fmt.Errorf("jobs %s each have a strategy.matrix.image list; want one", strings.Join(found, ", "))
	}
	return decodeMatrix(found[0], matrix)
}

// decodeMatrix decodes the image matrix of a job and checks its shape.
func decodeMatrix(job string, n *yaml.Node) (imageMatrix, error) {
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "image" && k != "arch" && k != "exclude" {
			return imageMatrix{}, fmt.Errorf("job %s: strategy.matrix.%s is not supported (kfp-dagger reads image, arch and exclude)", job, k)
		}
	}
	var m imageMatrix
	if err := n.Decode(&m); err != nil {
		return m, fmt.Errorf("job %s: %w", job, flat(err))
	}
	for _, e := range m.Image {
		if e["name"] == "" || e["dockerfile"] == "" {
			return m, fmt.Errorf("job %s: every strategy.matrix.image entry needs a name and a dockerfile", job)
		}
	}
	if len(m.Arch) == 0 {
		return m, fmt.Errorf("job %s: strategy.matrix.arch lists no platform", job)
	}
	for _, ex := range m.Exclude {
		for k := range ex {
			if k != "image" && k != "arch" {
				return m, fmt.Errorf("job %s: an exclude on %s is not supported (kfp-dagger reads image and arch)", job, k)
			}
		}
	}
	return m, nil
}

// child returns the value of key in the mapping node n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// publishedNames returns the name of every published catalog image.
func publishedNames() []string {
	var out []string
	for _, img := range images {
		if !img.Tool {
			out = append(out, img.Name)
		}
	}
	return out
}

func orDot(context string) string {
	if context == "" {
		return "."
	}
	return context
}

// flatError shows an error on one line and unwraps to it.
type flatError struct{ err error }

func (e flatError) Error() string { return strings.Join(strings.Fields(e.err.Error()), " ") }

func (e flatError) Unwrap() error { return e.err }

func flat(err error) error { return flatError{err} }
