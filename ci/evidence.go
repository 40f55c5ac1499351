package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"

	"github.com/kfp-dagger/kfp-dagger/internal/evidence"
)

// VerifyRelease checks, for every published image of the source (or the
// selected ones), the index under the version's tag and the evidence
// attached to it, with the public key alone: the attestations present and
// signed by the key, about that index, provenance of the commit its images
// claim and of every platform, an SBOM per platform, a passing smoke run
// and, with --scan, a passing vulnerability verdict. It reads the registry
// and writes nothing. Returns one table row per image; fails with one line
// per failure.
// +cache="never"
func (m *Kfp) VerifyRelease(
	ctx context.Context,
	// Registry path the release was published to, e.g. ghcr.io/kubeflow.
	registry string,
	// Public key the evidence must be signed with (cosign.pub, PEM).
	publicKey *dagger.File,
	// Images to verify (names or short names); empty verifies every published image.
	// +optional
	images []string,
	// Require a passing vulnerability verdict.
	// +optional
	scan bool,
	// Deadline of each registry call attempt, e.g. 60s.
	// +optional
	// +default="60s"
	attemptTimeout string,
	// How long transient registry errors are retried, counted from the first failure, e.g. 3m.
	// +optional
	// +default="3m"
	retryBudget string,
) (string, error) {
	username, password := m.credentialsFor(registry)
	registryTunnel := m.RegistryTunnel
	pem, err := publicKey.Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("public key: %w", oneLine(err))
	}
	key, err := evidence.ParsePublicKey([]byte(pem))
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	_, sel, err := m.selectImages(ctx, images)
	if err != nil {
		return "", err
	}
	var targets []evidence.Target
	for _, img := range sel {
		if !img.Tool {
			targets = append(targets, evidence.Target{Image: img.Name, Repository: strings.TrimSuffix(registry, "/") + "/" + img.Name, Platforms: img.Platforms})
		}
	}
	if len(targets) == 0 {
		return "", errors.New("verify-release: no published image selected")
	}
	reg, err := m.releaseRegistry(ctx, registry, username, password, registryTunnel, attemptTimeout, retryBudget)
	if err != nil {
		return "", err
	}
	rows, err := evidence.VerifyRelease(ctx, reg, key, m.Version, targets, scan)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| image | %s | commit | attestations | verdict |\n| --- | --- | --- | --- | --- |\n", m.Version)
	var fails []string
	for _, r := range rows {
		verdict := "ok"
		if len(r.Failures) > 0 {
			verdict = fmt.Sprintf("FAILED (%d)", len(r.Failures))
			fails = append(fails, r.Failures...)
		}
		index := "-"
		if r.Index.Hex != "" {
			index = r.Index.String()
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", r.Image, index, orDash(r.Commit), r.Statements, verdict)
	}
	if len(fails) > 0 {
		return "", fmt.Errorf("verify-release %s: %d failures:\n%s\n%s", m.Version, len(fails), strings.Join(fails, "\n"), b.String())
	}
	return b.String(), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
