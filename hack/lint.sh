#!/usr/bin/env bash
# lint.sh runs every static check of kfp-dagger and exits non-zero on any
# finding:
#
#   hack/lint.sh            go vet and staticcheck over both Go modules, shellcheck
#                           over hack/ and .ci/run, actionlint (with shellcheck on
#                           the run: scripts) over the workflows and actions
#   hack/lint.sh codegen    the committed generated Dagger code (ci/dagger.gen.go,
#                           ci/internal/) is exactly what `dagger develop` makes;
#                           needs the engine (eval "$(hack/engine.sh env)")
#
# staticcheck and actionlint are installed from the Go module proxy at the
# versions in versions.env, cached under $KFP_DAGGER_TOOLS; shellcheck comes
# from the system (installed with apt-get when missing and run as root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH=/usr/local/go/bin:$PATH
# shellcheck source=SCRIPTDIR/../versions.env
. versions.env
tools="${KFP_DAGGER_TOOLS:-${KFP_DAGGER_CACHE:-/var/cache/kfp-dagger}/tools}"

# go_tool NAME VERSION PACKAGE: the binary, installed once per version.
go_tool() {
  local bin="$tools/$1-$2/$1"
  if [ ! -x "$bin" ]; then
    echo "--- installing $1 $2 into $(dirname "$bin")" >&2
    mkdir -p "$(dirname "$bin")"
    GOBIN="$(dirname "$bin")" GOFLAGS=-mod=mod go install "$3@$2" >&2
  fi
  echo "$bin"
}

need_shellcheck() {
  command -v shellcheck >/dev/null && return 0
  [ "$(id -u)" = 0 ] || { echo "lint: shellcheck is not installed (apt-get install shellcheck)" >&2; exit 1; }
  echo "--- installing shellcheck (apt)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
}

lint_go() {
  local staticcheck
  staticcheck=$(go_tool staticcheck "$STATICCHECK_VERSION" honnef.co/go/tools/cmd/staticcheck)
  for mod in . ci; do
    echo "--- go vet and staticcheck $STATICCHECK_VERSION ($mod)"
    (cd "$mod" && go vet ./... && "$staticcheck" ./...)
  done
}

lint_shell() {
  need_shellcheck
  local scripts=(hack/*.sh .ci/run kfp-dagger-ci.sh)
  echo "--- shellcheck $(shellcheck --version | sed -n 's/^version: //p') (${#scripts[@]} scripts)"
  shellcheck -x "${scripts[@]}"
}

lint_workflows() {
  local actionlint
  actionlint=$(go_tool actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint)
  shopt -s nullglob
  local workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
  [ "${#workflows[@]}" -gt 0 ] || { echo "lint: no workflow in .github/workflows" >&2; exit 1; }
  echo "--- actionlint $ACTIONLINT_VERSION with shellcheck (${#workflows[@]} workflows)"
  "$actionlint" "${workflows[@]}"
}

# lint_codegen regenerates the module's code in a copy of the working tree
# and fails on any difference from what is there.
lint_codegen() {
  command -v dagger >/dev/null || { echo "lint codegen: no dagger CLI on PATH: eval \"\$(hack/engine.sh env)\"" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  git ls-files -z --cached --others --exclude-standard -- dagger.json go.mod go.sum internal ci \
    | xargs -0 cp --parents -t "$tmp"
  echo "--- dagger develop in a copy of the working tree"
  (cd "$tmp" && git init -q && dagger --progress=plain develop >"$tmp/develop.log" 2>&1) \
    || { tail -20 "$tmp/develop.log" >&2; echo "lint codegen: dagger develop failed" >&2; exit 1; }
  if ! diff -ru ci "$tmp/ci" > "$tmp/codegen.diff"; then
    head -40 "$tmp/codegen.diff" >&2
    echo "lint codegen: the generated Dagger code differs from what dagger develop makes (run it and commit the result)" >&2
    exit 1
  fi
  echo "lint codegen: generated code is what dagger develop makes"
}

case "${1:-all}" in
  all) lint_go; lint_shell; lint_workflows ;;
  go) lint_go ;;
  shell) lint_shell ;;
  workflows) lint_workflows ;;
  codegen) lint_codegen ;;
  *) echo "usage: hack/lint.sh [all|go|shell|workflows|codegen]" >&2; exit 2 ;;
esac
