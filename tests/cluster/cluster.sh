#!/usr/bin/env bash
# A real Kubernetes control plane for the e2e tests, on 127.0.0.1 only.
#
#   cluster.sh build        build etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#                           kubectl, kwok, kwokctl and lepeer into the cache (skipped when cached)
#   cluster.sh up           build if needed, start the cluster (idempotent), print the kubeconfig path
#   cluster.sh down         stop every process the cluster started and delete its state
#   cluster.sh kubeconfig   print the kubeconfig path
#   cluster.sh env          print KUBECONFIG=, KUBE_BIN= (kubectl & co) and LEPEER= for test harnesses
#   cluster.sh stop C       stop one component C of the cluster (SIGTERM, SIGKILL after 5s)
#   cluster.sh kill C       SIGKILL one component, as a crash would
#   cluster.sh start C      start a stopped component again, exactly as `up` started it (same
#                           binary, flags, ports, certificates and etcd data), and wait for it
#   cluster.sh restart C    stop, then start
#   cluster.sh ps           each component's pid, or "stopped"
#                           C: apiserver, controller-manager, scheduler, etcd, kwok (or the full
#                           kube-apiserver, kube-controller-manager, kube-scheduler, kwok-controller)
#   `up` on a running cluster starts again any component that died (e.g. the controller-manager).
#
# Everything is built with `go build` from the Go module proxy, pinned by go.mod/go.sum beside
# this script, into $KUBECTL_SINGLETON_CACHE (default ~/.cache/kubectl-singleton), keyed by the
# content of go.mod/go.sum and the Go version, so later runs start in seconds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}
CLUSTER_NAME=${KUBECTL_SINGLETON_CLUSTER:-kubectl-singleton-e2e}
NODE_COUNT=${KUBECTL_SINGLETON_NODES:-3}
export KWOK_WORKDIR="$CACHE_ROOT/kwok"

log() { echo "cluster.sh: $*" >&2; }
die() { echo "cluster.sh: error: $*" >&2; exit 1; }

module_version() { # the version go.mod pins for a module
  awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$HERE/go.mod"
}

K8S_VERSION=$(module_version k8s.io/kubernetes)
ETCD_VERSION=$(module_version go.etcd.io/etcd/server/v3)
KWOK_VERSION=$(module_version sigs.k8s.io/kwok)
[ -n "$K8S_VERSION" ] && [ -n "$ETCD_VERSION" ] && [ -n "$KWOK_VERSION" ] ||
  die "cannot read the pinned versions from $HERE/go.mod"

require_go() {
  command -v go >/dev/null || die "Go is not installed: the e2e suite builds its control plane with Go >= 1.26"
  local need have
  need=$(awk '$1 == "go" { print $2; exit }' "$HERE/go.mod")
  have=$(go env GOVERSION | sed 's/^go//')
  [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" = "$need" ] ||
    die "Go $have is older than the $need this control plane needs (GOTOOLCHAIN=local: no toolchain is downloaded)"
}

hash_of() { cat "$@" | sha256sum | cut -c1-12; }

# Cache key: what is built (go.mod, go.sum) and what builds it (the Go version).
bin_dir() {
  local key
  key=$( { cat "$HERE/go.mod" "$HERE/go.sum"; go env GOVERSION; } | sha256sum | cut -c1-12)
  echo "$CACHE_ROOT/bin/kube-$K8S_VERSION-$key"
}
peer_dir() { echo "$CACHE_ROOT/bin/lepeer-$( { cat "$HERE/go.sum" "$HERE"/lepeer/*.go; go env GOVERSION; } | sha256sum | cut -c1-12)"; }

go_build() { # go_build OUT_DIR_OR_FILE PACKAGE... with pinned modules, no cgo, no toolchain download
  local ldflags="-s -w"
  local v
  for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
    ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$HERE" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
    go build -trimpath -ldflags "$ldflags" -o "$@")
}

