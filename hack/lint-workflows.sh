#!/usr/bin/env bash
# lint-workflows.sh checks the GitHub Actions workflows with actionlint,
# installed from the Go module proxy into a cache folder keyed by version,
# and with shellcheck on their run: scripts when shellcheck is installed.
# It exits non-zero on any finding.
#
#   hack/lint-workflows.sh                  lint .github/workflows/*.yml
#   KFP_DAGGER_TOOLS=/tmp/tools hack/...    cache the tool elsewhere (CI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH

ACTIONLINT_VERSION=v1.7.12
tools="${KFP_DAGGER_TOOLS:-/var/cache/kfp-dagger/tools}"
bin="$tools/actionlint-$ACTIONLINT_VERSION"
actionlint="$bin/actionlint"

if [ ! -x "$actionlint" ]; then
  echo "--- installing actionlint $ACTIONLINT_VERSION into $bin" >&2
  mkdir -p "$bin"
  GOBIN="$bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "lint-workflows: no workflow in .github/workflows" >&2
  exit 1
fi

args=()
if command -v shellcheck >/dev/null 2>&1; then
  echo "--- actionlint $ACTIONLINT_VERSION with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')" >&2
else
  echo "--- actionlint $ACTIONLINT_VERSION (shellcheck not installed: run: scripts are not checked)" >&2
  args+=(-shellcheck=)
fi
"$actionlint" "${args[@]}" "${workflows[@]}"
echo "lint-workflows: ${#workflows[@]} workflow(s) clean" >&2
