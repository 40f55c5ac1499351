package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// buildctlJob is one buildctl build of one image.
type buildctlJob struct {
	image      string
	contextDir string // absolute
	dockerfile string // absolute
	platform   string
	buildArgs  map[string]string
	labels     map[string]string
	// push, when set, names the references to push to (tags of one repository).
	push []string
}

// buildctlResult is what one build did.
type buildctlResult struct {
	wall   time.Duration
	cpu    time.Duration // buildctl's own user+system time
	runs   int           // RUN steps executed, not from the cache
	copies int           // COPY/ADD steps executed, not from the cache
	digest string        // containerimage.digest, when pushed
}

// vertex is the part of a BuildKit SolveStatus vertex (--progress=rawjson) we read.
type vertex struct {
	Digest    string     `json:"digest"`
	Name      string     `json:"name"`
	Cached    bool       `json:"cached"`
	Completed *time.Time `json:"completed"`
	Error     string     `json:"error"`
}

// runBuildctl runs one build with the dockerfile frontend built into buildkitd.
func runBuildctl(ctx context.Context, j buildctlJob, workDir string) (buildctlResult, error) {
	args := []string{"build", "--progress=rawjson", "--frontend=dockerfile.v0",
		"--local", "context=" + j.contextDir,
		"--local", "dockerfile=" + filepath.Dir(j.dockerfile),
		"--opt", "filename=" + filepath.Base(j.dockerfile),
		"--opt", "platform=" + j.platform,
	}
	for _, k := range sortedMapKeys(j.buildArgs) {
		args = append(args, "--opt", "build-arg:"+k+"="+j.buildArgs[k])
	}
	for _, k := range sortedMapKeys(j.labels) {
		args = append(args, "--opt", "label:"+k+"="+j.labels[k])
	}
	var meta string
	if len(j.push) > 0 {
		f, err := os.CreateTemp(workDir, "metadata-*.json")
		if err != nil {
			return buildctlResult{}, err
		}
		meta = f.Name()
		f.Close()
		// The same media types and compression kfp-dagger pushes with.
		args = append(args, "--output", fmt.Sprintf(`type=image,"name=%s",push=true,oci-mediatypes=true,compression=gzip`, strings.Join(j.push, ",")),
			"--metadata-file", meta)
	}
	cmd := exec.CommandContext(ctx, "buildctl", args...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	start := time.Now()
	err := cmd.Run()
	r := buildctlResult{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	vs := parseRawJSON(errb.Bytes())
	if err != nil {
		var failed []string
		for _, v := range vs {
			if v.Error != "" {
				failed = append(failed, v.Name+": "+v.Error)
			}
		}
		return r, fmt.Errorf("buildctl %s: %w: %s", j.image, err, strings.Join(failed, "; "))
	}
	for _, v := range vs {
		if v.Cached || v.Completed == nil {
			continue
		}
		switch {
		case strings.Contains(v.Name, "] RUN "):
			r.runs++
		case strings.Contains(v.Name, "] COPY "), strings.Contains(v.Name, "] ADD "):
			r.copies++
		}
	}
	if meta != "" {
		var md map[string]any
		b, err := os.ReadFile(meta)
		if err == nil {
			err = json.Unmarshal(b, &md)
		}
		if err != nil {
			return r, fmt.Errorf("buildctl %s: metadata: %w", j.image, err)
		}
		r.digest, _ = md["containerimage.digest"].(string)
		if r.digest == "" {
			return r, fmt.Errorf("buildctl %s: no containerimage.digest in %s", j.image, meta)
		}
	}
	return r, nil
}

// parseRawJSON reads the stream of SolveStatus objects buildctl prints with
// --progress=rawjson and returns the last state of every vertex.
func parseRawJSON(b []byte) map[string]vertex {
	out := map[string]vertex{}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var st struct {
			Vertexes []vertex `json:"vertexes"`
		}
		if err := dec.Decode(&st); err != nil {
			return out
		}
		for _, v := range st.Vertexes {
			out[v.Digest] = v
		}
	}
}

func sortedMapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
