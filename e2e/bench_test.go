package e2e

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkBuildAllNewCommit measures what CI pays for every commit: build-all
// of the sample tree for linux/amd64 with a commit it has not built before,
// so every step that reads COMMIT_SHA (every Go compile) runs again while the
// base images stay cached. Run it with
//
//	go test -run '^$' -bench BuildAll -benchtime 1x ./e2e/
//
// It prints the wall time per concurrency level.
func BenchmarkBuildAllNewCommit(b *testing.B) {
	e := requireEnvB(b)
	for _, c := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				commit := fmt.Sprintf("%040x", time.Now().UnixNano())
				start := time.Now()
				r := e.daggerB(b, "--commit="+commit, "build-all", "--platforms=linux/amd64",
					"--images=apiserver,persistenceagent,scheduledworkflow,viewer-crd-controller,launcher,driver,cache-server,frontend,visualization-server,metadata-writer,inverse-proxy-agent,metadata-envoy,cache-deployer",
					fmt.Sprintf("--concurrency=%d", c))
				if r.err != nil {
					b.Fatalf("build-all: %v\n%s", r.err, tail(r.stderr, 30))
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/build-all")
			}
		})
	}
	b.Run("unchanged", func(b *testing.B) {
		commit := fmt.Sprintf("%040x", time.Now().UnixNano())
		args := []string{"--commit=" + commit, "build-all", "--platforms=linux/amd64", "--images=driver,frontend"}
		if r := e.daggerB(b, args...); r.err != nil {
			b.Fatal(r.err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if r := e.daggerB(b, args...); r.err != nil {
				b.Fatal(r.err)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s/build-all")
		}
	})
}
