#!/usr/bin/env bash
# status --shards -A beside status -A on the benchmark cluster (issue 19): the family view reads
# exactly what status reads, so it must cost within 10% of it. Run by bench/run.sh at the
# full-size step with BIN, KUBECONFIG, K, RESULTS, RUNS, WARMUP exported (see COMMON bench
# contract); standalone: BIN=target/release/kubectl-singleton KUBECONFIG=… bash bench/extra/shards.sh
# Writes $RESULTS/extra/shards.md (a "#### " section: table, ratio, verdict).
set -euo pipefail
: "${BIN:?BIN (our release binary) is required}" "${KUBECONFIG:?KUBECONFIG (bench cluster) is required}"
RESULTS=${RESULTS:-$(mktemp -d)}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
TARGET=1.10
command -v hyperfine >/dev/null || { echo "shards.sh: hyperfine is missing" >&2; exit 1; }
mkdir -p "$RESULTS/extra"
json=$RESULTS/extra/shards.json
out=$RESULTS/extra/shards.md

# What the view finds: families, leases in them, and their states.
families=$("$BIN" status --shards -A -o json)
summary=$(python3 -c '
import json, sys
doc = json.load(sys.stdin)
items = doc["items"]
shards = sum(len(f["shards"]) for f in items)
states = {}
for f in items:
    states[f["state"]] = states.get(f["state"], 0) + 1
parts = ", ".join("%d %s" % (n, s) for s, n in sorted(states.items()))
print("%d families, %d shard leases (%s)" % (len(items), shards, parts))
' <<<"$families")
leases=$("$BIN" status -A -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')

# hyperfine runs one command's runs, then the other's: on a shared machine load drifts between
# them (measured: the same binary's two views came out 0.89 to 1.31 apart). So the runs are
# split into rounds of two runs each, in alternating order, and pooled.
ROUNDS=${SHARDS_ROUNDS:-$(( (RUNS + 1) / 2 ))}
per=$(( (RUNS + ROUNDS - 1) / ROUNDS )); [ "$per" -ge 2 ] || per=2
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then
    first=("status -A" "$BIN status -A"); second=("status --shards -A" "$BIN status --shards -A")
  else
    first=("status --shards -A" "$BIN status --shards -A"); second=("status -A" "$BIN status -A")
  fi
  warm=0; [ "$round" -gt 1 ] || warm=$WARMUP
  hyperfine -N --warmup "$warm" --runs "$per" --export-json "$json.$round" \
    -n "${first[0]}" "${first[1]}" -n "${second[0]}" "${second[1]}" >/dev/null
done

python3 - "$json" "$ROUNDS" "$TARGET" "$summary" "$leases" >"$out" <<'PY'
import json, statistics, sys
base, rounds, target = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
times = {"status -A": [], "status --shards -A": []}
for r in range(1, rounds + 1):
    for result in json.load(open(f"{base}.{r}"))["results"]:
        times[result["command"]].extend(result["times"])
json.dump(times, open(base, "w"))
def row(name):
    t = times[name]
    return statistics.median(t), statistics.mean(t), statistics.pstdev(t), min(t), max(t)
print("#### status --shards -A beside status -A (issue 19)\n")
print(f"Bench cluster: {sys.argv[5]} leader-election locks in `status -A`; `status --shards -A` finds {sys.argv[4]}. "
      f"{len(times['status -A'])} runs each, in {rounds} alternating hyperfine rounds.\n")
print("| command | median | mean ± σ | min | max |")
print("| --- | ---: | ---: | ---: | ---: |")
for name in ("status -A", "status --shards -A"):
    med, mean, sd, lo, hi = row(name)
    print(f"| `{name}` | {med*1000:.0f} ms | {mean*1000:.0f} ± {sd*1000:.0f} ms | {lo*1000:.0f} ms | {hi*1000:.0f} ms |")
ratio = row("status --shards -A")[0] / row("status -A")[0]
fastest = row("status --shards -A")[3] / row("status -A")[3]
verdict = "met" if ratio <= target else "NOT met"
print(f"\nRatio of medians (shards / status): **{ratio:.3f}** (of minimums: {fastest:.3f}) — target ≤ {target:.2f}: **{verdict}**.")
PY
cat "$out"
