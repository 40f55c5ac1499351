package main

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/regauth"
)

// The tool images and the Trivy DB the module uses until with-trivy or
// with-cosign says otherwise. internal/versions holds them to versions.env.
const (
	defaultTrivyImage        = "aquasec/trivy:0.74.0@sha256:62b1e65e8869bc4b4c6aa4fa2b21595256c7c2f6018a9d9ad61caf87187c1969"
	defaultCosignImage       = "gcr.io/projectsigstore/cosign:v3.1.3@sha256:9e5c2f2edc34351160407ca3416c61855bdf9403c3c5936e0f0be7fc261611b8"
	defaultTrivyDBRepository = "ghcr.io/aquasecurity/trivy-db:2"
)

// RegistryAuth is the credentials of one registry host.
type RegistryAuth struct {
	// Host is the registry host, normalized (index.docker.io for docker.io).
	Host string
	// Username is the registry user name.
	Username string
	// Secret is the password or token.
	Secret *dagger.Secret
}

// WithRegistryAuth returns the module with credentials for one registry
// host: every call the module makes to that host (pre-flight, push,
// read-back, promote, cosign, Trivy reading a pushed image) uses them, and
// only that host's. A second call for the same host replaces the first.
func (m *Kfp) WithRegistryAuth(
	// Registry host, e.g. ghcr.io or localhost:5000; a registry path such as ghcr.io/kubeflow names its host.
	address string,
	// Registry user name.
	username string,
	// Registry password or token.
	secret *dagger.Secret,
) (*Kfp, error) {
	host, err := regauth.Host(address)
	if err != nil {
		return nil, fmt.Errorf("with-registry-auth: %w", err)
	}
	if strings.TrimSpace(username) == "" {
		return nil, fmt.Errorf("with-registry-auth %s: empty username", address)
	}
	auths := make([]RegistryAuth, 0, len(m.RegistryAuths)+1)
	for _, a := range m.RegistryAuths {
		if a.Host != host {
			auths = append(auths, a)
		}
	}
	m.RegistryAuths = append(auths, RegistryAuth{Host: host, Username: username, Secret: secret})
	return m, nil
}

// WithRegistryTunnel returns the module reaching a publish registry on the
// host's loopback (e.g. tcp://localhost:5000) through this tunnel: the
// module's own registry calls and cosign go through it, over plain HTTP.
func (m *Kfp) WithRegistryTunnel(
	// Tunnel to the registry, e.g. tcp://localhost:5000.
	service *dagger.Service,
) *Kfp {
	m.RegistryTunnel = service
	return m
}

// WithTrivy returns the module scanning and making SBOMs with this Trivy
// image and vulnerability DB. Arguments left out keep their current value;
// the defaults are Trivy 0.74.0's official image, pinned by digest, and
// ghcr.io/aquasecurity/trivy-db:2.
func (m *Kfp) WithTrivy(
	// Image that provides the trivy binary, e.g. aquasec/trivy:0.74.0.
	// +optional
	image string,
	// Trivy vulnerability DB (OCI artifact), e.g. ghcr.io/aquasecurity/trivy-db:2.
	// +optional
	dbRepository string,
	// Tunnel to a loopback registry holding the DB, e.g. tcp://localhost:5000.
	// +optional
	dbRegistry *dagger.Service,
) (*Kfp, error) {
	if image != "" {
		if err := checkImageRef("with-trivy --image", image); err != nil {
			return nil, err
		}
		m.TrivyImage = image
	}
	if dbRepository != "" {
		if err := checkImageRef("with-trivy --db-repository", dbRepository); err != nil {
			return nil, err
		}
		m.TrivyDBRepository = dbRepository
	}
	if dbRegistry != nil {
		m.TrivyDBRegistry = dbRegistry
	}
	return m, nil
}

// WithCosign returns the module signing, attaching and verifying with this
// cosign image; the default is cosign v3.1.3's official image, pinned by
// digest.
func (m *Kfp) WithCosign(
	// Image that provides the cosign binary, e.g. gcr.io/projectsigstore/cosign:v3.1.3.
	image string,
) (*Kfp, error) {
	if err := checkImageRef("with-cosign --image", image); err != nil {
		return nil, err
	}
	m.CosignImage = image
	return m, nil
}

// WithSigningKey returns the module signing with this cosign private key:
// publish-all and promote then sign each staged index's evidence (SLSA
// provenance, an SPDX SBOM per platform, the smoke run and, with --scan, the
// vulnerability verdict) and check it before any tag moves, and sign uses
// it. The key and its password stay Secrets.
func (m *Kfp) WithSigningKey(
	// Cosign private key (cosign.key).
	key *dagger.Secret,
	// Password of the key; the empty password when left out.
	// +optional
	password *dagger.Secret,
) *Kfp {
	m.SigningKey, m.SigningKeyPassword = key, password
	return m
}

// credentialsFor returns the credentials with-registry-auth set for the host
// of ref (a registry path or an image reference), or none.
func (m *Kfp) credentialsFor(ref string) (string, *dagger.Secret) {
	host, err := regauth.Host(ref)
	if err != nil {
		return "", nil
	}
	for _, a := range m.RegistryAuths {
		if a.Host == host {
			return a.Username, a.Secret
		}
	}
	return "", nil
}

// checkImageRef checks an image reference flag's value.
func checkImageRef(flag, ref string) error {
	if _, err := name.ParseReference(ref); err != nil {
		return fmt.Errorf("invalid %s %q: %w", flag, ref, err)
	}
	return nil
}
