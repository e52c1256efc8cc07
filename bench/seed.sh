#!/usr/bin/env bash
# Seeds the benchmark cluster (kwok, tests/cluster/cluster.sh) up to SCALE times the full size:
#
#   object                                            full size (SCALE 1)
#   kwok Nodes (kwok keeps one heartbeat Lease each)  2,000
#   leader-election Leases held by StatefulSet pods   300
#   legacy ConfigMap/Endpoints locks                  20   (same holder and name as a Lease: a multilock)
#   Leases of 20 shard families × 10 (status --shards) 200  (Knative buckets and <base>-shard-<j>)
#   Deployments (replicas 1)                          3,000
#   StatefulSets (replicas 1)                         500
#   PodDisruptionBudgets                              1,000
#   HorizontalPodAutoscalers                          300
#   CronJobs (suspend: true)                          500
#
# spread over 50 namespaces bench-00 … bench-49. The workloads' 3,500 pods land on the kwok nodes.
#
#   bench/seed.sh SCALE      SCALE is a fraction of the full size: 1, 1/4, 1/16, 0.5 …
#
# Seeding is incremental: the scale already seeded is kept in ConfigMap default/bench-seed, and
# only the objects between that and SCALE are generated (object i of a kind is the same at every
# scale), so 1/16 → 1/4 → 1 builds the scaling study's three sizes in one cluster. Counts are
# ceil(full × SCALE). Objects are applied with `kubectl apply --server-side` from multi-document
# files of BATCH documents, PARALLEL at a time; then the script waits until every workload's pod is
# Ready, every PDB sees its pod and every node has its lease, and prints the times.
#
# Environment: KUBECONFIG and KUBECTL, else the cluster named by KUBECTL_SINGLETON_CLUSTER
# (default kubectl-singleton-bench) from tests/cluster/cluster.sh env. Refuses the e2e cluster.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SCALE=${1:?usage: bench/seed.sh SCALE   (fraction of the full size, e.g. 1, 1/4, 1/16)}
BATCH=${BENCH_BATCH:-500}
PARALLEL=${BENCH_PARALLEL:-4}
SETTLE_TIMEOUT=${BENCH_SETTLE_TIMEOUT:-1500}

log() { echo "seed: $*" >&2; }
die() { echo "seed: error: $*" >&2; exit 1; }

export KUBECTL_SINGLETON_CLUSTER=${KUBECTL_SINGLETON_CLUSTER:-kubectl-singleton-bench}
if [ -z "${KUBECONFIG:-}" ] || [ -z "${KUBECTL:-}" ]; then
  [ "$KUBECTL_SINGLETON_CLUSTER" != kubectl-singleton-e2e ] ||
    die "refusing to seed the e2e cluster kubectl-singleton-e2e; set KUBECTL_SINGLETON_CLUSTER"
  eval "$(bash "$ROOT/tests/cluster/cluster.sh" env)"
  export KUBECONFIG
  KUBECTL=$KUBE_BIN/kubectl
fi
case "$KUBECONFIG" in */clusters/kubectl-singleton-e2e/*) die "refusing to seed the e2e cluster ($KUBECONFIG)" ;; esac
k() { "$KUBECTL" "$@"; }

python3 -c "import fractions,sys; f=fractions.Fraction(sys.argv[1]); assert 0 < f <= 64" "$SCALE" 2>/dev/null ||
  die "SCALE must be a number or fraction in (0, 64], got '$SCALE'"

prev=$(k get configmap bench-seed -n default -o jsonpath='{.data.scale}' 2>/dev/null || true)
prev=${prev:-0}
if python3 -c "import fractions,sys; sys.exit(0 if fractions.Fraction(sys.argv[1]) <= fractions.Fraction(sys.argv[2]) else 1)" "$SCALE" "$prev"; then
  log "already seeded to scale $prev (asked for $SCALE): nothing to do"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
OLD=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.000000Z)

# apply FILE...: each file with one kubectl, PARALLEL at a time; prints how many objects were applied
apply() {
  printf '%s\0' "$@" |
    xargs -0 -n 1 -P "$PARALLEL" "$KUBECTL" apply --server-side --force-conflicts \
      --field-manager=kubectl-singleton-bench -o name -f 2> >(grep -v 'Endpoints is deprecated' >&2) |
    wc -l
}

started=$(date +%s.%N)
counts=$(python3 "$HERE/gen.py" "$prev" "$SCALE" "$WORK" "$BATCH" "$NOW" "$OLD")
generated=$(date +%s.%N)
log "seeding scale $SCALE (from $prev): $counts"
applied=$(apply "$WORK"/0-*.yaml)
applied=$((applied + $(apply "$WORK"/1-*.yaml)))
k create configmap bench-seed -n default --from-literal=scale="$SCALE" --dry-run=client -o yaml |
  k apply --server-side --force-conflicts --field-manager=kubectl-singleton-bench -f - >/dev/null
done_apply=$(date +%s.%N)
log "applied $applied objects in $(printf '%.1f' "$(echo "$done_apply - $started" | bc)")s (generating YAML: $(printf '%.1f' "$(echo "$generated - $started" | bc)")s)"

# Settled: every seeded workload has its pod Ready, every PDB counts its pod, every node has a lease.
ready_workloads() {
  k get deployments,statefulsets -A -l kubectl-singleton-bench=seed --chunk-size=1000 \
    -o jsonpath='{range .items[*]}{.status.readyReplicas}{"\n"}{end}' | grep -c '^1$' || true
}
counted_pdbs() {
  k get pdb -A -l kubectl-singleton-bench=seed --chunk-size=1000 \
    -o jsonpath='{range .items[*]}{.status.expectedPods}{"\n"}{end}' | grep -c '^1$' || true
}
node_leases() { k get leases -n kube-node-lease --chunk-size=1000 -o name | grep -c 'lease.*/bench-node-' || true; }
to() { echo "$counts" | python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]]['to'])" "$1"; }
want_workloads=$(($(to deployments) + $(to statefulsets)))
want_pdbs=$(to pdbs)
want_nodes=$(to nodes)
deadline=$((SECONDS + SETTLE_TIMEOUT))
while :; do
  w=$(ready_workloads); p=$(counted_pdbs); l=$(node_leases)
  now=$(date +%s.%N)
  log "$(printf '%5.0fs' "$(echo "$now - $done_apply" | bc)") ready workloads $w/$want_workloads, PDBs with their pod $p/$want_pdbs, node leases $l/$want_nodes"
  [ "$w" -ge "$want_workloads" ] && [ "$p" -ge "$want_pdbs" ] && [ "$l" -ge "$want_nodes" ] && break
  [ $SECONDS -lt $deadline ] || die "not settled after ${SETTLE_TIMEOUT}s"
  sleep 10
done
settled=$(date +%s.%N)
apply_s=$(printf '%.1f' "$(echo "$done_apply - $started" | bc)")
settle_s=$(printf '%.1f' "$(echo "$settled - $done_apply" | bc)")
log "scale $SCALE seeded: $applied objects applied in ${apply_s}s, settled ${settle_s}s later"
# one machine-readable line on stdout for bench/run.sh
printf '{"scale":"%s","from":"%s","applied":%s,"apply_seconds":%s,"settle_seconds":%s}\n' \
  "$SCALE" "$prev" "$applied" "$apply_s" "$settle_s"
