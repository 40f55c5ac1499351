package main

import (
	"encoding/json"
	"net/http"
	"strconv"

	api "github.com/kubeflow/pipelines/backend/api/v2beta1/go_client"
	"github.com/kubeflow/pipelines/backend/src/common/version"
)

// Server serves the read-only part of the pipeline API.
type Server struct {
	cfg       Config
	pipelines []*api.Pipeline
}

// NewServer returns a server over a fixed list of pipelines.
func NewServer(cfg Config, pipelines []*api.Pipeline) *Server {
	return &Server{cfg: cfg, pipelines: pipelines}
}

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /apis/v2beta1/healthz", s.healthz)
	mux.HandleFunc("GET /apis/v2beta1/pipelines", s.listPipelines)
	mux.HandleFunc("GET /apis/v2beta1/pipelines/{id}", s.getPipeline)
	return mux
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	v, c := version.Info()
	writeJSON(w, http.StatusOK, &api.HealthzResponse{CommitSHA: c, TagName: v, MultiUser: s.cfg.MultiUser})
}

// listPipelines pages with page_size and an offset page_token.
func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) {
	size := s.cfg.MaxPageSize
	if v := r.URL.Query().Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, "page_size must be a positive integer")
			return
		}
		size = min(n, s.cfg.MaxPageSize)
	}
	start := 0
	if v := r.URL.Query().Get("page_token"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > len(s.pipelines) {
			writeError(w, http.StatusBadRequest, "invalid page_token")
			return
		}
		start = n
	}
	end := min(start+size, len(s.pipelines))
	resp := &api.ListPipelinesResponse{Pipelines: s.pipelines[start:end], TotalSize: int32(len(s.pipelines))}
	if end < len(s.pipelines) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, p := range s.pipelines {
		if p.PipelineID == id {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	writeError(w, http.StatusNotFound, "pipeline "+id+" not found")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"code": code, "message": msg})
}
