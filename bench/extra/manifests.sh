#!/usr/bin/env bash
# audit -f beside kube-score and kube-linter (issue 21: at least 10x faster than both) on three
# inputs, all commands in ONE hyperfine run:
#   realworld  tests/realworld as committed (61 files, CRDs stripped)
#   crd        the same upstream files WITH their CustomResourceDefinitions, rebuilt from git
#              mirrors of the projects at the commits tests/realworld/sources.tsv names (rows whose
#              mirror or commit is missing are left out and counted)
#   bench      ~10,600 documents in the shape of bench/run.sh's (c) input: exported from the bench
#              cluster when KUBECONFIG reaches one holding the seeded objects, else bench/gen.py's
#              objects at full size (no cluster) through bench/export.py
# Needs no cluster. Run by bench/run.sh at the full-size step with BIN, RESULTS, RUNS, WARMUP,
# CACHE_ROOT (and K, KUBECONFIG) exported; standalone:
#   cargo build --release && BIN=target/release/kubectl-singleton bash bench/extra/manifests.sh
# Writes $RESULTS/extra/manifests.md (a "#### " section: table, ratios, verdicts).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${BIN:-$ROOT/target/release/kubectl-singleton}
RESULTS=${RESULTS:-$(mktemp -d)}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
CACHE_ROOT=${CACHE_ROOT:-${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}}
MIRRORS=${MANIFESTS_MIRRORS:-/work/.mirror}
DOCS=${BENCH_DOCS:-10600}
TARGET=10
die() { echo "manifests.sh: $*" >&2; exit 1; }
command -v hyperfine >/dev/null || die "hyperfine is missing"
[ -x "$BIN" ] || die "no binary at $BIN (cargo build --release)"
mkdir -p "$RESULTS/extra"
WORK=$RESULTS/extra/manifests
rm -rf "$WORK" && mkdir -p "$WORK"
out=$RESULTS/extra/manifests.md

# The peers: kube-score as bench/run.sh builds it, kube-linter when its source build is cached.
KSCORE=
if command -v go >/dev/null; then
  key=$( { cat bench/tools/go.mod bench/tools/go.sum; go env GOVERSION; } | sha256sum | cut -c1-12)
  [ -x "$CACHE_ROOT/bin/bench-$key/kube-score" ] && KSCORE=$CACHE_ROOT/bin/bench-$key/kube-score
fi
if [ -z "$KSCORE" ]; then # any cached build (same go.mod, other Go version)
  KSCORE=$(ls -t "$CACHE_ROOT"/bin/bench-*/kube-score 2>/dev/null | head -n 1 || true)
fi
[ -n "$KSCORE" ] || die "no kube-score in $CACHE_ROOT/bin/bench-*/ (bench/run.sh builds it)"
KLINTER=${BENCH_KUBE_LINTER:-$CACHE_ROOT/bin/kube-linter-v0.8.3/kube-linter}
[ -x "$KLINTER" ] || KLINTER= # bench/tools/build-kube-linter.sh builds it

# --- the inputs ----------------------------------------------------------------------------------
REAL=tests/realworld
CRD=$WORK/crd
missing=0
while IFS=$'\t' read -r path repo commit upstream; do
  case $path in '#'* | '') continue ;; esac
  git="$MIRRORS/${repo/\//+}/repo"
  text=
  for part in $upstream; do
    at=$commit
    case $part in *@*) at=${part##*@}; part=${part%@*} ;; esac
    if ! piece=$(git --git-dir="$git" show "$at:$part" 2>/dev/null); then text=; break; fi
    case $piece in ---*) ;; *) piece=$'---\n'$piece ;; esac
    text+="$piece"$'\n'
  done
  if [ -z "$text" ]; then missing=$((missing + 1)); continue; fi
  mkdir -p "$CRD/$(dirname "$path")"
  printf '%s' "$text" >"$CRD/$path"
