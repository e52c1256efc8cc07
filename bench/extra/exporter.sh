#!/usr/bin/env bash
# `kubectl singleton exporter` on the benchmark cluster (issue 20): time to ready, steady-state
# RSS, idle CPU and scrape latency (p50/p99 over 100 scrapes). Run by bench/run.sh at the
# full-size step with BIN, KUBECONFIG and RESULTS exported (see the bench contract); standalone:
#   BIN=target/release/kubectl-singleton KUBECONFIG=… bash bench/extra/exporter.sh
# Writes $RESULTS/extra/exporter.md (a "#### " section: table and target verdicts).
# Not yet: kube-state-metrics side by side (issue 20 asks for it, built from the Go module proxy).
set -euo pipefail
: "${BIN:?BIN (our release binary) is required}" "${KUBECONFIG:?KUBECONFIG (bench cluster) is required}"
RESULTS=${RESULTS:-$(mktemp -d)}
SCRAPES=${EXPORTER_SCRAPES:-100}
IDLE_SECONDS=${EXPORTER_IDLE_SECONDS:-30}
command -v curl >/dev/null || { echo "exporter.sh: curl is missing" >&2; exit 1; }
mkdir -p "$RESULTS/extra"
out=$RESULTS/extra/exporter.md
work=$(mktemp -d)

started=$(date +%s.%N)
"$BIN" exporter --listen 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$work/stdout" 2>/dev/null | head -1 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "exporter.sh: the exporter printed no address: $(cat "$work/stderr")" >&2; exit 1; }
ready=""
for _ in $(seq 1 1200); do
  if curl -sf "http://$addr/readyz" >/dev/null; then ready=$(date +%s.%N); break; fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "exporter.sh: not ready after 120s: $(curl -s "http://$addr/readyz")" >&2; exit 1; }
to_ready=$(python3 -c "print(f'{$ready - $started:.2f}')")

curl -s "http://$addr/metrics" >"$work/scrape.txt"
series=$(grep -vc '^#' "$work/scrape.txt")
locks=$(grep -c '^singleton_lock_info{' "$work/scrape.txt" || true)
cached=$(grep '^singleton_exporter_objects_cached' "$work/scrape.txt" | sed 's/singleton_exporter_objects_cached{resource="\([a-z]*\)"} /\1 /' | tr '\n' ',' | sed 's/,$//; s/,/, /g')

# Idle: no scrapes for IDLE_SECONDS; CPU from /proc (utime + stime, clock ticks).
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); sleep "$IDLE_SECONDS"; t1=$(ticks)
idle_cpu=$(python3 -c "print(f'{100 * ($t1 - $t0) / $hz / $IDLE_SECONDS:.2f}')")
rss_mib=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")

for _ in $(seq 1 "$SCRAPES"); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://$addr/metrics"
done >"$work/latency"
read -r p50 p99 < <(python3 - "$work/latency" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]))
q = lambda p: t[min(len(t) - 1, int(round(p * (len(t) - 1))))]
print(f"{q(0.50):.1f} {q(0.99):.1f}")
PY
)
rss_after=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
verdict() { python3 -c "print('met' if $1 else 'missed')"; }
{
  echo "#### exporter: steady state and scrape latency (issue 20)"
  echo
  echo "\`$BIN exporter\` watching the benchmark cluster: $locks locks, $series series per scrape; cached: $cached."
  echo
  echo "| measure | value | target |"
  echo "|---|---|---|"
  echo "| start to /readyz 200 (first full list of every watch) | ${to_ready} s | |"
  echo "| RSS after sync, idle | ${rss_mib} MiB (${rss_after} MiB after $SCRAPES scrapes) | less than kube-state-metrics with leases only: not measured yet |"
  echo "| idle CPU over ${IDLE_SECONDS} s | ${idle_cpu}% of a core | < 1%: $(verdict "$idle_cpu < 1") |"
  echo "| scrape latency p50 / p99 over $SCRAPES scrapes (curl time_total) | ${p50} / ${p99} ms | p99 < 50 ms: $(verdict "$p99 < 50") |"
  echo
} >"$out"
cat "$out"
