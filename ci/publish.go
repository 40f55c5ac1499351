package main

import (
	"context"
	"fmt"

	"github.com/kfp-dagger/kfp-dagger/ci/internal/dagger"
	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
)

// Publish builds every platform of an image and pushes them as one
// multi-platform image index, returning the pushed reference with its digest.
// +cache="session"
func (m *Kfp) Publish(
	ctx context.Context,
	// Image name or short name, e.g. kfp-api-server or apiserver (see images).
	image string,
	// Registry path to push to; the image is pushed as <registry>/<image>:<tag>.
	// +optional
	// +default="ghcr.io/kubeflow"
	registry string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
) (string, error) {
	img, err := catalog.Lookup(image)
	if err != nil {
		return "", err
	}
	var variants []*dagger.Container
	for _, p := range img.Platforms {
		ctr, err := m.build(ctx, img, p, registry, "")
		if err != nil {
			return "", err
		}
		variants = append(variants, ctr)
	}
	ref := fmt.Sprintf("%s/%s:%s", registry, img.Name, m.tagFor(img))
	pub := dag.Container()
	if username != "" && password != nil {
		pub = pub.WithRegistryAuth(registryHost(registry), username, password)
	}
	out, err := pub.Publish(ctx, ref, dagger.ContainerPublishOpts{PlatformVariants: variants})
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", ref, err)
	}
	return out, nil
}
