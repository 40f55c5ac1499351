// Command apiserver is the sample KFP API server: it loads the preloaded
// pipelines compiled at image build time and serves a small part of the
// v2beta1 REST API.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"path/filepath"
	"time"

	"github.com/kubeflow/pipelines/backend/src/common/version"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	configDir := flag.String("config", "backend/src/apiserver/config", "directory holding config.json")
	sampleConfig := flag.String("sampleconfig", "backend/src/apiserver/config/sample_config.json", "preloaded samples")
	httpPort := flag.String("httpPortFlag", ":8888", "HTTP listen address")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-api-server"))
		return
	}

	cfg, err := LoadConfig(filepath.Join(*configDir, "config.json"))
	if err != nil {
		log.Fatalf("load config: %v", err)
	}
	pipelines, err := LoadSamples(*sampleConfig)
	if err != nil {
		log.Fatalf("load samples: %v", err)
	}
	log.Printf("%s: %d preloaded pipelines, listening on %s", version.Line("kfp-api-server"), len(pipelines), *httpPort)

	srv := &http.Server{
		Addr:              *httpPort,
		Handler:           NewServer(cfg, pipelines).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
