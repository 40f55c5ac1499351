package signing

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ociIndex is the part of an OCI image index (or an OCI layout's
// index.json) read here.
type ociIndex struct {
	Manifests []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Platform  *struct {
			OS           string `json:"os"`
			Architecture string `json:"architecture"`
			Variant      string `json:"variant"`
		} `json:"platform"`
	} `json:"manifests"`
}

// PlatformManifests reads an image index and returns the manifest digest of
// each platform (os/arch[/variant]; "" for an entry without a platform, as
// an OCI layout of one single-platform image has it; attestation manifests
// of platform unknown/unknown are left out). When the index only points at another
// index (as an OCI layout's index.json does), nested is that index's digest
// and the map is empty: read the nested index next.
func PlatformManifests(index []byte) (nested string, manifests map[string]string, err error) {
	var idx ociIndex
	if err := json.Unmarshal(index, &idx); err != nil {
		return "", nil, fmt.Errorf("image index is not JSON: %w", err)
	}
	manifests = map[string]string{}
	for _, m := range idx.Manifests {
		if strings.HasSuffix(m.MediaType, "image.index.v1+json") || strings.HasSuffix(m.MediaType, "manifest.list.v2+json") {
			if len(idx.Manifests) != 1 {
				return "", nil, fmt.Errorf("image index has %d entries, one of them an index", len(idx.Manifests))
			}
			return m.Digest, nil, nil
		}
		if m.Platform == nil {
			// a single-platform image exported alone: its one manifest
			manifests[""] = m.Digest
			continue
		}
		p := m.Platform.OS + "/" + m.Platform.Architecture
		if m.Platform.Variant != "" {
			p += "/" + m.Platform.Variant
		}
		if p == "unknown/unknown" {
			continue
		}
		manifests[p] = m.Digest
	}
	if len(manifests) == 0 {
		return "", nil, fmt.Errorf("image index lists no platform manifest")
	}
	return "", manifests, nil
}
