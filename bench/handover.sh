#!/usr/bin/env bash
# Handover time, measured side by side on the test control plane (tests/cluster/cluster.sh):
#   evict:    `kubectl singleton release --evict` on the leader of 3 client-go peers
#   to:       `kubectl singleton release --to` on a coordinated lease (two LeaseCandidates; the API
#             server elects), naming the candidate the election picks next
#   baseline: SIGKILL the leader and wait for a standby to take the expired lease
# Peers run with ReleaseOnCancel off and leaseDuration/renewDeadline/retryPeriod 15s/10s/2s.
# Usage: [BIN=…] bench/handover.sh [ROUNDS]   (default 3); prints each round and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
# BIN: a kubectl-singleton binary to measure (default: build the release binary here)
if [ -z "${BIN:-}" ]; then
  cargo build --quiet --release
  BIN=$PWD/target/release/kubectl-singleton
fi
bash tests/cluster/cluster.sh up >/dev/null
eval "$(bash tests/cluster/cluster.sh env)"
export KUBECONFIG
K="$KUBE_BIN/kubectl"
NS=bench-handover-$$
WORK=$(mktemp -d)
PEERS=()
cleanup() {
  for pid in "${PEERS[@]:-}" $(cat "$WORK/pids" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  "$K" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$K" create namespace "$NS" >/dev/null

now() { date +%s.%N; }
holder() { "$K" get lease "$1" -n "$NS" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true; }

# start_peers LEASE: a 3-replica Deployment and one peer per pod; waits for a leader.
start_peers() {
  local lease=$1
  cat <<YAML | "$K" apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: $lease, namespace: $NS}
spec:
  replicas: 3
  selector: {matchLabels: {app: $lease}}
  template:
    metadata: {labels: {app: $lease}}
    spec: {containers: [{name: c, image: example.invalid/x:1}]}
YAML
  local pods=""
  for _ in $(seq 60); do
    pods=$("$K" get pods -n "$NS" -l "app=$lease" --field-selector=status.phase=Running -o jsonpath='{.items[*].metadata.name}')
    [ "$(echo "$pods" | wc -w)" -eq 3 ] && break
    sleep 1
  done
  for pod in $pods; do
    "$LEPEER" --namespace "$NS" --name "$lease" --identity "$pod" --release-on-cancel=false \
      --lease-duration=15s --renew-deadline=10s --retry-period=2s >"$WORK/$lease-$pod.log" 2>/dev/null &
    PEERS+=($!)
    disown "$!" # no "Killed" notices when cleanup stops them
  done
  for _ in $(seq 60); do [ -n "$(holder "$lease")" ] && return; sleep 0.5; done
  echo "no leader for $lease" >&2; exit 1
}

# start_coordinated LEASE: two coordinated peers (LeaseCandidates, the API server elects); the
# second advertises an older binary version, so it is the candidate the election picks next.
# Leaves the first leading and prints the second's identity once its LeaseCandidate exists.
start_coordinated() {
  local lease=$1 id
  for id in "$lease-a" "$lease-b"; do
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s}\nspec: {containers: [{name: c, image: example.invalid/x:1}]}\n' \
      "$id" "$NS" | "$K" apply -f - >/dev/null
  done
  local timings=(--coordinated --release-on-cancel=false --lease-duration=15s --renew-deadline=10s --retry-period=2s)
  "$LEPEER" --namespace "$NS" --name "$lease" --identity "$lease-a" "${timings[@]}" >"$WORK/$lease-a.log" 2>&1 &
  echo "$!" >>"$WORK/pids"; disown "$!" # run in $(…): the pid goes by file
  for _ in $(seq 60); do [ "$(holder "$lease")" = "$lease-a" ] && break; sleep 0.5; done
  "$LEPEER" --namespace "$NS" --name "$lease" --identity "$lease-b" "${timings[@]}" --binary-version 1.35.0 \
    >"$WORK/$lease-b.log" 2>&1 &
  echo "$!" >>"$WORK/pids"; disown "$!"
  for _ in $(seq 100); do
    "$K" get leasecandidates -n "$NS" -o name 2>/dev/null | grep -q "/$lease-b\$" && break
    sleep 0.1
  done
  echo "$lease-b"
}

wait_new_holder() { # wait_new_holder LEASE OLD -> prints seconds since $3
  local lease=$1 old=$2 start=$3 h
  while :; do
    h=$(holder "$lease")
    if [ -n "$h" ] && [ "$h" != "$old" ]; then echo "$(now) - $start" | bc; return; fi
    sleep 0.1
  done
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: >"$WORK/evict"; : >"$WORK/evict-gap"; : >"$WORK/to"; : >"$WORK/baseline"
for round in $(seq "$ROUNDS"); do
  lease=evict-$round
  start_peers "$lease"
  old=$(holder "$lease")
  start=$(now)
  "$BIN" release "$lease" -n "$NS" --evict -y --wait 60s >"$WORK/release-$round.txt"
  t=$(wait_new_holder "$lease" "$old" "$start")
  echo "$t" >>"$WORK/evict"
  # release's own account: "new leader X after Ts (no leader for Ls)", L from the moment the old
  # leader stopped holding (its pod gone and the lock freed) to the new leader's first write
  gap=$(sed -n 's/.*(no leader for \([0-9.]*\)s).*/\1/p' "$WORK/release-$round.txt" | tail -n 1)
  echo "${gap:-nan}" >>"$WORK/evict-gap"
  printf 'round %s  evict:    new leader after %.1fs (no leader for %ss)\n' "$round" "$t" "${gap:-?}"

  # release --to on a lease the API server elects: sets preferredHolder; the leader stops
  # renewing, and the server elects the candidate once the lease has expired
  lease=to-$round
  to=$(start_coordinated "$lease")
  old=$(holder "$lease")
  start=$(now)
  "$BIN" release "$lease" -n "$NS" --to "$to" -y --wait 60s >"$WORK/release-to-$round.txt" 2>&1 ||
    echo "(release --to exited $?: $(tail -n 1 "$WORK/release-to-$round.txt"))"
  t=$(wait_new_holder "$lease" "$old" "$start")
  echo "$t" >>"$WORK/to"
  printf 'round %s  to:       new leader after %.1fs (coordinated, release --to)\n' "$round" "$t"

  lease=baseline-$round
  start_peers "$lease"
  old=$(holder "$lease")
  pid=$(pgrep -f -- "--name $lease --identity $old" | head -1)
  start=$(now)
  kill -9 "$pid"
  t=$(wait_new_holder "$lease" "$old" "$start")
  echo "$t" >>"$WORK/baseline"
  printf 'round %s  baseline: new leader after %.1fs (SIGKILL, wait for expiry)\n' "$round" "$t"
done
e=$(median <"$WORK/evict"); b=$(median <"$WORK/baseline")
g=$(grep -v nan "$WORK/evict-gap" | median); c=$(median <"$WORK/to")
printf '\nmedian over %s rounds: evict %.1fs (no leader for %.1fs), to (coordinated) %.1fs, kill-and-wait %.1fs, ratio evict/kill %.2f\n' \
  "$ROUNDS" "$e" "${g:-0}" "$c" "$b" "$(echo "$e / $b" | bc -l)"
