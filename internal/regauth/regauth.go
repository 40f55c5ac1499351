package regauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Host returns the normalized registry host of address: a host (ghcr.io,
// localhost:5000), a registry path (ghcr.io/kubeflow) or an image reference
// (ghcr.io/kubeflow/kfp-driver:2.5.0). A reference whose first path element
// is not a host (aquasec/trivy:0.74.0) is Docker Hub's, index.docker.io, as
// docker.io is.
func Host(address string) (string, error) {
	address = strings.TrimSpace(address)
	if address == "" {
		return "", errors.New("empty registry address")
	}
	host := address
	if strings.Contains(address, "/") {
		ref, err := name.ParseReference(address, name.StrictValidation)
		if err != nil {
			// a registry path need not be a valid image name (a trailing
			// slash, a tag-less path with upper case): its host is the
			// first element
			ref, err = name.ParseReference(address)
		}
		if err == nil {
			return ref.Context().RegistryStr(), nil
		}
		host, _, _ = strings.Cut(address, "/")
	}
	reg, err := name.NewRegistry(host, name.StrictValidation)
	if err != nil {
		return "", fmt.Errorf("invalid registry address %q: %w", address, err)
	}
	return reg.RegistryStr(), nil
}
