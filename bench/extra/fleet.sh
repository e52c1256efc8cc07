#!/usr/bin/env bash
# status -A over a fleet of 1, 4 and 16 contexts (issue 18). The contexts are distinct names in
# one kubeconfig that all point at the bench cluster, so each is its own connection (client,
# TLS handshake, clock) reading the same objects. Targets: wall time at 16 contexts at most 1.5×
# the single-cluster time; peak RSS growing at most linearly with the number of clusters.
# Run by bench/run.sh at the full-size step with BIN, KUBECONFIG, K, RESULTS, RUNS, WARMUP
# exported (COMMON bench contract); standalone:
#   BIN=target/release/kubectl-singleton KUBECONFIG=… bash bench/extra/fleet.sh
# Writes $RESULTS/extra/fleet.md (a "#### " section: table, ratios, verdicts).
set -euo pipefail
: "${BIN:?BIN (our release binary) is required}" "${KUBECONFIG:?KUBECONFIG (bench cluster) is required}"
RESULTS=${RESULTS:-$(mktemp -d)}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
K=${K:-kubectl}
TIME_TARGET=1.5
command -v hyperfine >/dev/null || { echo "fleet.sh: hyperfine is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "fleet.sh: /usr/bin/time is missing" >&2; exit 1; }
mkdir -p "$RESULTS/extra"
out=$RESULTS/extra/fleet.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 16 contexts on the bench cluster's cluster and user entries.
fleet_kc=$work/kubeconfig
"$K" config view --raw --flatten >"$fleet_kc"
cluster=$(KUBECONFIG=$fleet_kc "$K" config view -o jsonpath='{.contexts[0].context.cluster}')
user=$(KUBECONFIG=$fleet_kc "$K" config view -o jsonpath='{.contexts[0].context.user}')
for i in $(seq 1 16); do
  KUBECONFIG=$fleet_kc "$K" config set-context "fleet-$i" --cluster="$cluster" --user="$user" >/dev/null
done
list() { seq -s, -f 'fleet-%g' 1 "$1"; }
one="$BIN status -A --context fleet-1"
four="$BIN status -A --context $(list 4)"
sixteen="$BIN status -A --context $(list 16)"
export KUBECONFIG=$fleet_kc

# Every run must succeed and see the same locks in every context.
locks=$($one -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
locks16=$($sixteen -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
[ "$locks16" -eq $((16 * locks)) ] || { echo "fleet.sh: 16 contexts gave $locks16 locks, expected $((16 * locks))" >&2; exit 1; }

hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/h.json" \
  -n 1 "$one" -n 4 "$four" -n 16 "$sixteen" >"$work/hyperfine.txt"

rss() { # peak RSS in KiB, the median of 3 runs
  for _ in 1 2 3; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 2p
}
r1=$(rss $one); r4=$(rss $four); r16=$(rss $sixteen)

python3 - "$work/h.json" "$r1" "$r4" "$r16" "$locks" "$TIME_TARGET" >"$out" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
r = {"1": int(sys.argv[2]), "4": int(sys.argv[3]), "16": int(sys.argv[4])}
locks, target = int(sys.argv[5]), float(sys.argv[6])
t = {x["command"]: x for x in h["results"]}
base = t["1"]["median"]
print("#### Fleet: `status -A` over 1, 4 and 16 contexts (issue 18)\n")
print("Every context is its own connection to the bench cluster (%d locks each). Median of the runs (hyperfine), peak RSS the median of 3 runs (/usr/bin/time).\n" % locks)
print("| contexts | median | min | max | × one | peak RSS | RSS × one |")
print("|---|---|---|---|---|---|---|")
for n in ("1", "4", "16"):
    x = t[n]
    print("| %s | %.3f s | %.3f s | %.3f s | %.2f× | %.1f MiB | %.2f× |" % (
        n, x["median"], x["min"], x["max"], x["median"] / base, r[n] / 1024, r[n] / r["1"]))
ratio = t["16"]["median"] / base
per4 = (r["4"] - r["1"]) / 3
per16 = (r["16"] - r["1"]) / 15
print()
print("- wall time at 16 contexts: %.2f× one (target ≤ %.1f×): **%s**" % (ratio, target, "met" if ratio <= target else "missed"))
print("- memory per extra context: %.1f MiB from 1→4, %.1f MiB from 1→16; 16 contexts %.2f× one (at most linear: ≤ 16×): **%s**" % (
    per4 / 1024, per16 / 1024, r["16"] / r["1"], "met" if r["16"] <= 16 * r["1"] else "missed"))
PY
cat "$out"
