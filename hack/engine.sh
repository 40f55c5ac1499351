#!/usr/bin/env bash
# engine.sh runs kfp-dagger's whole local environment on a Debian machine with no
# Docker and no container registry: a native Dagger engine, two loopback
# distribution registries (a docker.io mirror and an htpasswd-protected publish
# target) and the base images the sample Dockerfiles pull.
#
#   hack/engine.sh up       build what is missing (cached), start registries and engine
#   hack/engine.sh up --with-tools
#                           also the Trivy and cosign images scan/sbom/sign need
#                           (about 17 min the first time; the tests use them)
#   hack/engine.sh down     stop everything by PID and remove the bridge and CNI state
#   hack/engine.sh status   say what runs, exit 1 if something is down
#   hack/engine.sh env      print the exports a shell needs (eval "$(hack/engine.sh env)")
#   hack/engine.sh build    only build and cache the engine and CLI binaries
#
# Everything expensive is cached under $KFP_DAGGER_CACHE keyed by version and by a
# hash of the inputs, so a second `up` reuses it. Runtime state lives under
# $KFP_DAGGER_HOME. Nothing is written to the repository or to the host's /usr,
# /etc or /run: the engine runs in a private mount namespace.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)

# Every pinned version (DAGGER_VERSION, DISTRIBUTION_VERSION, GO_TOOLCHAIN_VERSION,
# NODE_VERSION, DEBIAN_SUITE, TRIVY_VERSION, COSIGN_VERSION, ...).
# shellcheck source=SCRIPTDIR/../versions.env
. "$REPO_ROOT/versions.env"
# The bridge and CIDR are our own so `down` removes only what `up` made.
# (KFP_ENGINE_NETWORK and KFP_ENGINE_CIDR exist for tests of this script.)
ENGINE_NETWORK_NAME=${KFP_ENGINE_NETWORK:-kfpdag}
ENGINE_NETWORK_CIDR=${KFP_ENGINE_CIDR:-10.88.0.0/16}
# Version of the Go SDK image recipe in build_gosdk_image (part of its cache key).
GOSDK_RECIPE=2
# The host's own certificate authorities (a TLS-intercepting egress proxy's, say).
HOST_CA_DIR=/usr/local/share/ca-certificates

export KFP_DAGGER_HOME=${KFP_DAGGER_HOME:-/var/lib/kfp-dagger}
export KFP_DAGGER_CACHE=${KFP_DAGGER_CACHE:-/var/cache/kfp-dagger}
# Platforms of the base images; linux/arm64 runs under qemu-user-static.
KFP_BASE_PLATFORMS=${KFP_BASE_PLATFORMS:-linux/amd64 linux/arm64}

H=$KFP_DAGGER_HOME
C=$KFP_DAGGER_CACHE
export PATH=/usr/local/go/bin:$PATH
export GOFLAGS=${GOFLAGS:-}
export GOTOOLCHAIN=local

RUNTIME_PACKAGES=(runc iptables dnsmasq-base containernetworking-plugins debootstrap git ca-certificates qemu-user-static python3 curl)

