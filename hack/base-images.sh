#!/usr/bin/env bash
# base-images.sh makes the base images the sample Dockerfiles pull (debian,
# golang, python, node) from Debian packages (debootstrap), the Go toolchain the
# Go module proxy serves (golang.org/toolchain) and Node.js from the npm registry,
# and pushes them to the engine's docker.io mirror under their docker.io names.
# On a machine with internet access the same Dockerfiles pull the real images.
#
#   base-images.sh rootfs-tar IMAGE PLATFORM   build (cached) and print the rootfs tar path
#   base-images.sh push MIRROR                 build every image for $KFP_BASE_PLATFORMS and push
#
# Called by hack/engine.sh. The versions come from versions.env.
set -euo pipefail

: "${KFP_DAGGER_CACHE:?}"
# shellcheck source=SCRIPTDIR/../versions.env
. "$(dirname "${BASH_SOURCE[0]}")/../versions.env"
KFP_BASE_PLATFORMS=${KFP_BASE_PLATFORMS:-linux/amd64}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The rootfs tars are keyed by this script and every version they contain.
SELF_HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
OUT="$KFP_DAGGER_CACHE/base-$DEBIAN_SUITE-$SELF_HASH-$GO_TOOLCHAIN_VERSION-$NODE_VERSION-$NPM_VERSION"
WORK="$KFP_DAGGER_CACHE/base-work"
mkdir -p "$OUT" "$WORK"

log() { printf '[base-images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

arch_of() { echo "${1#linux/}"; }

# in_chroot runs a command inside a root filesystem with /proc mounted in a
# private mount namespace (linux/arm64 runs under qemu through binfmt).
in_chroot() {
  local dir=$1; shift
  # shellcheck disable=SC2016 # expanded by the inner bash
  unshare -m --propagation private -- bash -c '
    dir=$1; shift
    mount -t proc proc "$dir/proc"
    mount --bind /dev "$dir/dev"
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
  ' in_chroot "$dir" "$@"
  : > "$dir/etc/resolv.conf"
}

slim_down() {
  local dir=$1
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* \
    "$dir"/var/log/*.log "$dir"/var/cache/debconf/*-old "$dir"/tmp/* 2>/dev/null || true
}

debian_rootfs() { # arch -> dir
  local arch=$1
  local dir="$WORK/debian-$DEBIAN_SUITE-$arch"
  [ -f "$dir/.done" ] && { echo "$dir"; return; }
  rm -rf "$dir"
  log "debootstrap $DEBIAN_SUITE minbase for $arch"
  if [ "$arch" = "$(dpkg --print-architecture)" ]; then
    debootstrap --variant=minbase --include=ca-certificates --arch="$arch" "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" >&2
  else
    debootstrap --foreign --variant=minbase --include=ca-certificates --arch="$arch" "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" >&2
    in_chroot "$dir" /debootstrap/debootstrap --second-stage >&2
  fi
  slim_down "$dir"
  touch "$dir/.done"
  echo "$dir"
}


node_arch() { case $1 in amd64) echo x64 ;; *) echo "$1" ;; esac; }

# derive copies the debian rootfs, installs Debian packages, then runs a hook.
derive() { # name arch packages...
  local name=$1 arch=$2; shift 2
  local base; base=$(debian_rootfs "$arch")
  local dir="$WORK/$name-$arch"
  rm -rf "$dir" && cp -a "$base" "$dir" && rm -f "$dir/.done"
  if [ $# -gt 0 ]; then
    log "$name/$arch: apt-get install $*"
    in_chroot "$dir" sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $* >/dev/null" >&2
  fi
  echo "$dir"
}

build_rootfs() { # image arch -> dir
  local image=$1 arch=$2 dir
  case $image in
    debian)
      debian_rootfs "$arch"
      return
      ;;
    golang)
      dir=$(derive golang "$arch" git gcc libc6-dev make)
      log "golang/$arch: Go $GO_TOOLCHAIN_VERSION from golang.org/toolchain"
      local mod; mod=$(go mod download -json "golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN_VERSION.linux-$arch" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
      [ -d "$mod" ] || { log "golang.org/toolchain for $arch not found"; return 1; }
      cp -r "$mod" "$dir/usr/local/go"
      chmod -R u+w,a+rX "$dir/usr/local/go"
      chmod +x "$dir/usr/local/go/bin/"* "$dir/usr/local/go/pkg/tool/"*/*
      mkdir -p "$dir/go/bin" "$dir/go/src" && chmod -R 1777 "$dir/go"
      ;;
    python)
      dir=$(derive python "$arch" python3 python3-pytest)
      ln -sf /usr/bin/python3 "$dir/usr/local/bin/python"
      ;;
    node)
      dir=$(derive node "$arch")
      log "node/$arch: Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry"
      local pkgs="$WORK/npm-packs"
      mkdir -p "$pkgs"
      local nodetgz
      nodetgz="$pkgs/node-linux-$(node_arch "$arch")-$NODE_VERSION.tgz"
      [ -f "$nodetgz" ] || (cd "$pkgs" && npm pack --silent "node-linux-$(node_arch "$arch")@$NODE_VERSION" >/dev/null)
      [ -f "$pkgs/npm-$NPM_VERSION.tgz" ] || (cd "$pkgs" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
      tar -xzf "$nodetgz" -C "$dir/usr/local" --strip-components=1 package/bin package/include package/share
      mkdir -p "$dir/usr/local/lib/node_modules/npm"
      tar -xzf "$pkgs/npm-$NPM_VERSION.tgz" -C "$dir/usr/local/lib/node_modules/npm" --strip-components=1
      ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
      ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
      chmod +x "$dir/usr/local/bin/node"
      ;;
    *) log "unknown base image $image"; return 1 ;;
  esac
  slim_down "$dir"
  echo "$dir"
}

