package labels

import (
	"fmt"
	"slices"
	"time"
)

// The label keys of the OCI image spec's pre-defined annotations.
const (
	Source   = "org.opencontainers.image.source"
	Revision = "org.opencontainers.image.revision"
	Version  = "org.opencontainers.image.version"
	Created  = "org.opencontainers.image.created"
	Title    = "org.opencontainers.image.title"
	Licenses = "org.opencontainers.image.licenses"
)

// Inputs are the facts labels are made of.
type Inputs struct {
	// Title is the image name, e.g. kfp-api-server.
	Title string
	// SourceURL is the repository the image is built from.
	SourceURL string
	// Commit is the source commit; the revision label is left out when empty.
	Commit string
	// Version is the tag being built: master, X.Y.Z or a branch name.
	Version string
	// Created is the creation time. It must come from the source (commit time
	// or SOURCE_DATE_EPOCH), never from the clock, so the same commit always
	// gives the same labels.
	Created time.Time
	// Licenses is an SPDX expression.
	Licenses string
}

// Label is one image label.
type Label struct{ Name, Value string }

// For returns the labels for in, sorted by name.
func For(in Inputs) ([]Label, error) {
	if in.Title == "" {
		return nil, fmt.Errorf("labels: empty title")
	}
	m := map[string]string{
		Title:   in.Title,
		Created: in.Created.UTC().Format(time.RFC3339),
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set(Source, in.SourceURL)
	set(Revision, in.Commit)
	set(Version, in.Version)
	set(Licenses, in.Licenses)
	out := make([]Label, 0, len(m))
	for k, v := range m {
		out = append(out, Label{k, v})
	}
	slices.SortFunc(out, func(a, b Label) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, nil
}
