package main

import (
	"context"
	"fmt"
	"io/fs"
	"path"

	"github.com/kfp-dagger/kfp-dagger/internal/gitsource"
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
