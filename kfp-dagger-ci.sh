#!/bin/sh
# kfp-dagger-ci.sh runs kfp-dagger's CI entry point on any CI that is
# neither GitHub Actions nor GitLab (Jenkins, Tekton, Buildkite, a cron job):
# the same decisions and the same dagger calls as the GitHub Action.
#
#   kfp-dagger-ci.sh push REF [SHA]      a push, e.g. refs/heads/master or refs/tags/2.5.0
#   kfp-dagger-ci.sh change BASE [SHA]   a proposed change, compared with BASE (a commit or ref)
#   kfp-dagger-ci.sh dispatch REF [SHA]  a run by hand; KFP_LATEST=true on a tag retags latest
#
# SHA defaults to the checkout's HEAD. Run it in the KFP checkout. Inputs are
# KFP_<NAME> variables: KFP_SOURCE, KFP_REGISTRY, KFP_USERNAME, KFP_PASSWORD
# (read as a Dagger Secret, never in argv), KFP_IMAGES, KFP_COMMAND, ...
# (see cmd/kfp-dagger-action); KFP_DRY_RUN=true prints the dagger calls and
# runs none. Outputs go to KFP_OUTPUT_FILE (KFP_NAME=value lines), the
# report to KFP_SUMMARY_FILE. Needs go and the dagger CLI on PATH.
set -eu

usage() {
  echo "usage: kfp-dagger-ci.sh push|change|dispatch REF-OR-BASE [SHA]" >&2
  exit 2
}
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi

KFP_CI_EVENT=$1
case $KFP_CI_EVENT in
  push | dispatch) KFP_CI_REF=$2 KFP_CI_BASE= ;;
  change) KFP_CI_BASE=$2 KFP_CI_REF=$(git symbolic-ref -q HEAD || echo refs/heads/change) ;;
  *)
    echo "kfp-dagger-ci.sh: unknown event \"$KFP_CI_EVENT\": want push, change or dispatch" >&2
    exit 2
    ;;
esac
KFP_CI_SHA=${3:-$(git rev-parse HEAD)}
export KFP_CI_EVENT KFP_CI_REF KFP_CI_SHA KFP_CI_BASE

# The kfp module next to this script, unless KFP_MODULE names another.
here=$(cd "$(dirname "$0")" && pwd)
: "${KFP_MODULE:=$here}"
export KFP_MODULE

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go -C "$here" build -trimpath -o "$bin/kfp-dagger-action" ./cmd/kfp-dagger-action
"$bin/kfp-dagger-action"
