// Command controller is the sample Viewer CRD controller. It reads Viewer
// resources from a JSON file (KFP's controller watches the Kubernetes API)
// and, every resync, prints the Deployments they need.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kubeflow/pipelines/backend/src/common/version"
	"github.com/kubeflow/pipelines/backend/src/crd/controller/viewer/reconciler"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	viewersFile := flag.String("viewers", "/etc/kfp/viewers.json", "JSON array of Viewer specs")
	maxViewers := flag.Int("max_num_viewers", 50, "maximum number of viewers kept")
	resync := flag.Duration("resync", time.Minute, "resync period; 0 reconciles once")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-viewer-crd-controller"))
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("%s: watching %s", version.Line("kfp-viewer-crd-controller"), *viewersFile)
	enc := json.NewEncoder(os.Stdout)
	for {
		data, err := os.ReadFile(*viewersFile)
		switch {
		case os.IsNotExist(err):
			log.Printf("no viewers yet (%s does not exist)", *viewersFile)
		case err != nil:
			log.Fatal(err)
		default:
			vs, err := reconciler.ParseViewers(data)
			if err != nil {
				log.Fatalf("%s: %v", *viewersFile, err)
			}
			ds, errs := reconciler.Reconcile(vs, *maxViewers)
			for _, e := range errs {
				log.Print(e)
			}
			for _, d := range ds {
				_ = enc.Encode(d)
			}
		}
		if *resync == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(*resync):
		}
	}
}
