package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"
)

// daggerRun is one `dagger --progress=plain call …` of kfp-dagger.
type daggerRun struct {
	stdout, stderr string
	cpu            time.Duration // the CLI's own user+system time
}

// runDagger calls the module in repoRoot with args after `call`.
func runDagger(ctx context.Context, repoRoot string, args ...string) (daggerRun, error) {
	cmd := exec.CommandContext(ctx, "dagger", append([]string{"--progress=plain", "call"}, args...)...)
	cmd.Dir = repoRoot
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := daggerRun{stdout: out.String(), stderr: errb.String()}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, fmt.Errorf("dagger %s: %w\n%s", strings.Join(args, " "), err, tail(r.stderr, 40))
	}
	return r, nil
}

// daggerReport is the part of a build-all or publish-all JSON report we read.
type daggerReport struct {
	Results []struct {
		Image  string `json:"image"`
		Status string `json:"status"`
		Digest string `json:"digest"`
		Error  string `json:"error"`
	} `json:"results"`
}

// checkReport fails unless every image of the report has the wanted status.
func checkReport(stdout, want string, n int) (daggerReport, error) {
	var rep daggerReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		return rep, fmt.Errorf("read the report: %w\n%s", err, tail(stdout, 20))
	}
	var bad []string
	for _, r := range rep.Results {
		if r.Status != want {
			bad = append(bad, fmt.Sprintf("%s: %s %s", r.Image, r.Status, r.Error))
		}
	}
	if len(bad) > 0 || len(rep.Results) != n {
		return rep, fmt.Errorf("report: %d results, want %d all %s; %s", len(rep.Results), n, want, strings.Join(bad, "; "))
	}
	return rep, nil
}

var (
	ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
	// a line of the plain progress output: span number, colon, then the
	// span's text indented by one "┆ " per level of nesting.
	plainLine   = regexp.MustCompile(`^(\d+)\s*: (.*)$`)
	dockerBuild = regexp.MustCompile(`\.dockerBuild\(dockerfile: "([^"]+)"`)
	execDone    = regexp.MustCompile(`\.withExec DONE\b`)
)

// daggerExecuted reads the plain progress output of a dagger call and
// returns, per Dockerfile path given to Directory.dockerBuild, how many of
// its RUN steps (withExec spans under that dockerBuild span) ran instead of
// being CACHED. The plain printer reprints a span's ancestors whenever it
// switches between concurrent spans, so the span last seen one level up is
// the parent.
func daggerExecuted(stderr string) map[string]int {
	parent := map[string]string{}
	dockerfile := map[string]string{}
	var done []string
	var stack []string
	for _, raw := range strings.Split(stderr, "\n") {
		m := plainLine.FindStringSubmatch(ansi.ReplaceAllString(raw, ""))
		if m == nil {
			continue
		}
		id, text := m[1], m[2]
		depth := 0
		for strings.HasPrefix(text, "┆ ") {
			text = strings.TrimPrefix(text, "┆ ")
			depth++
		}
		if depth > len(stack) {
			continue // a continuation line of an argument list
		}
		stack = append(stack[:depth], id)
		if _, ok := parent[id]; !ok && depth > 0 {
			parent[id] = stack[depth-1]
		}
		if d := dockerBuild.FindStringSubmatch(text); d != nil {
			dockerfile[id] = d[1]
		}
		if execDone.MatchString(text) {
			done = append(done, id)
		}
	}
	out := map[string]int{}
	for _, id := range done {
		for p, seen := id, 0; p != "" && seen < 64; p, seen = parent[p], seen+1 {
			if f, ok := dockerfile[p]; ok {
				out[f]++
				break
			}
		}
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(ansi.ReplaceAllString(s, ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func writeFile(path, s string) {
	if path == "" {
		return
	}
	_ = os.WriteFile(path, []byte(s), 0o644)
}
