#!/usr/bin/env bash
# The benchmark of BENCHMARKS.md, in one command:
#
#   bash bench/run.sh [SCALE]      SCALE: the full size's multiplier (default 1; e.g. 1/4 for a quick run)
#
# On a fresh kwok cluster of its own (bench/cluster.sh; never the e2e suite's), it seeds 1/16, then
# 1/4, then all of SCALE × the sizes in bench/seed.sh and measures with hyperfine at each:
#   (d) scaling      status -A and audit -A: wall time and peak RSS at 1×, 4×, 16× the base (SCALE/16)
# and at the full size also:
#   (x) every executable bench/extra/*.sh (see run_extras), while the cluster is up
#   (a) status -A    vs `kubectl get leases -A`: wall (alternating rounds), peak RSS, API requests
#   (b) audit -A     vs popeye (full scan, and limited to the same kinds with -s)
#   (c) audit -f     vs kube-score on ~10,000 manifest documents exported from the cluster
#   (e) startup      --version and --help
# then prints the summary (bench/summary.py) against the targets.
#
# Environment: CARGO_TARGET_DIR (where our binary is built), BENCH_RESULTS (default
# bench/results/<UTC time>, ignored by git), BENCH_RUNS / BENCH_WARMUP (hyperfine, default 10 / 2),
# BENCH_SLOW_RUNS (runs for popeye and kube-score, default 3), BENCH_DOCS (manifest documents for
# (c), default 10000), BENCH_QUIET (seconds to wait after each seeding step settles before
# measuring, default 60), BENCH_KEEP_CLUSTER=1 (leave the cluster running), KUBECTL_SINGLETON_CLUSTER
# (default kubectl-singleton-bench).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCALE=${1:-1}
RUNS=${BENCH_RUNS:-10}
WARMUP=${BENCH_WARMUP:-2}
SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
DOCS=${BENCH_DOCS:-10000}
QUIET=${BENCH_QUIET:-60}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}
CACHE_ROOT=${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}
export KUBECTL_SINGLETON_CLUSTER=${KUBECTL_SINGLETON_CLUSTER:-kubectl-singleton-bench}

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }
frac() { python3 -c "import fractions,sys; print(fractions.Fraction(sys.argv[1]) * fractions.Fraction(sys.argv[2]))" "$1" "$2"; }
python3 -c "import fractions,sys; assert 0 < fractions.Fraction(sys.argv[1]) <= 4" "$SCALE" 2>/dev/null ||
  die "SCALE must be a number or fraction in (0, 4], got '$SCALE'"

# --- prerequisites -------------------------------------------------------------------------------
apt_tool() { # apt_tool COMMAND PACKAGE: install PACKAGE from Debian if COMMAND is missing
  command -v "$1" >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null ||
    die "$1 is missing: install the Debian package '$2' (apt-get install -y $2) as root, then rerun"
  log "installing $2 (apt-get)"
  apt-get install -y -qq "$2" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null; } ||
    die "apt-get could not install $2"
}
apt_tool hyperfine hyperfine
apt_tool /usr/bin/time time
command -v python3 >/dev/null || die "python3 is missing (the seeder and the summary are Python)"
command -v go >/dev/null || die "Go is missing: popeye and kube-score are built from the Go module proxy"

mkdir -p "$RESULTS"
log "results in $RESULTS"

# --- our binary, and the tools we compare against ------------------------------------------------
log "building kubectl-singleton (cargo build --release --locked)"
cargo build --quiet --release --locked
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/kubectl-singleton
[ -x "$BIN" ] || die "no binary at $BIN"

TOOLS_KEY=$( { cat bench/tools/go.mod bench/tools/go.sum; go env GOVERSION; } | sha256sum | cut -c1-12)
TOOLS=$CACHE_ROOT/bin/bench-$TOOLS_KEY
if [ ! -x "$TOOLS/popeye" ] || [ ! -x "$TOOLS/kube-score" ]; then
  log "building popeye and kube-score from the Go module proxy into $TOOLS (first run: a few minutes)"
  rm -rf "$TOOLS.tmp" && mkdir -p "$TOOLS.tmp"
  (cd bench/tools && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
    go build -trimpath -ldflags "-s -w" -o "$TOOLS.tmp/" github.com/derailed/popeye github.com/zegl/kube-score/cmd/kube-score)
  rm -rf "$TOOLS" && mv "$TOOLS.tmp" "$TOOLS"
