#!/usr/bin/env bash
# test.sh runs every test of kfp-dagger: the static checks (hack/lint.sh), unit tests of the pure-Go core
# and of the Dagger module, then the end-to-end tests, which drive the real
# `dagger` CLI against the native engine and the loopback registries that
# hack/engine.sh brings up (building and caching whatever is missing).
#
#   hack/test.sh              everything (what CI runs)
#   hack/test.sh -short       unit tests only; end-to-end tests skip
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH

short=""
if [ "${1:-}" = "-short" ]; then short=-short; fi

if [ -z "$short" ]; then
  hack/engine.sh up --with-tools   # the scan, SBOM and signing tests need Trivy and cosign
  eval "$(hack/engine.sh env)"
  hack/engine.sh status
fi

hack/lint.sh
if [ -z "$short" ]; then hack/lint.sh codegen; fi

echo "--- go test"
# -p 1: the end-to-end packages share one engine and 2 cores.
go test $short -count=1 -p 1 -timeout 80m -v ./...
(cd ci && go build ./...)  # the module package itself runs only inside the engine
