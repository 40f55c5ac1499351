#!/usr/bin/env bash
# run-sample.sh is the main job on the bundled KFP-shaped sample tree: it brings
# up the engine, registries and base images (hack/engine.sh up), then builds,
# smoke-tests and publishes every KFP image for every platform it ships to the
# local htpasswd registry, and prints the publish report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
hack/engine.sh up
eval "$(hack/engine.sh env)"
commit=$(git rev-parse HEAD)
epoch=$(git log -1 --format=%ct)
dagger --progress=plain call --commit="$commit" --source-date-epoch="$epoch" \
  with-registry-auth --address="$KFP_REGISTRY" --username="$KFP_REGISTRY_USERNAME" --secret="file:$KFP_REGISTRY_PASSWORD_FILE" \
  with-registry-tunnel --service="tcp://$KFP_REGISTRY" \
  publish-all --registry="$KFP_REGISTRY/kubeflow" \
  2> /tmp/kfp-dagger-run-sample.log || { tail -40 /tmp/kfp-dagger-run-sample.log >&2; exit 1; }
echo "(engine log of this run: /tmp/kfp-dagger-run-sample.log)"