cmd_build() {
  require_go
  mkdir -p "$CACHE_ROOT/bin"
  exec 9>"$CACHE_ROOT/build.lock"
  flock 9
  local bin peer
  bin=$(bin_dir)
  peer=$(peer_dir)
  if [ ! -e "$bin/.complete" ]; then
    log "building Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION into $bin (first run: about 15 minutes on 2 cores)"
    local started=$SECONDS
    rm -rf "$bin.tmp" && mkdir -p "$bin.tmp"
    go_build "$bin.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl \
      sigs.k8s.io/kwok/cmd/kwok \
      sigs.k8s.io/kwok/cmd/kwokctl
    go_build "$bin.tmp/etcd" go.etcd.io/etcd/server/v3
    touch "$bin.tmp/.complete"
    rm -rf "$bin" && mv "$bin.tmp" "$bin"
    log "built the control plane in $((SECONDS - started))s"
  fi
  if [ ! -x "$peer/lepeer" ]; then
    rm -rf "$peer.tmp" && mkdir -p "$peer.tmp"
    go_build "$peer.tmp/lepeer" ./lepeer
    rm -rf "$peer" && mv "$peer.tmp" "$peer"
  fi
  exec 9>&- # unlock; nothing started later may inherit the lock
}

kubeconfig_path() { echo "$KWOK_WORKDIR/clusters/$CLUSTER_NAME/kubeconfig.yaml"; }

kctl() { "$(bin_dir)/kubectl" --kubeconfig "$(kubeconfig_path)" "$@"; }

healthy() { [ -f "$(kubeconfig_path)" ] && kctl get --raw /readyz >/dev/null 2>&1; }

write_config() {
  local bin=$1 file=$2
  cat >"$file" <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeVersion: $K8S_VERSION
  etcdVersion: ${ETCD_VERSION#v}
  kwokVersion: $KWOK_VERSION
  kubeApiserverBinary: $bin/kube-apiserver
  kubeControllerManagerBinary: $bin/kube-controller-manager
  kubeSchedulerBinary: $bin/kube-scheduler
  kubectlBinary: $bin/kubectl
  kwokControllerBinary: $bin/kwok
  etcdBinary: $bin/etcd
  # Coordinated leader election (beta, off by default) so release --to can be tested for real.
  kubeFeatureGates: CoordinatedLeaderElection=true
  kubeRuntimeConfig: coordination.k8s.io/v1beta1=true
  kubeAuthorization: true
YAML
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out waiting for $what"
    sleep 1
  done
}

leases_elected() {
  local holders
  holders=$(kctl get leases -n kube-system kube-controller-manager kube-scheduler \
    -o jsonpath='{.items[*].spec.holderIdentity}' 2>/dev/null) || return 1
  [ "$(echo "$holders" | wc -w)" -eq 2 ]
}

nodes_ready() {
  local ready
  ready=$(kctl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)
  [ "$ready" -ge "$NODE_COUNT" ]
}

create_nodes() {
  local i
  [ "$NODE_COUNT" -gt 0 ] || return 0
  for i in $(seq 0 $((NODE_COUNT - 1))); do
    cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
spec: {}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
YAML
  done | kctl apply -f - >/dev/null
}

cmd_up() {
  cmd_build
  local bin
  bin=$(bin_dir)
  export PATH="$bin:$PATH" # kwokctl runs the kubectl it finds first
  exec 8>"$CACHE_ROOT/up.lock"
  flock 8
  if ! healthy; then
    if [ -d "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" ]; then
      log "removing a stale cluster $CLUSTER_NAME"
      kwokctl delete cluster --name "$CLUSTER_NAME" >&2 || true
    fi
    mkdir -p "$KWOK_WORKDIR"
    local config="$KWOK_WORKDIR/$CLUSTER_NAME.kwokctl.yaml" started=$SECONDS
    write_config "$bin" "$config"
    log "starting cluster $CLUSTER_NAME (Kubernetes $K8S_VERSION) on 127.0.0.1"
    # 8>&-: the daemons kwokctl starts must not inherit (and so hold forever) our lock.
    kwokctl create cluster --name "$CLUSTER_NAME" --config "$config" --runtime binary --wait 3m >&2 8>&- ||
      die "kwokctl could not start the cluster; logs: kwokctl logs --name $CLUSTER_NAME <component> (KWOK_WORKDIR=$KWOK_WORKDIR)"
    wait_for 120 "the API server" healthy
    log "control plane ready in $((SECONDS - started))s"
  else
    # A running cluster whose controller-manager, scheduler or kwok died gets them back.
    local c
    # Never fatal here: the waits below decide (another run may be stopping the cluster now).
    for c in kube-controller-manager kube-scheduler kwok-controller; do
      component_running "$c" || (start_component "$c") || log "could not start $c again"
    done
  fi
  create_nodes
  wait_for 120 "$NODE_COUNT kwok nodes to be Ready" nodes_ready
  wait_for 120 "kube-controller-manager and kube-scheduler to elect leaders" leases_elected
  wait_for 60 "the default service account" kctl get serviceaccount default -n default
  exec 8>&-
  kubeconfig_path
}

cmd_down() {
  local bin
  bin=$(bin_dir)
  if [ -d "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" ] && [ -x "$bin/kwokctl" ]; then
    PATH="$bin:$PATH" kwokctl delete cluster --name "$CLUSTER_NAME" >&2 8>&- 9>&-
  else
    log "no cluster $CLUSTER_NAME to stop"
  fi
  reap_leftovers
}

# kwokctl delete does not always stop a component this script restarted (seen: a restarted
# controller-manager or API server outliving `down`), and a leftover holds its port and spins
# against a deleted etcd. Anything still running a binary of this cluster's folder is stopped.
reap_leftovers() {
  local pattern="$KWOK_WORKDIR/clusters/$CLUSTER_NAME/bin/" i
  pgrep -f "$pattern" >/dev/null || return 0
  log "stopping leftover processes of $CLUSTER_NAME"
  pkill -TERM -f "$pattern" || true
  for i in 1 2 3 4 5 6 7 8 9 10; do
    pgrep -f "$pattern" >/dev/null || return 0
    sleep 0.5
  done
  pkill -KILL -f "$pattern" || true
}

# --- one component at a time -------------------------------------------------------------
# kwokctl can only start or stop a whole cluster, so one component is run here exactly as
# kwokctl runs it: the binary, args and workDir it recorded in the cluster's kwok.yaml, output
# appended to logs/NAME.log, its pid in pids/NAME.pid (which `kwokctl delete cluster` reads, so
# `down` still stops a restarted component).

cluster_dir() { echo "$KWOK_WORKDIR/clusters/$CLUSTER_NAME"; }

component_name() { # the short or full name of a component -> kwokctl's name for it
  case "$1" in
    apiserver | kube-apiserver) echo kube-apiserver ;;
    controller-manager | kube-controller-manager) echo kube-controller-manager ;;
    scheduler | kube-scheduler) echo kube-scheduler ;;
    etcd) echo etcd ;;
    kwok | kwok-controller) echo kwok-controller ;;
    *) die "unknown component '$1' (apiserver, controller-manager, scheduler, etcd, kwok)" ;;
  esac
}

