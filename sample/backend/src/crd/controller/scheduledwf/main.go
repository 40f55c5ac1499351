// Command controller is the sample ScheduledWorkflow controller. KFP's
// controller reconciles ScheduledWorkflow resources; this one takes a single
// schedule from its flags and logs each run it would trigger.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kubeflow/pipelines/backend/src/common/version"
	"github.com/kubeflow/pipelines/backend/src/crd/controller/scheduledwf/util"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	namespace := flag.String("namespace", "kubeflow", "namespace to watch")
	schedule := flag.String("schedule", "@every 1m", "periodic (@every 1m) or cron (*/5 * * * *) schedule")
	workflow := flag.String("workflow", "sample-recurring-run", "name of the recurring run")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-scheduled-workflow-controller"))
		return
	}
	s, err := util.ParseSchedule(*schedule)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("%s: namespace %s, %s on %q", version.Line("kfp-scheduled-workflow-controller"), *namespace, *workflow, *schedule)
	for {
		next := s.Next(time.Now())
		if next.IsZero() {
			log.Fatalf("schedule %q never fires", *schedule)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
			log.Printf("trigger %s/%s-%d at %s", *namespace, *workflow, next.Unix(), next.Format(time.RFC3339))
		}
	}
}
