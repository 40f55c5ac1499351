#!/usr/bin/env bash
# Inverse proxy agent of the sample (KFP's registers the VM with Google's
# inverting proxy and then runs the proxy agent).
#
#   attempt-register-vm-on-proxy.sh --version   print the version line and exit
#   attempt-register-vm-on-proxy.sh             pick the proxy URL for $ZONE, publish it, keep running
#
# Environment: ZONE (default us-central1-a), PROXY_URLS_FILE, PROXY_URL_FILE
# (where the chosen URL is written), HEARTBEAT_SECONDS, ONESHOT=1 (exit after
# publishing).
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$#" -eq 1 ] && [ "$1" = "--version" ]; then
  echo "kfp-inverse-proxy-agent version=${TAG_NAME:-dev} commit=${COMMIT_SHA:-unknown} arch=$(dpkg --print-architecture)"
  exit 0
fi
if [ "$#" -gt 0 ]; then
  echo "usage: $0 [--version]" >&2
  exit 2
fi

ZONE=${ZONE:-us-central1-a}
PROXY_URLS_FILE=${PROXY_URLS_FILE:-$DIR/proxy-urls.json}
PROXY_URL_FILE=${PROXY_URL_FILE:-/tmp/inverse-proxy-url}

url=$(python3 "$DIR/get_proxy_url.py" --config-file-path "$PROXY_URLS_FILE" --zone "$ZONE")
echo "$url" > "$PROXY_URL_FILE"
echo "zone $ZONE: using inverse proxy $url (written to $PROXY_URL_FILE)"

if [ "${ONESHOT:-0}" = 1 ]; then
  exit 0
fi
while true; do
  sleep "${HEARTBEAT_SECONDS:-60}"
  echo "agent alive, proxy $url"
done
