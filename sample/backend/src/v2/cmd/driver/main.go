// Command driver is the sample KFP v2 driver. It resolves a task's inputs and
// writes the execution ID and the executor input for the launcher.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kubeflow/pipelines/backend/src/common/version"
	"github.com/kubeflow/pipelines/backend/src/v2/driver"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	typ := flag.String("type", "", "ROOT_DAG, DAG or CONTAINER")
	pipelineName := flag.String("pipeline_name", "", "pipeline name")
	runID := flag.String("run_id", "", "run ID")
	componentSpec := flag.String("component", "{}", "component spec (JSON)")
	taskSpec := flag.String("task", "{}", "task spec (JSON)")
	runtimeConfig := flag.String("runtime_config", "{}", `runtime config (JSON: {"parameterValues": {...}})`)
	executionIDPath := flag.String("execution_id_path", "", "file to write the execution ID to")
	executorInputPath := flag.String("executor_input_path", "", "file to write the resolved inputs to (default: stdout)")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-driver"))
		return
	}
	opts := driver.Options{Type: *typ, PipelineName: *pipelineName, RunID: *runID}
	var rc struct {
		ParameterValues map[string]any `json:"parameterValues"`
	}
	for _, f := range []struct {
		name, value string
		into        any
	}{{"component", *componentSpec, &opts.Component}, {"task", *taskSpec, &opts.Task}, {"runtime_config", *runtimeConfig, &rc}} {
		if err := json.Unmarshal([]byte(f.value), f.into); err != nil {
			log.Fatalf("--%s: %v", f.name, err)
		}
	}
	opts.RuntimeConfig = rc.ParameterValues

	ex, err := driver.Drive(opts)
	if err != nil {
		log.Fatal(err)
	}
	if *executionIDPath != "" {
		writeFile(*executionIDPath, []byte(ex.ID))
	}
	input, _ := json.MarshalIndent(map[string]any{"inputs": map[string]any{"parameterValues": ex.Inputs}}, "", "  ")
	if *executorInputPath == "" {
		fmt.Println(string(input))
		return
	}
	writeFile(*executorInputPath, append(input, '\n'))
}

func writeFile(path string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}
}
