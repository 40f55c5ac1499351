#!/usr/bin/env bash
# buildkit.sh runs raw BuildKit (buildkitd + buildctl at $BUILDKIT_VERSION from
# versions.env) beside kfp-dagger's engine, as the baseline hack/bench.sh
# compares kfp-dagger with. It uses the docker.io mirror and the publish
# registry hack/engine.sh runs, so both tools pull the same base images.
#
#   hack/buildkit.sh build    only build and cache buildkitd and buildctl
#   hack/buildkit.sh up       build what is missing (cached), start buildkitd
#   hack/buildkit.sh down     stop buildkitd by PID, remove its bridge and firewall rules
#   hack/buildkit.sh status   say whether buildkitd runs, exit 1 if not
#   hack/buildkit.sh env      print the exports buildctl needs (eval "$(hack/buildkit.sh env)")
#
# `go install github.com/moby/buildkit/cmd/...@version` is refused (BuildKit's
# go.mod has exclude directives), so the binaries are built inside a copy of
# the module from the Go module proxy and cached under
# $KFP_DAGGER_CACHE/buildkit-<version>/. buildkitd runs as root in a private
# mount namespace with its own state under $KFP_BENCH_HOME, its own bridge
# (bkbr0, 10.199.0.0/16; the engine's is kfpdag0, 10.88.0.0/16) and its own
# CNI IPAM directory; it shares the host network namespace to reach the
# loopback registries. Nothing is written to the repository.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)
# shellcheck source=SCRIPTDIR/../versions.env
. "$REPO_ROOT/versions.env"

export KFP_DAGGER_CACHE=${KFP_DAGGER_CACHE:-/var/cache/kfp-dagger}
B=${KFP_BENCH_HOME:-/var/lib/kfp-dagger-bench}
BK_BIN="$KFP_DAGGER_CACHE/buildkit-$BUILDKIT_VERSION"
# The bridge is NETWORK0, the form hack/engine-firewall.py recognises.
BK_NETWORK=${KFP_BENCH_NETWORK:-bkbr}
BK_CIDR=${KFP_BENCH_CIDR:-10.199.0.0/16}
export PATH=/usr/local/go/bin:$PATH
export GOTOOLCHAIN=local

