#!/usr/bin/env bash
# `kubectl singleton exporter` on the benchmark cluster (issue 20), side by side with
# kube-state-metrics (built from the Go module proxy, pinned by bench/extra/exporter-ksm/go.mod
# and go.sum, cached in $CACHE_ROOT/bin/) with its default collectors and with leases only; all
# on 127.0.0.1. For each: time to first answer, steady-state RSS, idle CPU, and scrape latency
# (p50/p99 over $EXPORTER_SCRAPES scrapes, curl time_total), with ratios and target verdicts.
# Run by bench/run.sh at the full-size step (the bench contract); standalone on a running bench
# cluster:
#   cargo build --release && set -a && eval "$(bash bench/cluster.sh env)" && set +a &&
#   BIN=target/release/kubectl-singleton bash bench/extra/exporter.sh
# Writes $RESULTS/extra/exporter.md (a "#### " section). EXPORTER_KSM=0 skips kube-state-metrics.
set -euo pipefail
: "${BIN:?BIN (our release binary) is required}" "${KUBECONFIG:?KUBECONFIG (bench cluster) is required}"
RESULTS=${RESULTS:-$(mktemp -d)}
CACHE_ROOT=${CACHE_ROOT:-${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}}
SCRAPES=${EXPORTER_SCRAPES:-100}
IDLE_SECONDS=${EXPORTER_IDLE_SECONDS:-30}
KSM_VERSION=v2.16.0
HERE=$(cd "$(dirname "$0")" && pwd)
command -v curl >/dev/null || { echo "exporter.sh: curl is missing" >&2; exit 1; }
mkdir -p "$RESULTS/extra"
out=$RESULTS/extra/exporter.md
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# kube-state-metrics: built once per machine into the cache. The proxy serves v2.16.0, but the
# checksum database does not know it or k8s.io/sample-controller, so those two are checked
# against the committed go.sum only (GONOSUMDB); everything else as usual.
ksm_bin() {
  local dir=$CACHE_ROOT/bin/kube-state-metrics-$KSM_VERSION
  if [ ! -x "$dir/kube-state-metrics" ]; then
    local started=$SECONDS
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$HERE/exporter-ksm" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
      GONOSUMDB=k8s.io/kube-state-metrics,k8s.io/sample-controller \
      go build -trimpath -ldflags "-s -w" -o "$dir.tmp/kube-state-metrics" k8s.io/kube-state-metrics/v2) >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    echo "exporter.sh: built kube-state-metrics $KSM_VERSION in $((SECONDS - started)) s" >&2
  fi
  echo "$dir/kube-state-metrics"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# measure NAME PID URL READY_URL: one table row; the last scrape is kept in $work/NAME.txt.
measure() {
  local name=$1 pid=$2 url=$3 ready_url=$4 started=$5 ready=""
  for _ in $(seq 1 1800); do
    if curl -sf -o /dev/null "$ready_url"; then ready=$(date +%s.%N); break; fi
    kill -0 "$pid" 2>/dev/null || { echo "exporter.sh: $name exited: $(tail -3 "$work/$name.err")" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$ready" ] || { echo "exporter.sh: $name not ready after 180s" >&2; exit 1; }
  # Let the first lists finish before idling (kube-state-metrics answers before its reflectors sync).
  sleep 5
  curl -s "$url" >"$work/$name.txt"
  local ticks0 ticks1 hz idle rss p50 p99 series
  hz=$(getconf CLK_TCK)
  ticks0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat"); sleep "$IDLE_SECONDS"
  ticks1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  idle=$(python3 -c "print(f'{100 * ($ticks1 - $ticks0) / $hz / $IDLE_SECONDS:.2f}')")
  rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
  for _ in $(seq 1 "$SCRAPES"); do curl -s -o /dev/null -w '%{time_total}\n' "$url"; done >"$work/$name.latency"
  read -r p50 p99 < <(python3 - "$work/$name.latency" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]))
q = lambda p: t[min(len(t) - 1, int(round(p * (len(t) - 1))))]
print(f"{q(0.50):.1f} {q(0.99):.1f}")
PY
)
  series=$(grep -vc '^#' "$work/$name.txt" || true)
  local to_ready
  to_ready=$(python3 -c "print(f'{$ready - $started:.2f}')")
  echo "$name $to_ready $rss $idle $p50 $p99 $series" >>"$work/rows"
}

