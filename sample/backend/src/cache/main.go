// Command cache_server is the sample KFP cache server (a mutating admission
// webhook). It serves TLS when given a certificate, like KFP's, whose
// certificate is made by the cache deployer.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/kubeflow/pipelines/backend/src/cache/server"
	"github.com/kubeflow/pipelines/backend/src/common/version"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version line and exit")
	port := flag.Int("listen_port", 8443, "listen port")
	certFile := flag.String("tls_cert_filename", "", "TLS certificate (plain HTTP when empty)")
	keyFile := flag.String("tls_key_filename", "", "TLS key")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Line("kfp-cache-server"))
		return
	}
	srv := &http.Server{
		Addr:              fmt.Sprintf(":%d", *port),
		Handler:           server.Handler(server.NewStore()),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Printf("%s: listening on %s", version.Line("kfp-cache-server"), srv.Addr)
	if *certFile != "" {
		log.Fatal(srv.ListenAndServeTLS(*certFile, *keyFile))
	}
	log.Fatal(srv.ListenAndServe())
}
