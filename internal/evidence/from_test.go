package evidence

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
)

func TestBaseImages(t *testing.T) {
	df := `# syntax=docker/dockerfile:1
ARG NODE_VERSION=24.21.0
ARG BASE
FROM node:${NODE_VERSION}-bookworm-slim AS build
ARG NODE_VERSION=0.0.0
RUN echo \
  hello
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS Builder
FROM build AS again
FROM ${BASE:-debian:bookworm-slim}
COPY --from=builder /x /x
FROM scratch
FROM debian:bookworm-slim
`
	got, err := BaseImages([]byte(df), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"node:24.21.0-bookworm-slim", "golang:1.26-bookworm", "debian:bookworm-slim"}
	if !slices.Equal(got, want) {
		t.Errorf("BaseImages = %q, want %q", got, want)
	}
	got, _ = BaseImages([]byte(df), map[string]string{"BASE": "registry.example/base:1", "NODE_VERSION": "22.0.0"})
	if want := []string{"node:22.0.0-bookworm-slim", "golang:1.26-bookworm", "registry.example/base:1", "debian:bookworm-slim"}; !slices.Equal(got, want) {
		t.Errorf("with build args: %q, want %q", got, want)
	}
	if _, err := BaseImages([]byte("FROM ${REGISTRY}/kfp-api-generator:${TAG}\n"), map[string]string{"TAG": "1"}); err == nil ||
		!strings.Contains(err.Error(), "build argument REGISTRY is not set") {
		t.Errorf("an unset argument: %v", err)
	}
	if _, err := BaseImages([]byte("RUN true\n"), nil); err == nil {
		t.Error("a Dockerfile without FROM was accepted")
	}
}

// Every sample Dockerfile names its base images, none of them a stage.
func TestBaseImagesOfTheSample(t *testing.T) {
	for _, img := range catalog.Builtin().All() {
		data, err := os.ReadFile(filepath.Join("../../sample", img.Dockerfile))
		if err != nil {
			t.Fatal(err)
		}
		refs, err := BaseImages(data, map[string]string{"REGISTRY": "registry.example", "TAG": "t", "BASE_IMAGE": "registry.example/kfp-api-generator:t"})
		if err != nil {
			t.Errorf("%s: %v", img.Name, err)
			continue
		}
		for _, r := range refs {
			if !strings.Contains(r, ":") && !strings.Contains(r, "@") {
				t.Errorf("%s: base image %q has neither tag nor digest", img.Name, r)
			}
		}
		t.Logf("%s: %s", img.Name, strings.Join(refs, ", "))
	}
}
