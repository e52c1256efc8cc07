#!/usr/bin/env bash
# drain-check of every node beside `kubectl drain --dry-run=server` node by node (issue 17).
# Run by bench/run.sh at the full-size step with BIN, KUBECONFIG, K, RESULTS, RUNS, WARMUP,
# SLOW_RUNS exported (COMMON bench contract); standalone:
#   BIN=target/release/kubectl-singleton K=kubectl KUBECONFIG=… bash bench/extra/drain-check.sh
# Writes $RESULTS/extra/drain-check.md (a "#### " section: table, ratio, verdict).
#
# Method. Ours answers for every node in one process: hyperfine, RUNS runs. kubectl answers one
# node per process, and a node whose eviction is refused (429) costs it at least its 5 s retry
# sleep even with --timeout 1s, so asking it about all ~2,000 nodes would take hours: it is asked
# about a fixed sample of DRAIN_SAMPLE nodes (default 12), spread evenly over the nodes sorted by
# name, once each (timed with date +%s%N, its requests counted from the same run's -v=6 log). The
# total for every node is the sample's mean × the node count. Both are asked the same question:
# drain with --ignore-daemonsets --force --delete-emptydir-data (ours: --force
# --delete-emptydir-data), so neither stops at a bare pod or emptyDir before the PDBs.
set -euo pipefail
: "${BIN:?BIN (our release binary) is required}" "${KUBECONFIG:?KUBECONFIG (bench cluster) is required}"
K=${K:-kubectl}
RESULTS=${RESULTS:-$(mktemp -d)}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
SAMPLE=${DRAIN_SAMPLE:-12}
TARGET_SECONDS=2
command -v hyperfine >/dev/null || { echo "drain-check.sh: hyperfine is missing" >&2; exit 1; }
mkdir -p "$RESULTS/extra"
work=$RESULTS/extra/drain-check
mkdir -p "$work"
out=$RESULTS/extra/drain-check.md
export KUBECONFIG

"$K" get nodes -o name --chunk-size=1000 | sed 's|^node/||' | sort >"$work/nodes.txt"
nodes=$(wc -l <"$work/nodes.txt")
pods=$("$K" get pods -A -o name --chunk-size=1000 | wc -l)
[ "$nodes" -gt 0 ] || { echo "drain-check.sh: the cluster has no nodes" >&2; exit 1; }

# Ours: every node, one process. Exit 1 (some node blocked) is its answer, not a failure.
ours=(drain-check -A --force --delete-emptydir-data)
hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/ours.json" \
  -n "drain-check (all nodes)" "$BIN ${ours[*]}" >/dev/null
"$BIN" "${ours[@]}" -o json >"$work/ours-out.json" || true
"$BIN" "${ours[@]}" -v 2>&1 >/dev/null | grep 'request #' >"$work/ours-requests.log" || true

# kubectl: the fixed sample, one run each.
step=$(( nodes / SAMPLE )); [ "$step" -ge 1 ] || step=1
awk -v step="$step" -v n="$SAMPLE" '(NR - 1) % step == 0 && c < n { print; c++ }' "$work/nodes.txt" >"$work/sample.txt"
: >"$work/kubectl.tsv"
while read -r node; do
  log=$work/kubectl-$node.log
  start=$(date +%s%N)
  rc=0
  "$K" drain "$node" --dry-run=server --ignore-daemonsets --force --delete-emptydir-data \
    --timeout=1s -v=6 >"$log" 2>&1 || rc=$?
  end=$(date +%s%N)
  printf '%s\t%s\t%s\t%s\n' "$node" "$(( (end - start) / 1000000 ))" "$rc" \
    "$(grep -c '"Response"' "$log" || true)" >>"$work/kubectl.tsv"
done <"$work/sample.txt"

python3 - "$work" "$nodes" "$pods" "$TARGET_SECONDS" "$SAMPLE" >"$out" <<'PY'
import json, statistics, sys
from pathlib import Path
work, nodes, pods, target, sample = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
r = json.loads((work / "ours.json").read_text())["results"][0]
ours_med, ours_min, ours_max = r["median"], r["min"], r["max"]
doc = json.loads((work / "ours-out.json").read_text())
items = doc.get("items", doc.get("nodes", []))
verdicts = {}
for i in items:
    v = i.get("drainable", "?")
    verdicts[v] = verdicts.get(v, 0) + 1
reqs = [l for l in (work / "ours-requests.log").read_text().splitlines() if "request #" in l]
lists = sum(1 for l in reqs if "limit=" in l)
rows = [l.split("\t") for l in (work / "kubectl.tsv").read_text().splitlines() if l]
ms = [int(x[1]) / 1000 for x in rows]
ok = [x for x in rows if x[2] == "0"]
kreq = [int(x[3]) for x in rows]
k_med, k_mean = statistics.median(ms), statistics.mean(ms)
total = k_mean * nodes
print("#### drain-check of every node beside `kubectl drain --dry-run=server` (issue 17)\n")
print(f"{nodes:,} nodes, {pods:,} pods. Ours: `drain-check -A --force --delete-emptydir-data`, all nodes in one "
      f"process, hyperfine median of its runs. kubectl: `kubectl drain NODE --dry-run=server --ignore-daemonsets "
      f"--force --delete-emptydir-data --timeout=1s`, one run on each of a fixed sample of {len(rows)} nodes "
      f"(every {max(1, nodes // sample)}th by name); its total is the sample mean × {nodes:,} nodes. A node "
      f"kubectl finds blocked (eviction answered 429) costs it its 5 s retry sleep before the timeout.\n")
print("| | per node | all nodes | API requests |")
print("|---|---:|---:|---:|")
print(f"| `drain-check` (ours) | {ours_med / nodes * 1000:.2f} ms | {ours_med:.2f} s (min {ours_min:.2f}, max {ours_max:.2f}) | "
      f"{len(reqs)} ({lists} list pages, {len(reqs) - lists} other) |")
print(f"| `kubectl drain --dry-run=server` | median {k_med:.2f} s, mean {k_mean:.2f} s (min {min(ms):.2f}, max {max(ms):.2f}) | "
      f"{total:,.0f} s extrapolated ({total / 3600:.1f} h) | {statistics.mean(kreq):.0f} per node (sample mean) ≈ {statistics.mean(kreq) * nodes:,.0f} |\n")
print(f"Ours found: " + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())) + ". "
      f"kubectl's sample: {len(ok)} of {len(rows)} nodes drained (dry run), {len(rows) - len(ok)} refused or timed out.\n")
ratio = ours_med / total
print(f"Ratio ours / kubectl (all nodes): **{ratio:.5f}** ({total / ours_med:,.0f}× faster). "
      f"Target `drain-check` of every node < {target:.0f} s: **{'met' if ours_med < target else 'missed'}** ({ours_med:.2f} s).")
PY
cat "$out"
