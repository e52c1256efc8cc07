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

# Interleaved, so load drifts hit both alike.
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" \
  -n "status -A" "$BIN status -A" \
  -n "status --shards -A" "$BIN status --shards -A" >/dev/null

python3 - "$json" "$TARGET" "$summary" "$leases" >"$out" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
target = float(sys.argv[2])
rows = {r["command"]: r for r in data["results"]}
base, shards = rows["status -A"], rows["status --shards -A"]
ratio = shards["median"] / base["median"]
print("#### status --shards -A beside status -A (issue 19)\n")
print(f"Bench cluster: {sys.argv[4]} leader-election locks in `status -A`; `status --shards -A` finds {sys.argv[3]}.\n")
print("| command | median | mean ± σ | min | max |")
print("| --- | ---: | ---: | ---: | ---: |")
for name in ("status -A", "status --shards -A"):
    r = rows[name]
    print(f"| `{name}` | {r['median']*1000:.0f} ms | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms | {r['min']*1000:.0f} ms | {r['max']*1000:.0f} ms |")
verdict = "met" if ratio <= target else "NOT met"
print(f"\nRatio of medians (shards / status): **{ratio:.3f}** — target ≤ {target:.2f}: **{verdict}**.")
PY
cat "$out"