done <"$REAL/sources.tsv"
BENCH=$WORK/bench
bench_from="bench/gen.py's objects at full size (no cluster)"
if [ -n "${K:-}" ] && [ -n "${KUBECONFIG:-}" ] &&
  "$K" get deployments,statefulsets,poddisruptionbudgets,horizontalpodautoscalers,cronjobs -A \
    -l kubectl-singleton-bench=seed --chunk-size=1000 -o json >"$WORK/export.json" 2>/dev/null &&
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["items"] else 1)' "$WORK/export.json"; then
  bench_from="exported from the bench cluster, as bench/run.sh's (c) row"
else
  python3 bench/gen.py 0 1 "$WORK/gen" 100000 2026-01-01T00:00:00.000000Z 2025-01-01T00:00:00.000000Z >/dev/null
  python3 - "$WORK/gen" "$WORK/export.json" <<'PY'
import json, sys
from pathlib import Path
import yaml  # PyYAML, only to turn gen.py's YAML into the List JSON export.py reads
items = []
for f in sorted(Path(sys.argv[1]).glob("1-*.yaml")):
    for doc in yaml.safe_load_all(f.read_text()):
        if doc and doc.get("kind") in {"Deployment", "StatefulSet", "PodDisruptionBudget", "HorizontalPodAutoscaler", "CronJob"}:
            items.append(doc)
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[2], "w"))
PY
  rm -rf "$WORK/gen"
fi
python3 bench/export.py "$WORK/export.json" "$BENCH" "$DOCS" >"$WORK/export.txt"
rm -f "$WORK/export.json"

mapfile -t real_files < <(find "$REAL" -name '*.yaml' | sort)
mapfile -t crd_files < <(find "$CRD" -name '*.yaml' | sort)
mapfile -t bench_files < <(find "$BENCH" -name '*.yaml' | sort)
describe() { # files… → "N files, X MB, D documents"
  python3 - "$@" <<'PY'
import re, sys
size = docs = 0
for f in sys.argv[1:]:
    t = open(f, encoding="utf-8").read()
    size += len(t.encode())
    parts = re.split(r"(?m)^---[ \t]*(?:#.*)?$", t)
    docs += sum(1 for p in parts if re.search(r"(?m)^[^#\s]", p))
print(f"{len(sys.argv) - 1} files, {size / 1e6:.1f} MB, {docs} documents")
PY
}
crd_share=$(python3 - "${crd_files[@]}" <<'PY'
import re, sys
total = crd = 0
for f in sys.argv[1:]:
    for p in re.split(r"(?m)^---[ \t]*(?:#.*)?$", open(f, encoding="utf-8").read()):
        total += len(p)
        if re.search(r"(?m)^kind:\s*['\"]?CustomResourceDefinition", p):
            crd += len(p)
print(f"{100 * crd / max(total, 1):.0f}%")
PY
)

# Every tool must read every input (a tool that fails fast would look fast): one run each first.
for input in REAL CRD BENCH; do
  dir=${!input}
  "$BIN" audit -f "$dir" --fail-on never >/dev/null 2>"$WORK/check.err" || die "audit -f $dir failed: $(head -c 300 "$WORK/check.err")"
done

# --- one hyperfine run: every command on every input -------------------------------------------
cmds=(
  -n "realworld: audit -f" "$BIN audit -f $REAL --fail-on never"
  -n "realworld: kube-score" "$KSCORE score --output-format ci ${real_files[*]}"
  -n "crd: audit -f" "$BIN audit -f $CRD --fail-on never"
  -n "crd: kube-score" "$KSCORE score --output-format ci ${crd_files[*]}"
  -n "bench: audit -f" "$BIN audit -f $BENCH --fail-on never"
  -n "bench: kube-score" "$KSCORE score --output-format ci ${bench_files[*]}"
)
if [ -n "$KLINTER" ]; then
  cmds+=(
    -n "realworld: kube-linter" "$KLINTER lint $REAL"
    -n "crd: kube-linter" "$KLINTER lint $CRD"
    -n "bench: kube-linter" "$KLINTER lint $BENCH"
  )
fi
hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --export-json "$WORK/hyperfine.json" "${cmds[@]}" \
  >"$WORK/hyperfine.txt"