# component_field NAME FIELD: binary or workDir of a component; component_args NAME: its args,
# one per line. Read from the kwok.yaml kwokctl wrote (its own fixed layout: a list of
# components, two-space keys, args as a plain list).
component_field() {
  awk -v want="$1" -v field="$2" '
    /^- / { inside = 0; name = ""; value = "" ; sub(/^- /, "  ") }
    /^  [A-Za-z]+:/ { key = $1; sub(/:$/, "", key); rest = $0; sub(/^  [A-Za-z]+: ?/, "", rest)
      if (key == "name") name = rest; if (key == field) value = rest
      if (name == want && value != "") { print value; exit } }
  ' "$(cluster_dir)/kwok.yaml"
}

component_args() {
  awk -v want="$1" '
    function flush() { if (name == want) { printf "%s", out; found = 1 } out = ""; name = "" }
    /^- / { flush(); sub(/^- /, "  ") }
    /^[^ -]/ { flush(); next }
    /^  [A-Za-z]+:/ { key = $1; sub(/:$/, "", key)
      if (key == "name") { name = $0; sub(/^  name: /, "", name) } next }
    /^  - / && key == "args" { v = $0; sub(/^  - /, "", v)
      if (v ~ /^'\''.*'\''$/) { v = substr(v, 2, length(v) - 2); gsub(/'\'''\''/, "'\''", v) }
      else if (v ~ /^".*"$/) { v = substr(v, 2, length(v) - 2) }
      out = out v "\n" }
    END { flush(); exit found ? 0 : 1 }
  ' "$(cluster_dir)/kwok.yaml"
}