fi
POPEYE=$TOOLS/popeye
# kube-linter: the Go module proxy refuses it; when a binary built from its source (see
# BENCHMARKS.md) is in the cache, the manifest rows measure it too
KLINTER=${BENCH_KUBE_LINTER:-$CACHE_ROOT/bin/kube-linter-v0.8.3/kube-linter}
[ -x "$KLINTER" ] || KLINTER=
POPEYE_SECTIONS=deploy,sts,rs,cj,hpa,pdb,svc,po # what audit -A reads, less the lock kinds popeye lacks
KSCORE=$TOOLS/kube-score

# --- a fresh cluster -----------------------------------------------------------------------------
stop_cluster() {
  if [ "${BENCH_KEEP_CLUSTER:-}" = 1 ]; then log "leaving $KUBECTL_SINGLETON_CLUSTER running (BENCH_KEEP_CLUSTER=1)"
  else log "stopping $KUBECTL_SINGLETON_CLUSTER"; bash bench/cluster.sh down 2>/dev/null || true; fi
}
trap stop_cluster EXIT
bash bench/cluster.sh down >/dev/null 2>&1 || true
log "starting $KUBECTL_SINGLETON_CLUSTER"
bash bench/cluster.sh up >/dev/null
eval "$(bash bench/cluster.sh env)"
export KUBECONFIG
K=$KUBE_BIN/kubectl
export KUBECTL=$K
"$K" get --raw /readyz >/dev/null

# --- measuring helpers ---------------------------------------------------------------------------
load() { cut -d' ' -f1-3 /proc/loadavg; }

# hf NAME [hyperfine options] -- COMMAND...: one hyperfine run, JSON to $RESULTS/NAME.json
hf() {
  local name=$1; shift
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  log "hyperfine $name (load $(load))"
  hyperfine --style basic --export-json "$RESULTS/$name.json" "${opts[@]}" "$@" >"$RESULTS/$name.txt" 2>&1 ||
    { cat "$RESULTS/$name.txt" >&2; die "hyperfine $name failed"; }
  grep -E '^(Benchmark|  Time)' "$RESULTS/$name.txt" | sed 's/^/    /' >&2
}

# rss LABEL COMMAND...: peak RSS (kB) of 3 runs under /usr/bin/time -v; the median goes to rss.tsv
rss() {
  local label=$1; shift
  local i out=$RESULTS/time.txt values=()
  for i in 1 2 3; do
    /usr/bin/time -v "$@" >/dev/null 2>"$out" || true
    values+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")")
  done
  printf '%s\t%s\n' "$label" "$(printf '%s\n' "${values[@]}" | sort -n | sed -n 2p)" >>"$RESULTS/rss.tsv"
}

# timed LABEL: a prefix for slow commands inside hyperfine, so every run's peak RSS is recorded
# (one fork of /usr/bin/time per run: noise next to seconds); rss_of LABEL files their median
timed() { echo "/usr/bin/time -f %M -a -o $RESULTS/rss-${1// /_}.txt"; }
rss_of() {
  # time -f %M also writes "Command exited with non-zero status N" for a linter that found something
  printf '%s\t%s\n' "$1" "$(grep -E '^[0-9]+$' "$RESULTS/rss-${1// /_}.txt" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" >>"$RESULTS/rss.tsv"
}

# requests LABEL COMMAND...: the request log of one run, for the summary to count and classify.
# Ours logs "request #N: GET /path" with -v; kubectl logs one "Response" line per request with -v=6.
requests_ours() {
  local label=$1; shift
  "$@" -v 2>&1 >/dev/null | grep 'request #' >"$RESULTS/requests-${label// /_}.log" || true
}
requests_kubectl() {
  local label=$1; shift
  "$@" -v=6 2>&1 >/dev/null | grep '"Response"' >"$RESULTS/requests-${label// /_}.log" || true
}

# facts LABEL: what the cluster holds now (for the summary)
facts() {
  local label=$1
  {
    printf '%s\tnode_leases\t%s\n' "$label" "$("$K" get leases -n kube-node-lease --chunk-size=1000 -o name | wc -l)"
    printf '%s\tall_leases\t%s\n' "$label" "$("$K" get leases -A --chunk-size=1000 -o name | wc -l)"
    printf '%s\tpods\t%s\n' "$label" "$("$K" get pods -A --chunk-size=1000 -o name | wc -l)"
    printf '%s\tlocks_shown\t%s\n' "$label" "$("$BIN" status -A -o name | wc -l)"
    # distinct holders that name a pod-shaped identity in their namespace: at most one GET each
    printf '%s\tholder_pods\t%s\n' "$label" "$("$BIN" status -A -o json |
      python3 -c 'import json,sys; print(len({(i["namespace"], i["holderIdentity"]) for i in json.load(sys.stdin)["items"] if i.get("holderIdentity")}))')"
  } >>"$RESULTS/facts.tsv"
}