# Peak RSS, one run each.
rss() { /usr/bin/time -f %M "$@" >/dev/null 2>"$WORK/rss.err" || true; tail -n 1 "$WORK/rss.err"; }
{
  echo "realworld: audit -f	$(rss "$BIN" audit -f "$REAL" --fail-on never)"
  echo "realworld: kube-score	$(rss "$KSCORE" score --output-format ci "${real_files[@]}")"
  echo "crd: audit -f	$(rss "$BIN" audit -f "$CRD" --fail-on never)"
  echo "crd: kube-score	$(rss "$KSCORE" score --output-format ci "${crd_files[@]}")"
  echo "bench: audit -f	$(rss "$BIN" audit -f "$BENCH" --fail-on never)"
  echo "bench: kube-score	$(rss "$KSCORE" score --output-format ci "${bench_files[@]}")"
  if [ -n "$KLINTER" ]; then
    echo "realworld: kube-linter	$(rss "$KLINTER" lint "$REAL")"
    echo "crd: kube-linter	$(rss "$KLINTER" lint "$CRD")"
    echo "bench: kube-linter	$(rss "$KLINTER" lint "$BENCH")"
  fi
} >"$WORK/rss.tsv"

python3 - "$WORK/hyperfine.json" "$WORK/rss.tsv" "$TARGET" >"$out" \
  "$(describe "${real_files[@]}")" "$(describe "${crd_files[@]}") ($crd_share of it CRDs; $missing sources rows not in the mirrors)" \
  "$(describe "${bench_files[@]}"), $bench_from ($(cat "$WORK/export.txt"))" \
  "$("$KSCORE" version 2>/dev/null | head -n 1)" "${KLINTER:+$("$KLINTER" version 2>/dev/null | head -n 1)}" \
  "$RUNS" "$WARMUP" "$(uptime | sed 's/.*load average: //')" "$(git rev-parse --short HEAD)" <<'PY'
import json, sys
hf, rss_file, target = sys.argv[1], sys.argv[2], float(sys.argv[3])
real, crd, bench, kscore, klinter, runs, warmup, load, commit = sys.argv[4:13]
results = {r["command"]: r for r in json.load(open(hf))["results"]}
rss = dict(line.rstrip("\n").split("\t") for line in open(rss_file) if "\t" in line)
ms = lambda s: f"{s * 1000:.1f} ms"
print("#### `audit -f` beside kube-score and kube-linter (issue 21)\n")
print(f"Inputs: **realworld** = tests/realworld ({real}); **crd** = the same upstream files with their")
print(f"CustomResourceDefinitions, from git mirrors at the commits of sources.tsv ({crd}); **bench** = {bench}.")
print(f"One `hyperfine -N -i --warmup {warmup} --runs {runs}` run holding every command; HEAD {commit};")
print(f"{kscore or 'kube-score'} (`score --output-format ci FILES`); kube-linter {klinter or 'not cached (bench/tools/build-kube-linter.sh)'} (`lint DIR`);")
print(f"load average at the end: {load}.\n")
print("| input | tool | median | min | user CPU (mean) | peak RSS | tool / ours (median) | target ≥ 10× |")
print("|---|---|---:|---:|---:|---:|---:|---|")
for input in ("realworld", "crd", "bench"):
    ours = results.get(f"{input}: audit -f")
    for tool in ("audit -f", "kube-score", "kube-linter"):
        r = results.get(f"{input}: {tool}")
        if r is None:
            continue
        ratio = verdict = ""
        if tool != "audit -f":
            x = r["median"] / ours["median"]
            ratio = f"{x:.1f}×"
            verdict = "**met**" if x >= target else "**missed**"
        kib = rss.get(f"{input}: {tool}", "")
        mem = f"{int(kib) / 1024:.0f} MiB" if kib.isdigit() else "?"
        print(f"| {input} | `{tool}` | {ms(r['median'])} | {ms(r['min'])} | {ms(r['user'])} | {mem} | {ratio} | {verdict} |")
PY
cat "$out"
