// Command kfp-api-generator turns a tiny JSON API description into Go types.
// It is the entrypoint of the kfp-api-generator tool image:
//
//	kfp-api-generator -in backend/api/v2beta1/pipeline.json -out backend/api/v2beta1/go_client/pipeline.gen.go
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/kubeflow/pipelines/backend/src/common/version"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	in := flag.String("in", "", "API description (JSON)")
	out := flag.String("out", "", "output Go file (default: stdout)")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-api-generator"))
		return
	}
	if *in == "" {
		log.Fatal("kfp-api-generator: -in is required")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	api, err := ParseAPI(data)
	if err != nil {
		log.Fatal(err)
	}
	src, err := Generate(api)
	if err != nil {
		log.Fatal(err)
	}
	if *out == "" {
		os.Stdout.Write(src)
		return
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
