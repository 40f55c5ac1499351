package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"sort"

	api "github.com/kubeflow/pipelines/backend/api/v2beta1/go_client"
)

// Config is backend/src/apiserver/config/config.json.
type Config struct {
	DefaultPipelineRoot string
	MaxPageSize         int
	MultiUser           bool
}

// LoadConfig reads the server configuration.
func LoadConfig(path string) (Config, error) {
	cfg := Config{MaxPageSize: 100}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.MaxPageSize <= 0 {
		return cfg, fmt.Errorf("%s: MaxPageSize must be positive", path)
	}
	return cfg, nil
}

// SampleEntry is one entry of sample_config.json.
type SampleEntry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	File        string `json:"file"`
}

// pipelineSpec is the part of a compiled pipeline spec the server reads.
type pipelineSpec struct {
	PipelineInfo struct {
		Name string `json:"name"`
	} `json:"pipelineInfo"`
	SchemaVersion string `json:"schemaVersion"`
}

// LoadSamples reads sample_config.json and every compiled pipeline it lists.
// A listed file that was not compiled is skipped with a warning, like a
// sample that fails to load does not stop KFP's API server.
func LoadSamples(configPath string) ([]*api.Pipeline, error) {
	data, err := os.ReadFile(configPath)
	if err != nil {
		return nil, err
	}
	var entries []SampleEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("%s: %w", configPath, err)
	}
	var out []*api.Pipeline
	for _, e := range entries {
		spec, err := os.ReadFile(e.File)
		if err != nil {
			log.Printf("skipping sample %q: %v", e.Name, err)
			continue
		}
		var ps pipelineSpec
		if err := json.Unmarshal(spec, &ps); err != nil {
			return nil, fmt.Errorf("sample %q (%s): %w", e.Name, e.File, err)
		}
		if ps.PipelineInfo.Name == "" || ps.SchemaVersion == "" {
			return nil, fmt.Errorf("sample %q (%s): not a pipeline spec", e.Name, e.File)
		}
		out = append(out, &api.Pipeline{
			PipelineID:  PipelineID(e.Name),
			DisplayName: e.Name,
			Description: e.Description,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DisplayName < out[j].DisplayName })
	return out, nil
}

// PipelineID derives a stable UUID-shaped ID from a pipeline name.
func PipelineID(name string) string {
	h := sha256.Sum256([]byte(name))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