log() { printf '[engine.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'engine.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (the engine needs mount namespaces, runc and iptables)"

hash_of() { cat "$@" | sha256sum | cut -c1-12; }

# --- runtime packages --------------------------------------------------------

ensure_packages() {
  local missing=()
  for p in "${RUNTIME_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- engine, CLI and SDK codegen binaries ------------------------------------

# ENGINE_BIN holds the engine binaries, keyed by the dagger version and the
# patches, stubs and stand-ins we apply (computed once per run).
ENGINE_BIN="$C/dagger-$DAGGER_VERSION-$(find "$HACK_DIR/engine" -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)"

build_engine() {
  local bin=$ENGINE_BIN
  if [ -x "$bin/dagger-engine" ] && [ -x "$bin/dagger" ] && [ -x "$bin/codegen" ]; then
    return 0
  fi
  log "building dagger $DAGGER_VERSION engine, init, dnsname, codegen and CLI into $bin (cold: several minutes)"
  local t0=$SECONDS
  go mod download "github.com/dagger/dagger@$DAGGER_VERSION" "dagger.io/dagger@$DAGGER_VERSION"
  local mod; mod=$(go env GOMODCACHE)
  local src="$C/src/dagger-$DAGGER_VERSION"
  rm -rf "$src" "$C/src/stubs" && mkdir -p "$C/src"
  cp -r "$mod/github.com/dagger/dagger@$DAGGER_VERSION" "$src" && chmod -R u+w "$src"
  cp -r "$HACK_DIR/engine/stubs" "$C/src/stubs"
  mkdir -p "$src/engine/distconsts"
  cp "$HACK_DIR/engine/distconsts/"* "$src/engine/distconsts/"
  python3 "$HACK_DIR/engine/patch-engine.py" "$src"
  python3 "$HACK_DIR/engine/patch-cli.py" "$src"
  (
    cd "$src"
    # sdk/go is a nested module missing from the zip; the TUI modules are not served.
    go mod edit -replace dagger.io/dagger="$mod/dagger.io/dagger@$DAGGER_VERSION" \
      -replace github.com/vito/tuist="$C/src/stubs/tuist" \
      -replace github.com/vito/tuist/teav1="$C/src/stubs/tuist/teav1" \
      -replace github.com/vito/midterm=github.com/vito/midterm@v0.2.4
    export CGO_ENABLED=0 GOFLAGS=-mod=mod
    local ldf="-s -w -X github.com/dagger/dagger/engine.Version=$DAGGER_VERSION -X github.com/dagger/dagger/engine.Tag=$DAGGER_VERSION"
    mkdir -p "$bin.tmp"
    go build -trimpath -ldflags "$ldf" -o "$bin.tmp/" ./cmd/engine ./cmd/init ./cmd/dnsname ./cmd/codegen ./cmd/dagger
    mv "$bin.tmp/engine" "$bin.tmp/dagger-engine"
    mv "$bin.tmp/init" "$bin.tmp/dagger-init"
  )
  rm -rf "$bin" && mv "$bin.tmp" "$bin"
  "$bin/dagger" version >&2
  log "engine binaries built in $((SECONDS - t0)) s"
}

# --- helper tools: distribution registry and devtool -------------------------

registry_bin() { echo "$C/tools/registry-$DISTRIBUTION_VERSION/registry"; }

build_tools() {
  local reg; reg=$(registry_bin)
  if [ ! -x "$reg" ]; then
    log "building distribution registry $DISTRIBUTION_VERSION"
    mkdir -p "$(dirname "$reg")"
    CGO_ENABLED=0 GOBIN="$(dirname "$reg")" go install "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION"
  fi
  # devtool is this repository's own helper (htpasswd, OCI image assembly); cheap to rebuild.
  (cd "$REPO_ROOT" && CGO_ENABLED=0 go build -o "$H/bin/devtool" ./hack/devtool)
}

# --- registries ----------------------------------------------------------------

free_port() { "$H/bin/devtool" free-port; }

# load_ports reads the loopback ports of the mirror and the registry; it
# returns 1 when they were never picked (a machine that never ran up).
load_ports() {
  [ -f "$H/conf/ports.env" ] || return 1
  # shellcheck disable=SC1091
  . "$H/conf/ports.env"
}

# pick_ports reads the ports, or picks and records them once.
pick_ports() {
  load_ports && return 0
  MIRROR_PORT=$(free_port)
  REGISTRY_PORT=$(free_port)
  while [ "$REGISTRY_PORT" = "$MIRROR_PORT" ]; do REGISTRY_PORT=$(free_port); done
  printf 'MIRROR_PORT=%s\nREGISTRY_PORT=%s\n' "$MIRROR_PORT" "$REGISTRY_PORT" > "$H/conf/ports.env"
}

# pid_is PIDFILE EXE-PATTERN: the PID file names a live process whose
# executable matches the pattern. A stale PID file whose number now belongs to
# another program is never taken for ours.
pid_is() {
  local pid exe
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  # shellcheck disable=SC2053 # $2 is a glob pattern on purpose
  [[ "$exe" == $2 ]]
}

engine_exe() { echo "$C/dagger-*/dagger-engine"; }

# listener_pid PORT: the PID of the process listening on 127.0.0.1:PORT, if any.
listener_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -1
}

wait_http() { # url, seconds

  for _ in $(seq 1 $(($2 * 5))); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.2
  done
  return 1
}

write_registry_config() { # name port auth(yes|no) readonly(yes|no)
  local name=$1 port=$2 auth=$3 ro=$4
  mkdir -p "$H/$name/data"
  {
    echo "version: 0.1"
    echo "log: {level: info, formatter: text}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $H/$name/data}"
    echo "  delete: {enabled: true}"
    if [ "$ro" = yes ]; then
      echo "  maintenance: {readonly: {enabled: true}}"
    fi
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    if [ "$auth" = yes ]; then
      echo "auth:"
      echo "  htpasswd: {realm: kfp-dagger, path: $H/conf/htpasswd}"
    fi
  } > "$H/$name/config.yml"
}

# registry_mode NAME: readonly or writable, as the running registry was started.
registry_mode() {
  if grep -q 'readonly: {enabled: true}' "$H/$1/config.yml" 2>/dev/null; then echo readonly; else echo writable; fi
}

start_registry() { # name port auth readonly
  local name=$1 port=$2 pid owner
  if pid_is "$H/run/$name.pid" "$(registry_bin)"; then return 0; fi
  owner=$(listener_pid "$port")
  if [ -n "$owner" ]; then
    die "127.0.0.1:$port, the $name's port, is taken by pid $owner ($(readlink "/proc/$owner/exe" 2>/dev/null || echo unknown)); stop it, or remove $H/conf/ports.env to pick new ports"
  fi
  write_registry_config "$@"
  OTEL_TRACES_EXPORTER=none setsid "$(registry_bin)" serve "$H/$name/config.yml" > "$H/log/$name.log" 2>&1 < /dev/null 9>&- &
  pid=$!
  echo "$pid" > "$H/run/$name.pid"
  wait_http "http://127.0.0.1:$port/v2/" 20 || { tail -20 "$H/log/$name.log" >&2; die "$name registry did not start on 127.0.0.1:$port"; }
  # What answers must be the process we started, not another one on the port.
  owner=$(listener_pid "$port")
  [ "$owner" = "$pid" ] || die "127.0.0.1:$port answers, but from pid ${owner:-unknown}, not the $name registry we started (pid $pid)"
}

# write_password creates the publish registry's password and htpasswd file.
# Both are created under umask 077, so neither is readable by others even
# for a moment; the htpasswd file is replaced atomically because the
# registry rereads it while it runs.
write_password() {
  (
    umask 077
    if [ ! -f "$H/conf/registry-password" ]; then
      # no trailing newline: `--password=file:` hands the file's bytes over as they are
      printf '%s' "$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')" > "$H/conf/registry-password.tmp"
      mv "$H/conf/registry-password.tmp" "$H/conf/registry-password"
    fi
    chmod 600 "$H/conf/registry-password"
    if [ ! -s "$H/conf/htpasswd" ] || [ "$H/conf/registry-password" -nt "$H/conf/htpasswd" ]; then
      "$H/bin/devtool" htpasswd --user kfp --password-file "$H/conf/registry-password" > "$H/conf/htpasswd.tmp"
      mv "$H/conf/htpasswd.tmp" "$H/conf/htpasswd"
    fi
    chmod 600 "$H/conf/htpasswd"
  )
}

# start_mirror starts the docker.io mirror read-only, after seeding it with
# whatever images are missing (base images; with tools, Trivy and cosign) in
# a writable run of its own: once seeded, nobody can write to it.
start_mirror() { # tools(yes|no)
  local seed=""
  [ -f "$(base_stamp)" ] || seed=1
  if [ "$1" = yes ] && [ ! -f "$(tools_stamp)" ]; then seed=1; fi
  if [ -n "$seed" ]; then
    if [ "$(registry_mode mirror)" = readonly ]; then stop_pid "$H/run/mirror.pid" mirror 10 "$(registry_bin)"; fi
    start_registry mirror "$MIRROR_PORT" no no
    push_base_images
    if [ "$1" = yes ]; then push_tool_images; fi
    stop_pid "$H/run/mirror.pid" mirror 10 "$(registry_bin)"
  elif [ "$(registry_mode mirror)" = writable ]; then
    stop_pid "$H/run/mirror.pid" mirror 10 "$(registry_bin)"
  fi
  start_registry mirror "$MIRROR_PORT" no yes
}

# --- base images -----------------------------------------------------------------

base_stamp() {
  echo "$H/mirror/pushed-$(hash_of "$HACK_DIR/base-images.sh")-$GO_TOOLCHAIN_VERSION-$NODE_VERSION-$DEBIAN_SUITE-$(echo "$KFP_BASE_PLATFORMS" | tr ' /' '_-')"
}

tools_stamp() {
  echo "$H/mirror/pushed-tools-$(hash_of "$HACK_DIR/tool-images.sh" "$HACK_DIR/base-images.sh")-$DEBIAN_SUITE-$TRIVY_VERSION-$COSIGN_VERSION"
}

push_base_images() {
  local stamp; stamp=$(base_stamp)
  [ -f "$stamp" ] && return 0
  KFP_BASE_PLATFORMS="$KFP_BASE_PLATFORMS" DEVTOOL="$H/bin/devtool" \
    bash "$HACK_DIR/base-images.sh" push "127.0.0.1:$MIRROR_PORT"
  touch "$stamp"
}

# push_tool_images pushes the Trivy and cosign images the module's scan, sbom,
# sign and verify run (hack/tool-images.sh; binaries cached under $C/tools).
push_tool_images() {
  local stamp; stamp=$(tools_stamp)
  [ -f "$stamp" ] && return 0
  wait_for tool-binaries
  DEVTOOL="$H/bin/devtool" bash "$HACK_DIR/tool-images.sh" push "127.0.0.1:$MIRROR_PORT"
  touch "$stamp"
}

# --- Go SDK runtime image (the engine's builtin content) -----------------------

# The engine loads its Go SDK image from a local OCI content store. We assemble it
# from the golang base rootfs, the codegen binary and a three-file file:// GOPROXY
# that answers the two queries the module proxy here refuses. The host's own CAs
# (host_cas) are added to its CA bundle: the SDK's `go build` fetches the module's
# dependencies through the host's egress, and the engine installs no CA itself
# (start_engine).
build_gosdk_image() {
  local bin=$ENGINE_BIN
  local cas; mapfile -t cas < <(host_cas)
  # GOSDK_RECIPE names what this function adds; bump it when changing the function.
  local key; key=$(echo "$GOSDK_RECIPE" | cat - "$bin/codegen" "$HACK_DIR/base-images.sh" ${cas[@]+"${cas[@]}"} | sha256sum | cut -c1-12)
  GOSDK_DIR="$C/gosdk-$DAGGER_VERSION-$key"
  [ -f "$GOSDK_DIR/manifest-digest" ] && return 0
  log "assembling the Go SDK runtime image"
  local rootfs; rootfs=$(KFP_BASE_PLATFORMS=linux/amd64 bash "$HACK_DIR/base-images.sh" rootfs-tar golang linux/amd64)
  local stage="$C/gosdk-stage"
  rm -rf "$stage" && mkdir -p "$stage/usr/local/bin" "$stage/go/pkg/mod" "$stage/go/bin" "$stage/root/.cache/go-build"
  cp "$bin/codegen" "$stage/usr/local/bin/codegen"
  if [ ${#cas[@]} -gt 0 ]; then
    mkdir -p "$stage/etc/ssl/certs"
    tar -xOf "$rootfs" ./etc/ssl/certs/ca-certificates.crt > "$stage/etc/ssl/certs/ca-certificates.crt"
    cat "${cas[@]}" >> "$stage/etc/ssl/certs/ca-certificates.crt"
  fi
  local g="$stage/usr/local/share/goproxy"
  mkdir -p "$g/dagger.io/dagger/@v" "$g/github.com/dagger/querybuilder/@v"
  # The engine runs `go get dagger.io/dagger@<goSDKLibVersion> github.com/dagger/querybuilder`.
  echo '{"Version":"'"$DAGGER_VERSION"'","Time":"2026-07-29T16:05:28Z"}' > "$g/dagger.io/dagger/@v/56bb30426a8462af6f95cfdae6461d0cc796ff50.info"
  : > "$g/github.com/dagger/querybuilder/@v/list"
  echo '{"Version":"v0.0.0-20260402040506-574a5e81cb59","Time":"2026-04-02T04:05:20Z"}' > "$g/github.com/dagger/querybuilder/@latest"
  tar --numeric-owner -C "$stage" -cf "$C/gosdk-stage.tar" .
  rm -rf "$GOSDK_DIR.tmp"
  "$H/bin/devtool" image --oci-layout "$GOSDK_DIR.tmp" \
    --layer "linux/amd64=$rootfs" --layer "linux/amd64=$C/gosdk-stage.tar" \
    --env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env GOPATH=/go --env GOTOOLCHAIN=local \
    --env "GOPROXY=file:///usr/local/share/goproxy,$(go env GOPROXY)" \
    --env "GOSUMDB=$(go env GOSUMDB)" \
    --digest-file "$GOSDK_DIR.tmp/manifest-digest"
  rm -rf "$GOSDK_DIR" && mv "$GOSDK_DIR.tmp" "$GOSDK_DIR"
  rm -rf "$stage" "$C/gosdk-stage.tar"
}

# host_cas lists the host's own CA certificates, one path per line.
host_cas() {
  [ -d "$HOST_CA_DIR" ] || return 0
  find "$HOST_CA_DIR" -name '*.crt' -type f | sort
}

# --- the engine ------------------------------------------------------------------

write_engine_config() {
  mkdir -p "$H/conf" "$H/ovl/etc-up/dagger"
  printf 'debug = false\n' > "$H/conf/buildkitd.toml"
  # gc: the default keeps 20 % of the disk free and prunes every cache volume on
  # a fuller disk; these byte values keep the cache warm between runs.
  cat > "$H/ovl/etc-up/dagger/engine.json" <<JSON
{
  "gc": {"minFreeSpace": 2000000000, "reservedSpace": 10000000000, "maxUsedSpace": 40000000000},
  "registries": {
    "docker.io": {"mirrors": ["127.0.0.1:$MIRROR_PORT"]},
    "127.0.0.1:$MIRROR_PORT": {"http": true, "insecure": true},
    "127.0.0.1:$REGISTRY_PORT": {"http": true, "insecure": true},
    "localhost:$REGISTRY_PORT": {"http": true, "insecure": true}
  }
}
JSON
  mkdir -p "$H/cni-bin"
  for p in bridge firewall host-local loopback; do ln -sf "/usr/lib/cni/$p" "$H/cni-bin/$p"; done
  ln -sf "$ENGINE_BIN/dnsname" "$H/cni-bin/dnsname"
}

ensure_binfmt() {
  case " $KFP_BASE_PLATFORMS " in *linux/arm64*) ;; *) return 0 ;; esac
  [ -f /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  if [ ! -f /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    # F (fix binary): the interpreter is opened now, so it works inside containers
    # whose root filesystem has no qemu.
    cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register
  fi
  grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 || die "qemu-aarch64 binfmt is registered without the F flag"
}

# stop_orphan_dnsmasq stops a dnsmasq that the engine's dnsname plugin
# started for our network and that outlived the engine (killed, crashed): it
# holds port 53 on the bridge and makes the next engine fail with
# "dnsname failed (add)". Call it only while no engine of ours runs.
stop_orphan_dnsmasq() {
  local p pid
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/dnsmasq ] || continue
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null |
      grep -qF -- "--conf-file=/var/run/containers/cni/dnsname/$ENGINE_NETWORK_NAME/dnsmasq.conf " || continue
    log "stopping dnsmasq $pid, left by an engine that did not stop cleanly"
    kill "$pid" 2>/dev/null || true
  done
}

start_engine() {
  local bin=$ENGINE_BIN
  if pid_is "$H/run/engine.pid" "$(engine_exe)" && [ -S "$H/run/engine.sock" ]; then return 0; fi
  stop_orphan_dnsmasq
  write_engine_config
  mkdir -p "$H/state" "$H/ovl/usr-up" "$H/ovl/usr-work" "$H/ovl/etc-work"
  rm -f "$H/run/engine.sock"
  log "starting the engine"
  # A private mount namespace: /usr and /etc get overlays, /run a tmpfs, so the
  # engine's iptables symlinks and resolv.conf bind mount never touch the host.
  # The engine sees an empty $HOST_CA_DIR: given CAs there, it installs them into
  # every container before each exec and removes them after, running
  # update-ca-certificates twice per exec (3 to 5 s each on 2 cores, about 70 %
  # of a signed publish-all's time). No container here needs them but the Go
  # SDK's, which has them built in (build_gosdk_image).
  # The host network namespace is shared so the engine reaches the loopback registries.
  # shellcheck disable=SC2016 # expanded by the inner bash
  CA_DIR=$HOST_CA_DIR BIN="$bin" H="$H" GOSDK_DIR="$GOSDK_DIR" NET_NAME=$ENGINE_NETWORK_NAME NET_CIDR=$ENGINE_NETWORK_CIDR \
  setsid unshare -m --propagation private -- bash -c '
    set -euo pipefail
    mount -t overlay overlay -o lowerdir=/usr,upperdir=$H/ovl/usr-up,workdir=$H/ovl/usr-work /usr
    mount -t overlay overlay -o lowerdir=/etc,upperdir=$H/ovl/etc-up,workdir=$H/ovl/etc-work /etc
    mount -t tmpfs tmpfs /run
    if [ -d "$CA_DIR" ]; then mount -t tmpfs -o ro,mode=0755 tmpfs "$CA_DIR"; fi
    ln -sf /usr/sbin/xtables-legacy-multi /usr/bin/xtables-legacy-multi
    ln -sf /usr/sbin/xtables-nft-multi /usr/bin/xtables-nft-multi
    mkdir -p /usr/local/bin /usr/local/share/dagger/content
    ln -sf /usr/sbin/runc /usr/local/bin/runc
    cp "$BIN/dagger-init" /usr/local/bin/dagger-init
    mount --bind "$GOSDK_DIR" /usr/local/share/dagger/content
    export DAGGER_GO_SDK_MANIFEST_DIGEST=$(cat "$GOSDK_DIR/manifest-digest")
    echo $$ > "$H/run/engine.pid"
    exec "$BIN/dagger-engine" --config "$H/conf/buildkitd.toml" --root "$H/state" \
      --addr "unix://$H/run/engine.sock" --oci-cni-binary-dir "$H/cni-bin" \
      --network-name "$NET_NAME" --network-cidr "$NET_CIDR"
  ' > "$H/log/engine.log" 2>&1 < /dev/null 9>&- &
  for _ in $(seq 1 240); do
    [ -S "$H/run/engine.sock" ] && { log "engine up (pid $(cat "$H/run/engine.pid"))"; return 0; }
    kill -0 $! 2>/dev/null || break
    sleep 0.5
  done
  tail -30 "$H/log/engine.log" >&2
  die "the engine did not start; log: $H/log/engine.log"
}

# stop_pid PIDFILE NAME SECONDS EXE-PATTERN stops the process the PID file
# names, if it is still the program we started; a stale PID file whose number
# now belongs to another process is removed and nothing is killed.
stop_pid() {
  local f=$1 name=$2 secs=$3 exe=$4 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if pid_is "$f" "$exe"; then
    kill -TERM "$pid"
    for _ in $(seq 1 $((secs * 2))); do pid_is "$f" "$exe" || break; sleep 0.5; done
    if pid_is "$f" "$exe"; then log "$name did not stop in ${secs}s; killing"; kill -KILL "$pid"; sleep 1; fi
    log "$name stopped"
  elif kill -0 "$pid" 2>/dev/null; then
    log "stale $name PID file: pid $pid is $(readlink "/proc/$pid/exe" 2>/dev/null || echo 'another program'), not ours; not killed"
  fi
  rm -f "$f"
}

# with_lock runs a command while holding the bootstrap lock, so two up (or an
# up and a down) never run at once: the second waits, then finds what the
# first started.
with_lock() {
  mkdir -p "$H"
  exec 9> "$H/lock"
  if ! flock -n 9; then
    log "waiting for another hack/engine.sh up/down to finish"
    flock 9
  fi
  "$@"
}

# --- host firewall -------------------------------------------------------------------

# engine_firewall_rules prints, as iptables-restore input, the deletions of
# every rule and chain the engine's CNI network left in one iptables backend
# (hack/engine-firewall.py says which are ours).
engine_firewall_rules() { # iptables-save command
  "$1" 2>/dev/null | python3 "$HACK_DIR/engine-firewall.py" "$ENGINE_NETWORK_NAME" "$ENGINE_NETWORK_CIDR"
}

# remove_firewall_rules deletes what engine_firewall_rules finds, in the
# legacy and the nft backend, and fails if any rule of the network is left.
remove_firewall_rules() {
  local backend rules
  for backend in legacy nft; do
    command -v "iptables-$backend-save" >/dev/null || continue
    rules=$(engine_firewall_rules "iptables-$backend-save")
    [ -n "$rules" ] || continue
    log "removing $(grep -c '^-[DX] ' <<< "$rules") firewall/NAT rules and chains of $ENGINE_NETWORK_CIDR (iptables-$backend)"
    "iptables-$backend-restore" --noflush <<< "$rules" || die "iptables-$backend-restore could not remove the engine's rules"
    [ -z "$(engine_firewall_rules "iptables-$backend-save")" ] \
      || die "iptables-$backend rules of $ENGINE_NETWORK_CIDR are still there after down (iptables-$backend-save shows them)"
  done
}

# --- steps of up that run concurrently ------------------------------------------------

declare -A BACKGROUND=()

# in_background NAME COMMAND... runs a step of up concurrently, its output in
# $H/log/up-NAME.log; wait_for NAME waits for it and fails up if it failed.
in_background() {
  local name=$1; shift
  ( "$@" ) > "$H/log/up-$name.log" 2>&1 < /dev/null 9>&- &
  BACKGROUND[$name]=$!
}

wait_for() {
  local name=$1 pid=${BACKGROUND[$1]:-}
  [ -n "$pid" ] || return 0
  unset "BACKGROUND[$name]"
  if ! wait "$pid"; then
    tail -30 "$H/log/up-$name.log" >&2
    die "$name failed; log: $H/log/up-$name.log"
  fi
  grep -h '^\[' "$H/log/up-$name.log" >&2 || true
}

# --- commands ----------------------------------------------------------------------

cmd_up() {
  local t0=$SECONDS tools=no
  case "${1:-}" in
    "") ;;
    --with-tools) tools=yes ;;
    *) die "up: unknown flag $1 (only --with-tools)" ;;
  esac
  mkdir -p "$H/bin" "$H/run" "$H/log" "$H/mirror" "$C"
  mkdir -p "$H/conf" && chmod 0700 "$H/conf"
  ensure_packages
  ensure_binfmt
  build_tools
  # The engine and the tool binaries compile while the base images are made
  # (debootstrap and apt wait on the network and on qemu more than on the CPU).
  in_background engine build_engine
  if [ "$tools" = yes ] && [ ! -f "$(tools_stamp)" ]; then
    in_background tool-binaries env DEVTOOL="$H/bin/devtool" bash "$HACK_DIR/tool-images.sh" build
  fi
  pick_ports
  write_password
  start_mirror "$tools"
  start_registry registry "$REGISTRY_PORT" yes no
  wait_for engine
  build_gosdk_image
  start_engine
  log "up in $((SECONDS - t0)) s; run: eval \"\$($0 env)\""
}

