#!/usr/bin/env bash
# tool-images.sh builds the supply-chain tools the module runs in containers
# (Trivy for scans and SBOMs, cosign for signatures and SBOM attachment) from
# the Go module proxy and pushes each as an image to the engine's docker.io
# mirror, under the names the module defaults to or that the tests pass:
#
#   aquasec/trivy:<TRIVY_VERSION less v>  Trivy's official image name (Docker Hub), the
#                                         module's default Trivy (with-trivy)
#   projectsigstore/cosign:<COSIGN_VERSION>
#                                         the path of cosign's official image
#                                         (gcr.io/projectsigstore/cosign, the module's
#                                         default cosign); gcr.io has no mirror
#                                         here, so callers set
#                                         with-cosign --image=$KFP_MIRROR/projectsigstore/cosign:<COSIGN_VERSION>
#
# Each image is the Debian rootfs base-images.sh makes plus one static binary
# in /usr/local/bin (CGO_ENABLED=0, cached under $KFP_DAGGER_CACHE/tools/).
# On a machine with internet access the module pulls the official images.
#
#   tool-images.sh build           build (cached) the binaries only
#   tool-images.sh push MIRROR     build what is missing, assemble and push the images
#
# Called by hack/engine.sh up --with-tools.
set -euo pipefail

: "${KFP_DAGGER_CACHE:?}" "${DEVTOOL:?}"
HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# TRIVY_VERSION, COSIGN_VERSION and the base images' versions.
# shellcheck source=SCRIPTDIR/../versions.env
. "$HACK_DIR/../versions.env"
C=$KFP_DAGGER_CACHE
export PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local CGO_ENABLED=0

log() { printf '[tool-images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# go_tool NAME VERSION PACKAGE LDFLAGS [ENV...]: go install once into
# $C/tools/NAME-VERSION/NAME; prints the binary's path.
go_tool() {
  local name=$1 version=$2 pkg=$3 ldflags=$4; shift 4
  local dir="$C/tools/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    log "building $name $version from the Go module proxy (cold: several minutes)"
    local t0=$SECONDS
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    env "$@" GOBIN="$dir.tmp" go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    log "$name $version built in $((SECONDS - t0)) s"
  fi
  echo "$dir/$name"
}

trivy_bin() {
  # Trivy needs encoding/json/v2 (its goreleaser config sets the same experiment).
  go_tool trivy "$TRIVY_VERSION" github.com/aquasecurity/trivy/cmd/trivy \
    "-X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" GOEXPERIMENT=jsonv2
}

cosign_bin() {
  go_tool cosign "$COSIGN_VERSION" github.com/sigstore/cosign/v3/cmd/cosign \
    "-X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN_VERSION"
}

# layer_tar BIN: a reproducible tar holding BIN as /usr/local/bin/<name>.
layer_tar() {
  local bin=$1 name; name=$(basename "$1")
  local tar
  tar="$(dirname "$bin")/layer.tar"
  if [ ! -f "$tar" ] || [ "$bin" -nt "$tar" ]; then
    local stage; stage=$(mktemp -d)
    mkdir -p "$stage/usr/local/bin" "$stage/tmp"
    chmod 1777 "$stage/tmp"
    cp "$bin" "$stage/usr/local/bin/$name"
    tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$stage" -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$stage"
  fi
  echo "$tar"
}

push_all() {
  local mirror=$1 debian
  debian=$(KFP_BASE_PLATFORMS=linux/amd64 bash "$HACK_DIR/base-images.sh" rootfs-tar debian linux/amd64)
  local base_env="--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env HOME=/root"
  log "pushing aquasec/trivy:${TRIVY_VERSION#v} to $mirror"
  # shellcheck disable=SC2086
  "$DEVTOOL" image --layer "linux/amd64=$debian" --layer "linux/amd64=$(layer_tar "$(trivy_bin)")" \
    $base_env --cmd trivy --push "$mirror/aquasec/trivy:${TRIVY_VERSION#v}" >&2
  log "pushing projectsigstore/cosign:$COSIGN_VERSION to $mirror"
  # shellcheck disable=SC2086
  "$DEVTOOL" image --layer "linux/amd64=$debian" --layer "linux/amd64=$(layer_tar "$(cosign_bin)")" \
    $base_env --cmd cosign --push "$mirror/projectsigstore/cosign:$COSIGN_VERSION" >&2
}

case "${1:-}" in
  build) trivy_bin >/dev/null; cosign_bin >/dev/null ;;
  push) push_all "$2" ;;
  *) echo "usage: tool-images.sh build | push MIRROR" >&2; exit 2 ;;
esac
