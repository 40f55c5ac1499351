// Package server is the sample KFP cache server: a Kubernetes mutating
// admission webhook that stamps each pipeline step pod with a cache key
// derived from its Argo template and marks pods whose key was seen before.
package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

const (
	TemplateAnnotation = "workflows.argoproj.io/template"
	CacheEnabledLabel  = "pipelines.kubeflow.org/cache_enabled"
	CacheKeyAnnotation = "pipelines.kubeflow.org/execution_cache_key"
	CachedFromAnnot    = "pipelines.kubeflow.org/cached_from_pod"
)

// AdmissionReview is the subset of admission.k8s.io/v1 AdmissionReview used here.
type AdmissionReview struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Request    *AdmissionRequest  `json:"request,omitempty"`
	Response   *AdmissionResponse `json:"response,omitempty"`
}

// AdmissionRequest carries the pod being created.
type AdmissionRequest struct {
	UID    string `json:"uid"`
	Object Pod    `json:"object"`
}

// AdmissionResponse allows the pod, optionally with a JSON patch.
type AdmissionResponse struct {
	UID       string `json:"uid"`
	Allowed   bool   `json:"allowed"`
	PatchType string `json:"patchType,omitempty"`
	Patch     []byte `json:"patch,omitempty"`
}

// Pod is the part of a Pod the webhook reads.
type Pod struct {
	Metadata struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"metadata"`
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// CacheKey hashes the canonical JSON of an Argo template (encoding/json
// sorts map keys, so the key does not depend on field order).
func CacheKey(template string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(template), &v); err != nil {
		return "", fmt.Errorf("template annotation is not JSON: %w", err)
	}
	canon, _ := json.Marshal(v)
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), nil
}

// Store remembers which pod first produced each cache key.
type Store struct {
	mu   sync.Mutex
	seen map[string]string
}

// NewStore returns an empty in-memory store (KFP uses a MySQL table).
func NewStore() *Store { return &Store{seen: map[string]string{}} }

// Lookup returns the pod that first had key, recording pod if none did.
func (s *Store) Lookup(key, pod string) (cachedFrom string, hit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.seen[key]; ok {
		return p, true
	}
	s.seen[key] = pod
	return "", false
}

// Mutate answers one admission request.
func Mutate(req *AdmissionRequest, store *Store) (*AdmissionResponse, error) {
	resp := &AdmissionResponse{UID: req.UID, Allowed: true}
	md := req.Object.Metadata
	if md.Labels[CacheEnabledLabel] != "true" {
		return resp, nil
	}
	tmpl, ok := md.Annotations[TemplateAnnotation]
	if !ok {
		return resp, nil
	}
	key, err := CacheKey(tmpl)
	if err != nil {
		return nil, err
	}
	annotations := map[string]string{CacheKeyAnnotation: key}
	if from, hit := store.Lookup(key, md.Namespace+"/"+md.Name); hit {
		annotations[CachedFromAnnot] = from
	}
	var ops []patchOp
	for k, v := range annotations {
		ops = append(ops, patchOp{Op: "add", Path: "/metadata/annotations/" + escapeJSONPointer(k), Value: v})
	}
	resp.Patch, _ = json.Marshal(ops)
	resp.PatchType = "JSONPatch"
	return resp, nil
}

func escapeJSONPointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// Handler serves POST /mutate.
func Handler(store *Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mutate", func(w http.ResponseWriter, r *http.Request) {
		var review AdmissionReview
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&review); err != nil || review.Request == nil {
			http.Error(w, "expected an AdmissionReview with a request", http.StatusBadRequest)
			return
		}
		resp, err := Mutate(review.Request, store)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(AdmissionReview{APIVersion: review.APIVersion, Kind: review.Kind, Response: resp})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}
