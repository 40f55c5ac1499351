package main

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/gitsource"
	"github.com/kfp-dagger/kfp-dagger/internal/report"
)

// resolveCommit checks --commit, or reads the commit from the source's .git
// when there is one; a source without .git (the sample tree) leaves it empty.
func (m *Kfp) resolveCommit(ctx context.Context) error {
	if m.Commit != "" {
		if !gitsource.IsCommit(m.Commit) {
			return fmt.Errorf("invalid commit %q: want the full 40-character lowercase hex id", m.Commit)
		}
		return nil
	}
	has, err := m.Source.Exists(ctx, ".git/HEAD")
	if err != nil {
		return fmt.Errorf("look for .git in the source: %w", err)
	}
	if !has {
		return nil
	}
	c, err := gitsource.Head(func(p string) (string, error) {
		full := path.Join(".git", p)
		ok, err := m.Source.Exists(ctx, full)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("%s: %w", full, fs.ErrNotExist)
		}
		return m.Source.File(full).Contents(ctx)
	})
	if err != nil {
		return fmt.Errorf("read the source commit (pass --commit): %w", err)
	}
	m.Commit = c
	return nil
}

// readOptional returns a file of the source, or "" when it does not exist.
func (m *Kfp) readOptional(ctx context.Context, p string) (string, error) {
	ok, err := m.Source.Exists(ctx, p)
	if err != nil || !ok {
		return "", err
	}
	return m.Source.File(p).Contents(ctx)
}

// imageSet returns the images this source tree builds: those its
// .github/workflows/image-builds-master.yml publishes, or without that file
// the built-in list, plus the tool images.
func (m *Kfp) imageSet(ctx context.Context) (catalog.Set, error) {
	ok, err := m.Source.Exists(ctx, catalog.WorkflowPath)
	if err != nil {
		return catalog.Set{}, fmt.Errorf("look for %s in the source: %w", catalog.WorkflowPath, err)
	}
	if !ok {
		return catalog.Builtin(), nil
	}
	data, err := m.Source.File(catalog.WorkflowPath).Contents(ctx)
	if err != nil {
		return catalog.Set{}, fmt.Errorf("read %s: %w", catalog.WorkflowPath, err)
	}
	return catalog.FromWorkflow([]byte(data))
}

// selectImages returns the image set of the source and the named images of
// it, all of them when names is empty; with a list of changed files, only
// those the change affects, the others named in the set's LeftOut.
func (m *Kfp) selectImages(ctx context.Context, names []string) (catalog.Set, []catalog.Image, error) {
	set, err := m.imageSet(ctx)
	if err != nil {
		return set, nil, err
	}
	sel, err := set.Select(names)
	if err != nil || !m.SelectChanged {
		return set, sel, err
	}
	set, sel = set.OnlyChanged(sel, m.Changed)
	return set, sel, nil
}

// imageFor returns the image of the source's set named image, and platform
// once checked that the image ships it.
func (m *Kfp) imageFor(ctx context.Context, image, platform string) (catalog.Image, string, error) {
	set, err := m.imageSet(ctx)
	if err != nil {
		return catalog.Image{}, "", err
	}
	img, err := set.Lookup(image)
	if err != nil {
		return img, "", err
	}
	p, err := catalog.ParsePlatform(platform)
	if err != nil {
		return img, "", err
	}
	return img, p, img.Supports(p)
}

// leftOutReport lists the images the set leaves out, as reports show them.
func leftOutReport(set catalog.Set) []report.LeftOut {
	var out []report.LeftOut
	for _, l := range set.LeftOut {
		out = append(out, report.LeftOut{Image: l.Name, Reason: l.Reason})
	}
	return out
}

// leftOutLine is the line that ends the images and plan listings when the
// set leaves images out, and "" otherwise.
func leftOutLine(set catalog.Set) string {
	if len(set.LeftOut) == 0 {
		return ""
	}
	parts := make([]string, len(set.LeftOut))
	for i, l := range set.LeftOut {
		parts[i] = l.String()
	}
	return "left out: " + strings.Join(parts, ", ") + "\n"
}

// parsePlatforms parses a --platforms list into a set; empty means every
// platform.
func parsePlatforms(platforms []string) (map[string]bool, error) {
	only := map[string]bool{}
	for _, p := range platforms {
		pp, err := catalog.ParsePlatform(p)
		if err != nil {
			return nil, err
		}
		only[pp] = true
	}
	return only, nil
}
