#!/usr/bin/env bash
# bench.sh compares kfp-dagger with raw BuildKit on the sample tree, side by
# side, in one run (hack/bench/): cold (a new commit), warm with no change,
# after a one-line change in one backend Go file, and a republish of
# unchanged images with blob uploads counted. It prints wall and CPU seconds
# per tool, the ratio and the images rebuilt. Not part of CI; about 7 minutes.
#
#   hack/bench.sh [-out FILE] [-keep] [-change PATH]
#
# It needs the engine and registries of hack/engine.sh up, starts buildkitd
# with hack/buildkit.sh if it is not running (and stops it again at the end),
# and writes the table to FILE (or $KFP_BENCH_OUT) as well as to stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH
export GOTOOLCHAIN=local

hack/engine.sh status >/dev/null || { echo "bench.sh: the engine or a registry is down: run hack/engine.sh up" >&2; exit 1; }
eval "$(hack/engine.sh env)"

started=""
stop_buildkit() { if [ -n "$started" ]; then hack/buildkit.sh down; fi; }
trap stop_buildkit EXIT
if ! hack/buildkit.sh status >/dev/null; then
  hack/buildkit.sh up
  started=1
fi
eval "$(hack/buildkit.sh env)"

bin=$(mktemp -d)
trap 'stop_buildkit; rm -rf "$bin"' EXIT
go build -o "$bin/bench" ./hack/bench
echo "--- uptime at start: $(uptime)" >&2
"$bin/bench" -repo . -engine-pidfile "${KFP_DAGGER_HOME:-/var/lib/kfp-dagger}/run/engine.pid" "$@"