component_pid() { cat "$(cluster_dir)/pids/$1.pid" 2>/dev/null || true; }

component_running() { # the pid file names a live process running this component's binary
  local pid binary
  pid=$(component_pid "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  binary=$(component_field "$1" binary)
  [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -1)" = "$binary" ]
}

stop_component() { # stop_component NAME SIGNAL
  local name=$1 signal=$2 pid deadline
  if ! component_running "$name"; then
    log "$name of $CLUSTER_NAME is not running"
    return 0
  fi
  pid=$(component_pid "$name")
  kill -s "$signal" "$pid"
  # The API server stops listening at once on SIGTERM but can linger on open watches.
  deadline=$((SECONDS + 5))
  while [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "$name (pid $pid) still running 5s after SIG$signal: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 15))
      signal=KILL
    fi
    sleep 0.1
  done
  log "stopped $name of $CLUSTER_NAME (pid $pid, SIG$signal)"
}

start_component() {
  local name=$1 dir binary workdir pid
  dir=$(cluster_dir)
  [ -f "$dir/kwok.yaml" ] || die "no cluster $CLUSTER_NAME (run: cluster.sh up)"
  if component_running "$name"; then
    log "$name of $CLUSTER_NAME is already running (pid $(component_pid "$name"))"
    return 0
  fi
  binary=$(component_field "$name" binary)
  workdir=$(component_field "$name" workDir)
  [ -x "$binary" ] && [ -d "$workdir" ] || die "kwok.yaml of $CLUSTER_NAME names no runnable $name"
  local args=()
  mapfile -t args < <(component_args "$name") || die "kwok.yaml of $CLUSTER_NAME has no args for $name"
  # Detached like kwokctl's own daemons: its own session, no terminal, none of our locks.
  (cd "$workdir" && exec setsid "$binary" "${args[@]}" </dev/null >>"$dir/logs/$name.log" 2>&1 8>&- 9>&-) &
  pid=$!
  echo "$pid" >"$dir/pids/$name.pid"
  sleep 0.5
  [ -e "/proc/$pid" ] || die "$name exited at once; see $dir/logs/$name.log"
  case "$name" in
    kube-apiserver) wait_for 90 "the API server to be ready again" healthy ;;
    etcd) sleep 1 ;;
  esac
  log "started $name of $CLUSTER_NAME (pid $pid)"
  if [ "$name" = kube-apiserver ]; then
    # An outage longer than their renewDeadline (10s) makes the controller-manager and the
    # scheduler exit ("leaderelection lost"), as on a real node where the kubelet restarts them.
    local c
    for c in kube-controller-manager kube-scheduler; do
      component_running "$c" || (start_component "$c") || log "could not start $c again"
    done
  fi
}

cmd_component() { # cmd_component stop|kill|start|restart C
  local action=$1 name
  [ -n "${2:-}" ] || die "usage: cluster.sh $action apiserver|controller-manager|scheduler|etcd|kwok"
  name=$(component_name "$2")
  [ -f "$(cluster_dir)/kwok.yaml" ] || die "no cluster $CLUSTER_NAME (run: cluster.sh up)"
  case "$action" in
    stop) stop_component "$name" TERM ;;
    kill) stop_component "$name" KILL ;;
    start) start_component "$name" ;;
    restart) stop_component "$name" TERM && start_component "$name" ;;
  esac
}

cmd_ps() {
  local c
  [ -f "$(cluster_dir)/kwok.yaml" ] || die "no cluster $CLUSTER_NAME"
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller; do
    if component_running "$c"; then echo "$c $(component_pid "$c")"; else echo "$c stopped"; fi
  done
}

case "${1:-}" in
  build) cmd_build ;;
  stop | kill | start | restart) cmd_component "$1" "${2:-}" ;;
  ps) cmd_ps ;;
  up) cmd_up ;;
  down) cmd_down ;;
  kubeconfig) kubeconfig_path ;;
  env)
    echo "KUBECONFIG=$(kubeconfig_path)"
    echo "KUBE_BIN=$(bin_dir)"
    echo "LEPEER=$(peer_dir)/lepeer"
    ;;
  *) echo "usage: $0 build|up|down|kubeconfig|env|ps|stop C|kill C|start C|restart C" >&2; exit 2 ;;
esac
