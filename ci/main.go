// Kfp builds, tests, scans and publishes every Kubeflow Pipelines container
// image, on a laptop, on any CI and air-gapped alike.
//
// Point it at a KFP checkout with --source (it defaults to the KFP-shaped
// sample tree in this repository), set registry credentials and tools once
// with the with-… functions (with-registry-auth, with-registry-tunnel,
// with-trivy, with-cosign, with-signing-key), then call a verb: images,
// build-all, test, scan-all, plan, publish-all, stage, promote,
// verify-release.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
	"github.com/kfp-dagger/kfp-dagger/internal/changes"
)

// Kfp is the pipeline for one KFP source tree at one commit.
type Kfp struct {
	// Source is the KFP source tree.
	Source *dagger.Directory
	// Commit is the full source commit; empty when unknown.
	Commit string
	// Version is the tag being built: master, or X.Y.Z for a release.
	Version string
	// SourceDateEpoch is the Unix time the images' created label records.
	SourceDateEpoch int
	// SourceURL is the repository the images are built from.
	SourceURL string
	// SelectChanged is set when a list of changed files was given.
	SelectChanged bool
	// Changed lists the changed files, repository-relative, when SelectChanged.
	Changed []string

	// RegistryAuths are the credentials with-registry-auth set, one per host.
	// +private
	RegistryAuths []RegistryAuth
	// RegistryTunnel reaches a loopback publish registry (with-registry-tunnel).
	// +private
	RegistryTunnel *dagger.Service
	// TrivyImage provides the trivy binary (with-trivy).
	// +private
	TrivyImage string
	// TrivyDBRepository is the Trivy vulnerability DB (with-trivy).
	// +private
	TrivyDBRepository string
	// TrivyDBRegistry reaches a loopback registry holding the DB (with-trivy).
	// +private
	TrivyDBRegistry *dagger.Service
	// CosignImage provides the cosign binary (with-cosign).
	// +private
	CosignImage string
	// SigningKey is the cosign private key evidence is signed with (with-signing-key).
	// +private
	SigningKey *dagger.Secret
	// SigningKeyPassword is the signing key's password.
	// +private
	SigningKeyPassword *dagger.Secret
}

func New(
	ctx context.Context,
	// KFP source tree: a KFP checkout (--source=.) or, by default, the
	// KFP-shaped sample tree in this repository.
	// +defaultPath="/sample"
	// +ignore=["**/node_modules", "**/__pycache__", "**/.pytest_cache", ".git/objects", "frontend/build"]
	source *dagger.Directory,
	// Full source commit (40 hex characters); read from the source's .git when empty.
	// +optional
	commit string,
	// Tag being built: master, or X.Y.Z for a release. It becomes TAG_NAME and the version label.
	// +optional
	// +default="master"
	version string,
	// Unix time the org.opencontainers.image.created label records, e.g. the commit time $(git log -1 --format=%ct); 0 (1970-01-01) when not given, never the clock.
	// +optional
	sourceDateEpoch int,
	// Repository the images are built from, for the org.opencontainers.image.source label.
	// +optional
	// +default="https://github.com/kubeflow/pipelines"
	sourceURL string,
	// Files changed, one repository-relative path per line, e.g. from git diff --name-only $(git merge-base origin/master HEAD); when given, plan, build-all, scan-all, publish-all and test select only the images and test components whose inputs hold one of them, and name the others as unchanged.
	// +optional
	changed *dagger.File,
) (*Kfp, error) {
	m := &Kfp{Source: source, Commit: commit, Version: version, SourceDateEpoch: sourceDateEpoch, SourceURL: sourceURL,
		TrivyImage: defaultTrivyImage, TrivyDBRepository: defaultTrivyDBRepository, CosignImage: defaultCosignImage}
	if err := m.resolveCommit(ctx); err != nil {
		return nil, err
	}
	if changed != nil {
		text, err := changed.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the changed files: %w", err)
		}
		c, err := changes.Parse(text)
		if err != nil {
			return nil, fmt.Errorf("changed files: %w", err)
		}
		m.SelectChanged, m.Changed = true, c.Paths()
	}
	if sourceDateEpoch < 0 {
		return nil, fmt.Errorf("invalid source-date-epoch %d: must be a Unix time", sourceDateEpoch)
	}
	return m, nil
}

// Images lists every image of the source tree: name, short name, Dockerfile,
// context and platforms, as a table or as JSON, and the KFP images the tree
// leaves out. The tree's .github/workflows/image-builds-master.yml says which
// images it publishes; without it, the 13 of KFP 2.17.
func (m *Kfp) Images(
	ctx context.Context,
	// Output format.
	// +optional
	// +default="table"
	format ListFormat,
) (string, error) {
	set, err := m.imageSet(ctx)
	if err != nil {
		return "", err
	}
	if format == ListFormatJSON {
		return toJSON(struct {
			Images  []catalog.Image
			LeftOut []catalog.LeftOut
		}{set.All(), append([]catalog.LeftOut{}, set.LeftOut...)})
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSHORT\tDOCKERFILE\tCONTEXT\tPLATFORMS\tKIND")
	for _, img := range set.All() {
		kind := img.Kind
		if img.Tool {
			kind = "tool image"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", img.Name, img.Short, img.Dockerfile, img.Context, strings.Join(img.Platforms, ","), kind)
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return b.String() + leftOutLine(set), nil
}

func toJSON(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

// created is the creation time images record.
func (m *Kfp) created() time.Time { return time.Unix(int64(m.SourceDateEpoch), 0).UTC() }