log() { printf '[buildkit.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'buildkit.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (buildkitd needs mount namespaces, runc and iptables)"

# build compiles buildkitd and buildctl once per version.
build() {
  if [ -x "$BK_BIN/buildkitd" ] && [ -x "$BK_BIN/buildctl" ]; then return 0; fi
  local t0=$SECONDS mod src
  log "building buildkitd and buildctl $BUILDKIT_VERSION into $BK_BIN (inside a copy of the module: go install refuses it)"
  go mod download "github.com/moby/buildkit@$BUILDKIT_VERSION"
  mod=$(go env GOMODCACHE)
  src="$KFP_DAGGER_CACHE/src/buildkit-$BUILDKIT_VERSION"
  rm -rf "$src" && mkdir -p "$KFP_DAGGER_CACHE/src"
  cp -r "$mod/github.com/moby/buildkit@$BUILDKIT_VERSION" "$src" && chmod -R u+w "$src"
  rm -rf "$BK_BIN.tmp" && mkdir -p "$BK_BIN.tmp"
  (
    cd "$src"
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
      -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION -X github.com/moby/buildkit/version.Revision=modproxy" \
      -o "$BK_BIN.tmp/" ./cmd/buildkitd ./cmd/buildctl
  )
  rm -rf "$BK_BIN" && mv "$BK_BIN.tmp" "$BK_BIN"
  rm -rf "$src"
  "$BK_BIN/buildctl" --version >&2
  log "built in $((SECONDS - t0)) s"
}

# engine_env reads the mirror and registry addresses from hack/engine.sh.
engine_env() {
  [ -n "${KFP_MIRROR:-}" ] && [ -n "${KFP_REGISTRY:-}" ] && [ -n "${KFP_REGISTRY_PASSWORD_FILE:-}" ] && return 0
  eval "$("$HACK_DIR/engine.sh" env)"
}

# pid_is PIDFILE: the PID file names a live buildkitd of ours.
pid_is() {
  local pid exe
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [ "$exe" = "$BK_BIN/buildkitd" ]
}

write_config() {
  mkdir -p "$B/conf" "$B/state" "$B/run" "$B/log" "$B/cni"
  cat > "$B/conf/buildkitd.toml" <<TOML
root = "$B/state"
debug = false
[grpc]
  address = ["unix://$B/run/buildkitd.sock"]
[worker.oci]
  enabled = true
  binary = "/usr/sbin/runc"
  snapshotter = "overlayfs"
  networkMode = "bridge"
  cniBinaryPath = "/usr/lib/cni"
  bridgeName = "${BK_NETWORK}0"
  bridgeSubnet = "$BK_CIDR"
  cniPoolSize = 4
  gc = true
  reservedSpace = "10GB"
  maxUsedSpace = "40GB"
  minFreeSpace = "2GB"
[worker.containerd]
  enabled = false
[registry."docker.io"]
  mirrors = ["$KFP_MIRROR"]
[registry."$KFP_MIRROR"]
  http = true
  insecure = true
[registry."$KFP_REGISTRY"]
  http = true
  insecure = true
TOML
}

# write_docker_config writes a docker config.json with the publish
# registry's credentials, which buildctl hands to buildkitd for pushes.
write_docker_config() {
  (
    umask 077
    mkdir -p "$B/docker"
    local auth
    auth=$(printf 'kfp:%s' "$(cat "$KFP_REGISTRY_PASSWORD_FILE")" | base64 -w0)
    printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$KFP_REGISTRY" "$auth" > "$B/docker/config.json.tmp"
    mv "$B/docker/config.json.tmp" "$B/docker/config.json"
  )
}

cmd_up() {
  build
  engine_env
  if pid_is "$B/run/buildkitd.pid" && [ -S "$B/run/buildkitd.sock" ]; then
    log "buildkitd already up (pid $(cat "$B/run/buildkitd.pid"))"
    return 0
  fi
  if ip link show "${BK_NETWORK}0" >/dev/null 2>&1 && ! pid_is "$B/run/buildkitd.pid"; then
    die "bridge ${BK_NETWORK}0 exists but our buildkitd is not running: run hack/buildkit.sh down first"
  fi
  write_config
  write_docker_config
  rm -f "$B/run/buildkitd.sock"
  log "starting buildkitd"
  # A private mount namespace; /var/lib/cni (host-local IPAM) is bind-mounted
  # from our own directory so the host's CNI state is never touched.
  # shellcheck disable=SC2016 # expanded by the inner bash
  BIN="$BK_BIN" B="$B" setsid unshare -m --propagation private -- bash -c '
    set -euo pipefail
    mkdir -p /var/lib/cni
    mount --bind "$B/cni" /var/lib/cni
    echo $$ > "$B/run/buildkitd.pid"
    exec "$BIN/buildkitd" --config "$B/conf/buildkitd.toml"
  ' > "$B/log/buildkitd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 120); do
    if [ -S "$B/run/buildkitd.sock" ] && "$BK_BIN/buildctl" --addr "unix://$B/run/buildkitd.sock" debug workers >/dev/null 2>&1; then
      log "buildkitd up (pid $(cat "$B/run/buildkitd.pid"), unix://$B/run/buildkitd.sock)"
      return 0
    fi
    kill -0 $! 2>/dev/null || break
    sleep 0.5
  done
  tail -30 "$B/log/buildkitd.log" >&2
  die "buildkitd did not start; log: $B/log/buildkitd.log"
}

# remove_firewall_rules deletes the rules and chains the CNI bridge, ipMasq
# and firewall plugins added for our bridge and subnet (in both iptables
# backends), with the parser hack/engine.sh uses for the engine's network.
remove_firewall_rules() {
  local backend rules
  for backend in legacy nft; do
    command -v "iptables-$backend-save" >/dev/null || continue
    rules=$("iptables-$backend-save" 2>/dev/null | python3 "$HACK_DIR/engine-firewall.py" "$BK_NETWORK" "$BK_CIDR")
    [ -n "$rules" ] || continue
    log "removing $(grep -c '^-[DX] ' <<< "$rules") firewall/NAT rules and chains of $BK_CIDR (iptables-$backend)"
    "iptables-$backend-restore" --noflush <<< "$rules" || die "iptables-$backend-restore could not remove buildkitd's rules"
  done
}

# remove_isolation_chains removes the firewall plugin's CNI-ISOLATION chains
# (ingressPolicy same-bridge) and the FORWARD rule jumping to them once no
# bridge's rule is left in them: only buildkitd's network made them here.
remove_isolation_chains() {
  local backend save comment="CNI firewall plugin rules (ingressPolicy: same-bridge)"
  for backend in legacy nft; do
    command -v "iptables-$backend-save" >/dev/null || continue
    save=$("iptables-$backend-save" -t filter 2>/dev/null) || continue
    grep -q '^:CNI-ISOLATION-STAGE-1 ' <<< "$save" || continue
    # another network's rules still use them: leave them
    if grep -E '^-A CNI-ISOLATION-STAGE-[12] ' <<< "$save" | grep -vq -- '-j RETURN$'; then continue; fi
    log "removing the empty CNI-ISOLATION chains (iptables-$backend)"
    while "iptables-$backend" -D FORWARD -m comment --comment "$comment" -j CNI-ISOLATION-STAGE-1 2>/dev/null; do :; done
    "iptables-$backend" -F CNI-ISOLATION-STAGE-1 && "iptables-$backend" -X CNI-ISOLATION-STAGE-1
    "iptables-$backend" -F CNI-ISOLATION-STAGE-2 && "iptables-$backend" -X CNI-ISOLATION-STAGE-2
  done
}

cmd_down() {
  local f="$B/run/buildkitd.pid" pid
  if pid_is "$f"; then
    pid=$(cat "$f")
    kill -TERM "$pid"
    for _ in $(seq 1 40); do pid_is "$f" || break; sleep 0.5; done
    if pid_is "$f"; then log "buildkitd did not stop in 20s; killing"; kill -KILL "$pid"; sleep 1; fi
    log "buildkitd stopped"
  elif [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
    log "stale PID file: pid $(cat "$f") is not our buildkitd; not killed"
  fi
  rm -f "$f" "$B/run/buildkitd.sock"
  if ip link show "${BK_NETWORK}0" >/dev/null 2>&1; then ip link del "${BK_NETWORK}0"; fi
  remove_firewall_rules
  remove_isolation_chains
  log "down; left in place: the binaries in $BK_BIN and the build cache in $B/state"
}

cmd_status() {
  if pid_is "$B/run/buildkitd.pid" && [ -S "$B/run/buildkitd.sock" ]; then
    echo "buildkitd: up (pid $(cat "$B/run/buildkitd.pid"), unix://$B/run/buildkitd.sock, bridge ${BK_NETWORK}0 $BK_CIDR)"
  else
    echo "buildkitd: down"
    return 1
  fi
}

cmd_env() {
  cat <<ENV
export BUILDKIT_HOST=unix://$B/run/buildkitd.sock
export KFP_BUILDKITD_PIDFILE=$B/run/buildkitd.pid
export PATH=$BK_BIN:\$PATH
export DOCKER_CONFIG=$B/docker
ENV
}

case "${1:-}" in
  build) build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: hack/buildkit.sh build|up|down|status|env" >&2; exit 2 ;;
esac