# run_extras: every executable bench/extra/*.sh, in name order, at the full size with the cluster up.
# Each is standalone (none of the helpers above): it gets the environment below and writes
# $RESULTS/extra/<name>.md, a "#### " section that summary.py appends. One that fails is logged,
# its stderr kept in $RESULTS/extra/<name>.err, and the run goes on.
run_extras() {
  local script name
  mkdir -p "$RESULTS/extra"
  for script in bench/extra/*.sh; do
    [ -x "$script" ] || { [ -e "$script" ] && log "skipping $script (not executable)"; continue; }
    name=$(basename "$script" .sh)
    log "extra: $name (load $(load))"
    if ! BIN=$BIN KUBECONFIG=$KUBECONFIG K=$K KUBE_BIN=$KUBE_BIN RESULTS=$RESULTS RUNS=$RUNS \
      WARMUP=$WARMUP SLOW_RUNS=$SLOW_RUNS CACHE_ROOT=$CACHE_ROOT SCALE=$SCALE \
      bash "$script" >"$RESULTS/extra/$name.out" 2>"$RESULTS/extra/$name.err"; then
      log "extra: $name failed (see $RESULTS/extra/$name.err)"
      printf '#### %s\n\nbench/extra/%s.sh failed in this run: %s\n' "$name" "$name" \
        "$(tail -n 1 "$RESULTS/extra/$name.err")" >"$RESULTS/extra/$name.md"
    fi
  done
}

# --- (d) scaling, with (a), (b), (c) at the full size ----------------------------------------------
{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"scale\": \"$SCALE\","
  echo "  \"cpu\": \"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\","
  echo "  \"nproc\": $(nproc),"
  echo "  \"memory\": \"$(free -h | awk '/^Mem:/ {print $2}')\","
  echo "  \"kernel\": \"$(uname -sr)\","
  echo "  \"ours\": \"$("$BIN" --version)\","
  echo "  \"kubectl\": \"$("$K" version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')\","
  echo "  \"server\": \"$("$K" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')\","
  echo "  \"popeye\": \"$(cd bench/tools && go list -m -f '{{.Version}}' github.com/derailed/popeye)\","
  echo "  \"kube_score\": \"$(cd bench/tools && go list -m -f '{{.Version}}' github.com/zegl/kube-score)\","
  echo "  \"hyperfine\": \"$(hyperfine --version)\","
  echo "  \"rustc\": \"$(rustc --version)\","
  echo "  \"go\": \"$(go env GOVERSION)\""
  echo "}"
} >"$RESULTS/env.json"

STEPS=("1/16:1x" "1/4:4x" "1:16x")
for step in "${STEPS[@]}"; do
  size=$(frac "$SCALE" "${step%%:*}")
  label=${step##*:}
  log "seeding to $size of the full size ($label the base)"
  bash bench/seed.sh "$size" | sed "s/^{/{\"label\":\"$label\",/" >>"$RESULTS/seed.jsonl"
  # Measure a steady cluster, as users meet it: for a minute after the workloads settle the
  # controllers still work through what seeding started (measured: status -A, which makes one
  # request per holder, was 0.96 of kubectl right after settling and 0.56 four minutes later).
  sleep "$QUIET"
  facts "$label"
  if [ "$label" = 16x ]; then
    # (a) status -A vs kubectl get leases -A, in alternating rounds (3 × RUNS each): a busy
    # minute of the API server must not land on one command's block of runs (bench/alternate.py)
    log "alternating status-$label (load $(load))"
    python3 bench/alternate.py "$RESULTS/status-$label.json" $((RUNS * 3)) "$WARMUP" \
      "$BIN status -A" "$K get leases -A" >&2
    rss "$label status" "$BIN" status -A
    rss "$label kubectl-get-leases" "$K" get leases -A
    requests_ours "$label status" "$BIN" status -A
    requests_kubectl "$label kubectl-get-leases" "$K" get leases -A
    # (b) audit -A vs popeye
    hf "audit-$label" -N --warmup "$WARMUP" --runs "$RUNS" -- "$BIN audit -A --fail-on never"
    # popeye: every section, then only the kinds audit reads (its -s names)
    hf "popeye-$label" -N -i --warmup 0 --runs "$SLOW_RUNS" -- \
      "$(timed "$label popeye") $POPEYE -A --force-exit-zero -o json" \
      "$(timed "$label popeye-sections") $POPEYE -A --force-exit-zero -o json -s $POPEYE_SECTIONS"
    rss_of "$label popeye"
    rss_of "$label popeye-sections"
    rss "$label audit" "$BIN" audit -A --fail-on never
    requests_ours "$label audit" "$BIN" audit -A --fail-on never
    run_extras
  else
    hf "status-$label" -N --warmup "$WARMUP" --runs "$RUNS" -- "$BIN status -A"
    hf "audit-$label" -N --warmup "$WARMUP" --runs "$RUNS" -- "$BIN audit -A --fail-on never"
    rss "$label status" "$BIN" status -A
    rss "$label audit" "$BIN" audit -A --fail-on never
    requests_ours "$label status" "$BIN" status -A
    requests_ours "$label audit" "$BIN" audit -A --fail-on never
  fi
done

# (c) the same objects as manifests: ~DOCS documents, one multi-document file per namespace and kind
MANIFESTS=$RESULTS/manifests
rm -rf "$MANIFESTS"
log "exporting manifests"
"$K" get deployments,statefulsets,poddisruptionbudgets,horizontalpodautoscalers,cronjobs -A \
  -l kubectl-singleton-bench=seed --chunk-size=1000 -o json >"$RESULTS/export.json"
python3 bench/export.py "$RESULTS/export.json" "$MANIFESTS" "$DOCS" >"$RESULTS/export.txt"
rm -f "$RESULTS/export.json"
log "$(cat "$RESULTS/export.txt")"
# (c) and (e) need no cluster: measure them without a busy control plane on the same cores
# (measured beside it, audit -f, which parses on every core, lost most: 4.1× kube-score, not 5.7×).
stop_cluster
trap - EXIT
# kube-score takes files, not directories: the shell's glob gives it the same files audit walks
hf manifests -i --warmup 1 --runs "$SLOW_RUNS" -- \
  "$(timed "manifests audit-f") $BIN audit -f $MANIFESTS --fail-on never" \
  "$(timed "manifests kube-score") $KSCORE score --output-format ci $MANIFESTS/*/*.yaml"
rss_of "manifests audit-f"
rss_of "manifests kube-score"
# (c) again on real public manifests, CRD-heavy (tests/realworld), and kube-linter when cached
mapfile -t REAL < <(find tests/realworld -name '*.yaml' | sort)
du -cb "${REAL[@]}" | tail -n 1 | cut -f1 >"$RESULTS/realworld-bytes.txt"
echo "${#REAL[@]}" >"$RESULTS/realworld-files.txt"
hf realworld -i --warmup 2 --runs "$RUNS" -- \
  "$(timed "realworld audit-f") $BIN audit -f tests/realworld --fail-on never" \
  "$(timed "realworld kube-score") $KSCORE score --output-format ci ${REAL[*]}"
rss_of "realworld audit-f"
rss_of "realworld kube-score"
if [ -n "$KLINTER" ]; then
  "$KLINTER" version >"$RESULTS/kube-linter-version.txt" 2>&1 || true
  hf linter -i --warmup 1 --runs "$SLOW_RUNS" -- \
    "$(timed "manifests kube-linter") $KLINTER lint $MANIFESTS" \
    "$(timed "realworld kube-linter") $KLINTER lint tests/realworld"
  rss_of "manifests kube-linter"
  rss_of "realworld kube-linter"
fi

# (e) startup
hf startup -N --warmup 5 --runs 100 -- "$BIN --version" "$BIN --help"
rss "startup version" "$BIN" --version

load >"$RESULTS/load-end.txt"
python3 bench/summary.py "$RESULTS" | tee "$RESULTS/summary.md"
