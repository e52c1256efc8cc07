#!/usr/bin/env bash
# A real Kubernetes control plane for the e2e tests, on 127.0.0.1 only.
#
#   cluster.sh build        build etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#                           kubectl, kwok, kwokctl and lepeer into the cache (skipped when cached)
#   cluster.sh up           build if needed, start the cluster (idempotent), print the kubeconfig path
#   cluster.sh down         stop every process the cluster started and delete its state
#   cluster.sh kubeconfig   print the kubeconfig path
#   cluster.sh env          print KUBECONFIG=, KUBE_BIN= (kubectl & co) and LEPEER= for test harnesses
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
}

case "${1:-}" in
  build) cmd_build ;;
  up) cmd_up ;;
  down) cmd_down ;;
  kubeconfig) kubeconfig_path ;;
  env)
    echo "KUBECONFIG=$(kubeconfig_path)"
    echo "KUBE_BIN=$(bin_dir)"
    echo "LEPEER=$(peer_dir)/lepeer"
    ;;
  *) echo "usage: $0 build|up|down|kubeconfig|env" >&2; exit 2 ;;
esac