cmd_down() {
  stop_pid "$H/run/engine.pid" engine 60 "$(engine_exe)"
  stop_orphan_dnsmasq
  stop_pid "$H/run/registry.pid" registry 10 "$(registry_bin)"
  stop_pid "$H/run/mirror.pid" mirror 10 "$(registry_bin)"
  rm -f "$H/run/engine.sock"
  if ip link show "${ENGINE_NETWORK_NAME}0" >/dev/null 2>&1; then ip link del "${ENGINE_NETWORK_NAME}0"; fi
  rm -rf "/var/lib/cni/networks/$ENGINE_NETWORK_NAME" "/var/run/containers/cni/dnsname/$ENGINE_NETWORK_NAME"
  remove_firewall_rules
  log "down; left in place: the binfmt_misc entry qemu-aarch64 (host-wide; remove with: echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64), the caches in $C and the registries' data in $H"
}

# cmd_status only reads: it answers at once, also on a machine that never ran up.
cmd_status() {
  local rc=0
  if ! load_ports; then
    echo "not set up: run hack/engine.sh up"
    return 1
  fi
  if pid_is "$H/run/engine.pid" "$(engine_exe)" && [ -S "$H/run/engine.sock" ]; then
    echo "engine:   up (pid $(cat "$H/run/engine.pid"), unix://$H/run/engine.sock)"
  else echo "engine:   down"; rc=1; fi
  if pid_is "$H/run/mirror.pid" "$(registry_bin)"; then echo "mirror:   up (127.0.0.1:$MIRROR_PORT, docker.io mirror, no auth, $(registry_mode mirror))"
  else echo "mirror:   down"; rc=1; fi
  if pid_is "$H/run/registry.pid" "$(registry_bin)"; then echo "registry: up (127.0.0.1:$REGISTRY_PORT, htpasswd user kfp)"
  else echo "registry: down"; rc=1; fi
  return $rc
}

cmd_env() {
  [ -f "$H/conf/ports.env" ] || die "not set up yet: run hack/engine.sh up"
  load_ports
  local bin=$ENGINE_BIN
  cat <<ENV
export _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://$H/run/engine.sock
export _EXPERIMENTAL_DAGGER_CLI_BIN=$bin/dagger
export PATH=$bin:\$PATH
export DO_NOT_TRACK=1 DAGGER_NO_NAG=1
export KFP_MIRROR=127.0.0.1:$MIRROR_PORT
export KFP_REGISTRY=127.0.0.1:$REGISTRY_PORT
export KFP_REGISTRY_USERNAME=kfp
export KFP_REGISTRY_PASSWORD_FILE=$H/conf/registry-password
ENV
}

case "${1:-}" in
  up) shift; with_lock cmd_up "$@" ;;
  down) with_lock cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  build) mkdir -p "$C"; with_lock ensure_packages; with_lock build_engine ;;
  *) echo "usage: hack/engine.sh up [--with-tools]|down|status|env|build" >&2; exit 2 ;;
esac
