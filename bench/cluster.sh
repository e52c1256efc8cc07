#!/usr/bin/env bash
# The benchmark's own control plane: tests/cluster/cluster.sh under another cluster name
# (default kubectl-singleton-bench; never the e2e suite's kubectl-singleton-e2e), with
# kube-controller-manager's client rate limit raised from its default 20 QPS / 30 burst to
# 200 / 400. At the default, creating 3,500 Deployments' and StatefulSets' ReplicaSets and pods
# (plus their status updates and events) takes the controller manager about 20 minutes; the tools
# measured are not affected (they are clients with their own limits).
#
#   bench/cluster.sh up     start (idempotent) and tune; prints the kubeconfig path
#   bench/cluster.sh down   stop it and delete its state
#   bench/cluster.sh env    KUBECONFIG=, KUBE_BIN=, like tests/cluster/cluster.sh env
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export KUBECTL_SINGLETON_CLUSTER=${KUBECTL_SINGLETON_CLUSTER:-kubectl-singleton-bench}
# No kwok-node-N of the e2e harness: bench/seed.sh makes the nodes. (Measured: pods the scheduler
# put on kwok-node-0 stayed Pending after the restart below, and seeding never settled.)
export KUBECTL_SINGLETON_NODES=${KUBECTL_SINGLETON_NODES:-0}
[ "$KUBECTL_SINGLETON_CLUSTER" != kubectl-singleton-e2e ] ||
  { echo "bench/cluster.sh: error: the e2e cluster is not for benchmarks; pick another KUBECTL_SINGLETON_CLUSTER" >&2; exit 1; }
CLUSTER=$ROOT/tests/cluster/cluster.sh
QPS=${BENCH_KCM_QPS:-200}

tune() {
  eval "$(bash "$CLUSTER" env)"
  local dir config
  dir=$(dirname "$KUBECONFIG")
  config=$dir/kwok.yaml # kwokctl's record of the cluster; `kwokctl start` runs what it says
  grep -q -- '--kube-api-qps=' "$config" && return 0
  grep -q -- '^  - --node-monitor-grace-period=' "$config" ||
    { echo "bench/cluster.sh: error: cannot find kube-controller-manager's arguments in $config" >&2; exit 1; }
  echo "bench/cluster.sh: restarting $KUBECTL_SINGLETON_CLUSTER with kube-controller-manager --kube-api-qps=$QPS --kube-api-burst=$((QPS * 2))" >&2
  sed -i "s/^  - --node-monitor-grace-period=.*$/&\n  - --kube-api-qps=$QPS\n  - --kube-api-burst=$((QPS * 2))/" "$config"
  export KWOK_WORKDIR PATH="$KUBE_BIN:$PATH"
  KWOK_WORKDIR=$(cd "$dir/../.." && pwd)
  kwokctl stop cluster --name "$KUBECTL_SINGLETON_CLUSTER" >/dev/null 2>&1
  kwokctl start cluster --name "$KUBECTL_SINGLETON_CLUSTER" >/dev/null 2>&1
  local i
  for i in $(seq 120); do
    "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG" get --raw /readyz >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "bench/cluster.sh: error: $KUBECTL_SINGLETON_CLUSTER did not come back after the restart" >&2
  exit 1
}

case "${1:-}" in
  up) bash "$CLUSTER" up >/dev/null && tune && bash "$CLUSTER" kubeconfig ;;
  down) bash "$CLUSTER" down ;;
  env) bash "$CLUSTER" env ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