rootfs_tar() { # image platform -> tar path
  local image=$1 arch; arch=$(arch_of "$2")
  local tar="$OUT/$image-$arch.tar"
  if [ ! -f "$tar" ]; then
    local dir; dir=$(build_rootfs "$image" "$arch")
    tar --numeric-owner --exclude=./.done -C "$dir" -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    [ "$image" = debian ] || rm -rf "$dir"
  fi
  echo "$tar"
}

# Tags pushed for each image; the first is what the sample Dockerfiles use.
declare -A TAGS=(
  [debian]="library/debian:bookworm-slim library/debian:bookworm library/debian:12-slim"
  [golang]="library/golang:1.26-bookworm library/golang:${GO_TOOLCHAIN_VERSION#go}-bookworm library/golang:1.26"
  [python]="library/python:3.11-slim-bookworm library/python:3.11-slim library/python:3.11"
  [node]="library/node:$NODE_VERSION-bookworm-slim library/node:${NODE_VERSION%%.*}-bookworm-slim library/node:$NODE_VERSION-slim"
)
BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
declare -A CONFIG=(
  [debian]="--env PATH=$BASE_PATH --cmd bash"
  [golang]="--env PATH=/go/bin:/usr/local/go/bin:$BASE_PATH --env GOPATH=/go --env GOLANG_VERSION=${GO_TOOLCHAIN_VERSION#go} --env GOTOOLCHAIN=local --workdir /go --cmd bash"
  [python]="--env PATH=$BASE_PATH --env LANG=C.UTF-8 --env PYTHON_VERSION=3.11 --cmd python3"
  [node]="--env PATH=$BASE_PATH --env NODE_VERSION=$NODE_VERSION --cmd node"
)

push_all() {
  local mirror=$1 image p
  for image in debian golang python node; do
    local args=()
    for p in $KFP_BASE_PLATFORMS; do
      args+=(--layer "$p=$(rootfs_tar "$image" "$p")")
    done
    local refs=()
    for t in ${TAGS[$image]}; do refs+=(--push "$mirror/$t"); done
    log "pushing $image (${KFP_BASE_PLATFORMS}) to $mirror"
    # shellcheck disable=SC2086
    "$DEVTOOL" image "${args[@]}" ${CONFIG[$image]} "${refs[@]}" >&2
  done
}

case "${1:-}" in
  rootfs-tar) rootfs_tar "$2" "$3" ;;
  push) push_all "$2" ;;
  *) echo "usage: base-images.sh rootfs-tar IMAGE PLATFORM | push MIRROR" >&2; exit 2 ;;
esac
