// Command persistence_agent is the sample KFP persistence agent. KFP's agent
// watches Argo Workflows and reports them to the API server; this one has no
// Kubernetes client, so it only keeps checking that the API server is up.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kubeflow/pipelines/backend/src/agent/persistence/worker"
	"github.com/kubeflow/pipelines/backend/src/common/version"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	apiServer := flag.String("mlPipelineAPIServerName", "ml-pipeline", "API server host")
	apiPort := flag.String("mlPipelineServiceHttpPort", "8888", "API server HTTP port")
	resync := flag.Duration("resyncInterval", 30*time.Second, "interval between checks")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-persistence-agent"))
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	base := fmt.Sprintf("http://%s:%s", *apiServer, *apiPort)
	client := &http.Client{Timeout: 10 * time.Second}
	log.Printf("%s: reporting to %s", version.Line("kfp-persistence-agent"), base)

	failures := 0
	for {
		delay := *resync
		if err := worker.CheckAPIServer(ctx, client, base); err != nil {
			delay = worker.Backoff(failures, time.Second, *resync)
			failures++
			log.Printf("API server not ready (attempt %d): %v", failures, err)
		} else {
			failures = 0
			log.Printf("API server is healthy")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}
