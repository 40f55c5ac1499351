// Command launcher-v2 is the sample KFP v2 launcher.
//
//	launcher-v2 --copy /kfp-launcher/launch                 copy this binary into a shared volume
//	launcher-v2 [--executor_output FILE] -- CMD [ARGS...]   run a user command and record the result
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubeflow/pipelines/backend/src/common/version"
	"github.com/kubeflow/pipelines/backend/src/v2/component"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	copyTo := flag.String("copy", "", "copy this binary to the given path and exit")
	outputPath := flag.String("executor_output", "/tmp/kfp_outputs/executor_output.json", "where to write the executor output")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-launcher"))
		return
	}
	if *copyTo != "" {
		self, err := os.Executable()
		if err != nil {
			log.Fatal(err)
		}
		if err := component.CopyExecutable(self, *copyTo); err != nil {
			log.Fatalf("copy launcher: %v", err)
		}
		log.Printf("copied launcher to %s", *copyTo)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := component.Execute(ctx, flag.Args(), os.Stdout, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	if err := component.WriteOutput(*outputPath, out); err != nil {
		log.Fatal(err)
	}
	os.Exit(out.ExitCode)
}