started=$(date +%s.%N)
"$BIN" exporter --listen 127.0.0.1:0 >"$work/ours.out" 2>"$work/ours.err" &
pids+=($!); ours=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$work/ours.out" 2>/dev/null | head -1 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "exporter.sh: the exporter printed no address: $(cat "$work/ours.err")" >&2; exit 1; }
measure ours "$ours" "http://$addr/metrics" "http://$addr/readyz" "$started"
locks=$(grep -c '^singleton_lock_info{' "$work/ours.txt" || true)
blocked=$(grep -c '^singleton_node_drain_blocked{' "$work/ours.txt" || true)
cached=$(grep '^singleton_exporter_objects_cached' "$work/ours.txt" | sed 's/singleton_exporter_objects_cached{resource="\([a-z]*\)"} /\1 /' | tr '\n' ',' | sed 's/,$//; s/,/, /g')
kill "$ours"; wait "$ours" 2>/dev/null || true

ksm_note=""
if [ "${EXPORTER_KSM:-1}" != 0 ]; then
  ksm=$(ksm_bin)
  for variant in ksm-default ksm-leases; do
    port=$(free_port); tport=$(free_port)
    extra=()
    [ "$variant" = ksm-leases ] && extra=(--resources=leases)
    started=$(date +%s.%N)
    "$ksm" --kubeconfig "$KUBECONFIG" --host 127.0.0.1 --port "$port" \
      --telemetry-host 127.0.0.1 --telemetry-port "$tport" "${extra[@]}" \
      >"$work/$variant.out" 2>"$work/$variant.err" &
    pid=$!; pids+=("$pid")
    measure "$variant" "$pid" "http://127.0.0.1:$port/metrics" "http://127.0.0.1:$port/metrics" "$started"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
else
  ksm_note=" (kube-state-metrics skipped: EXPORTER_KSM=0)"
fi

python3 - "$work/rows" "$out" "$BIN" "$locks" "$blocked" "$cached" "$SCRAPES" "$IDLE_SECONDS" "$KSM_VERSION" "$ksm_note" <<'PY'
import sys
rows_file, out, binary, locks, blocked, cached, scrapes, idle_s, ksm_version, note = sys.argv[1:]
rows = {}
for line in open(rows_file):
    name, ready, rss, idle, p50, p99, series = line.split()
    rows[name] = dict(ready=float(ready), rss=float(rss), idle=float(idle), p50=float(p50), p99=float(p99), series=int(series))
label = {"ours": "`kubectl singleton exporter`",
         "ksm-default": f"kube-state-metrics {ksm_version}, default collectors",
         "ksm-leases": f"kube-state-metrics {ksm_version}, `--resources=leases`"}
o = rows["ours"]
lines = ["#### exporter: steady state and scrape latency, side by side with kube-state-metrics (issue 20)", "",
         f"`{binary} exporter` watching the benchmark cluster: {locks} locks, {blocked} nodes drain-blocked; cached: {cached}. "
         f"Each process alone on 127.0.0.1, idle {idle_s} s then {scrapes} sequential scrapes (curl time_total){note}.", "",
         "| exporter | first answer | RSS | idle CPU | scrape p50 / p99 | series | RSS vs ours | p99 vs ours |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
for name in ("ours", "ksm-default", "ksm-leases"):
    if name not in rows:
        continue
    r = rows[name]
    lines.append(f"| {label[name]} | {r['ready']:.2f} s | {r['rss']:.1f} MiB | {r['idle']:.2f}% | {r['p50']:.1f} / {r['p99']:.1f} ms | {r['series']} "
                 f"| {r['rss'] / o['rss']:.2f}× | {r['p99'] / o['p99']:.2f}× |")
verdict = lambda ok: "met" if ok else "missed"
lines += ["", "Targets:", ""]
if "ksm-leases" in rows:
    k = rows["ksm-leases"]
    lines.append(f"- less memory than kube-state-metrics with leases only: {o['rss']:.1f} vs {k['rss']:.1f} MiB: **{verdict(o['rss'] < k['rss'])}**")
else:
    lines.append("- less memory than kube-state-metrics with leases only: not measured")
lines.append(f"- scrape p99 < 50 ms: {o['p99']:.1f} ms: **{verdict(o['p99'] < 50)}**")
lines.append(f"- idle CPU < 1% of a core: {o['idle']:.2f}%: **{verdict(o['idle'] < 1)}**")
lines.append("")
lines.append("Ours caches pods, nodes, ReplicaSets, StatefulSets and PDBs besides the locks (the holder, Orphaned and drain judgements); "
             "kube-state-metrics with leases only caches the leases, node heartbeats included.")
lines.append("")
open(out, "w").write("\n".join(lines) + "\n")
PY
cat "$out"
