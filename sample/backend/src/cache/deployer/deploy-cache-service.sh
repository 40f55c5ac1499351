#!/usr/bin/env bash
# Cache deployer of the sample: renders the MutatingWebhookConfiguration that
# routes pipeline pods to the cache server, applies it with kubectl when
# kubectl is available (KFP's image ships gcloud and kubectl; this one does
# not) and otherwise prints it.
#
#   deploy-cache-service.sh --version          print the version line and exit
#   deploy-cache-service.sh [--once] [--dry-run] [--output FILE]
#
# --dry-run never calls kubectl; --once exits after applying instead of
# staying up.
#
# Environment: NAMESPACE_TO_WATCH (default kubeflow), WEBHOOK_NAME
# (default cache-webhook-kubeflow), CA_FILE (PEM CA bundle for the webhook).
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$#" -eq 1 ] && [ "$1" = "--version" ]; then
  echo "kfp-cache-deployer version=${TAG_NAME:-dev} commit=${COMMIT_SHA:-unknown} arch=$(dpkg --print-architecture)"
  exit 0
fi

once=0
dry_run=0
output=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --once) once=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    --output) output=${2:?--output needs a file}; shift 2 ;;
    *) echo "usage: $0 [--version | [--once] [--dry-run] [--output FILE]]" >&2; exit 2 ;;
  esac
done

NAMESPACE_TO_WATCH=${NAMESPACE_TO_WATCH:-kubeflow}
WEBHOOK_NAME=${WEBHOOK_NAME:-cache-webhook-$NAMESPACE_TO_WATCH}
CA_BUNDLE=""
if [ -n "${CA_FILE:-}" ]; then
  CA_BUNDLE=$(base64 -w0 < "$CA_FILE")
fi

case $NAMESPACE_TO_WATCH$WEBHOOK_NAME in
  *[!a-z0-9.-]*) echo "NAMESPACE_TO_WATCH and WEBHOOK_NAME must be DNS labels" >&2; exit 1 ;;
esac

render() {
  sed -e "s|\${WEBHOOK_NAME}|$WEBHOOK_NAME|g" \
      -e "s|\${NAMESPACE_TO_WATCH}|$NAMESPACE_TO_WATCH|g" \
      -e "s|\${CA_BUNDLE}|$CA_BUNDLE|g" \
      "$DIR/webhook-config.yaml.template"
}

manifest=$(render)
if [ -n "$output" ]; then
  printf '%s\n' "$manifest" > "$output"
  echo "wrote $output" >&2
fi
if [ "$dry_run" = 0 ] && command -v kubectl >/dev/null 2>&1; then
  printf '%s\n' "$manifest" | kubectl apply -f -
elif [ -z "$output" ]; then
  echo "not applying (dry run or no kubectl); the webhook configuration is:" >&2
  printf '%s\n' "$manifest"
fi

if [ "$once" = 1 ]; then
  exit 0
fi
# Like KFP's deployer, stay up so the Deployment does not restart in a loop.
exec sleep infinity
