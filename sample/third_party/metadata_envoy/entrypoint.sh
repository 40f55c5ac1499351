#!/usr/bin/env bash
# Entrypoint of the sample metadata-envoy image. KFP's image is Envoy with
# envoy.yaml; this sample has no Envoy binary, so it validates the config,
# reports what Envoy would serve and stays up like the sidecar would.
#
#   entrypoint.sh --version        print the version line (the config must exist) and exit
#   entrypoint.sh [-c FILE]        validate FILE (default $ENVOY_CONFIG or /etc/envoy.yaml) and run
set -euo pipefail

CONFIG=${ENVOY_CONFIG:-/etc/envoy.yaml}

validate() {
  local f=$1
  [ -f "$f" ] && [ -s "$f" ] || { echo "kfp-metadata-envoy: config $f not found or empty" >&2; return 1; }
  local key
  for key in static_resources: listeners: clusters: socket_address:; do
    grep -q "$key" "$f" || { echo "kfp-metadata-envoy: config $f has no $key" >&2; return 1; }
  done
}

if [ "$#" -eq 1 ] && [ "$1" = "--version" ]; then
  validate "$CONFIG"
  echo "kfp-metadata-envoy version=${TAG_NAME:-dev} commit=${COMMIT_SHA:-unknown} config=$CONFIG arch=$(dpkg --print-architecture)"
  exit 0
fi

while [ "$#" -gt 0 ]; do
  case $1 in
    -c|--config-path) CONFIG=${2:?$1 needs a file}; shift 2 ;;
    *) echo "usage: $0 [--version | -c FILE]" >&2; exit 2 ;;
  esac
done

validate "$CONFIG"
ports=$(grep -o 'port_value: *[0-9]*' "$CONFIG" | grep -o '[0-9]*$' | paste -sd ' ' -)
echo "kfp-metadata-envoy: config $CONFIG is valid; ports: $ports"
[ "${ONESHOT:-0}" = 1 ] && exit 0
exec sleep infinity
