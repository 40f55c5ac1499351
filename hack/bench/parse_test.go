package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kfp-dagger/kfp-dagger/internal/catalog"
)

// Two concurrent dockerBuild spans, as the dagger CLI's plain progress
// prints them: the driver's RUN step ran, the frontend's came from the cache.
const plainSample = `9   : Kfp.buildAll(platforms: ["linux/amd64"], concurrency: 2, format: "json"): String!
17  : ┆ Missing.dockerBuild(dockerfile: "backend/Dockerfile.driver", platform: "linux/amd64"): Container!
18  : ┆ Missing.dockerBuild(dockerfile: "frontend/Dockerfile", platform: "linux/amd64"): Container!
17  : ┆ Missing.dockerBuild(dockerfile: "backend/Dockerfile.driver", platform: "linux/amd64"): Container!
25  : ┆ ┆ withExec /bin/sh -c 'echo "building driver"'
27  : ┆ ┆ Missing.withRootfs(
27  : ┆ ┆ ┆ directory: Missing.__withDirectoryDockerfileCompat(
27  : ┆ ┆ ┆ ┆ path: "/bin/driver"
27  : ┆ ┆ ┆ ): Directory!
18  : ┆ Missing.dockerBuild(dockerfile: "frontend/Dockerfile", platform: "linux/amd64"): Container!
26  : ┆ ┆ withExec /bin/sh -c 'npm ci'
26  : ┆ ┆ Container.withExec CACHED [0.0s]
17  : ┆ Missing.dockerBuild(dockerfile: "backend/Dockerfile.driver", platform: "linux/amd64"): Container!
25  : ┆ ┆ withExec /bin/sh -c 'echo "building driver"'
25  : ┆ ┆ Container.withExec DONE [12.7s]
17  : ┆ Missing.dockerBuild DONE [13.5s]
18  : ┆ Missing.dockerBuild DONE [0.2s]
9   : Kfp.buildAll DONE [15.6s]
`

func TestDaggerExecuted(t *testing.T) {
	got := daggerExecuted("\x1b[95m" + strings.ReplaceAll(plainSample, "\n", "\x1b[0m\n"))
	if len(got) != 1 || got["backend/Dockerfile.driver"] != 1 {
		t.Errorf("daggerExecuted = %v, want only backend/Dockerfile.driver: 1", got)
	}
}

func TestParseRawJSON(t *testing.T) {
	in := `{"vertexes":[{"digest":"sha256:a","name":"[builder 5/5] RUN go build","started":"2026-01-01T00:00:00Z"}]}
{"vertexes":[{"digest":"sha256:a","name":"[builder 5/5] RUN go build","completed":"2026-01-01T00:00:01Z"},{"digest":"sha256:b","name":"[stage-1 2/2] COPY x y","cached":true,"completed":"2026-01-01T00:00:01Z"}]}
`
	vs := parseRawJSON([]byte(in))
	if len(vs) != 2 || vs["sha256:a"].Completed == nil || vs["sha256:a"].Cached || !vs["sha256:b"].Cached {
		t.Errorf("parseRawJSON = %+v", vs)
	}
}

func TestRenderHasNoFormatErrors(t *testing.T) {
	b := &bench{set: catalog.Builtin(), imgs: catalog.Builtin().All(), concurrency: 2, commit: strings.Repeat("a", 40)}
	r := toolResult{wall: time.Second, daemonCPU: time.Second, rebuilt: []string{"kfp-driver"}}
	phases := []phase{{name: "cold (new commit)", dagger: r, bk: r}, {name: "republish unchanged", dagger: r, bk: r}}
	out := b.render(phases, time.Now(), "0.1 0.2 0.3", "backend/src/v2/driver/driver.go", time.Second, 0)
	if strings.Contains(out, "%!") {
		t.Errorf("render has a format error:\n%s", out)
	}
	if !strings.Contains(out, "| cold (new commit) | 1.0 | 1.0 | 1.0 | 1.0 | 1.00 | 1, both: driver |") {
		t.Errorf("render:\n%s", out)
	}
}
