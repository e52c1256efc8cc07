#!/usr/bin/env bash
# A bounded fuzzing campaign over every cargo-fuzz target in fuzz/ (libFuzzer, nightly toolchain).
#
#   scripts/fuzz.sh [SECONDS]   SECONDS (default 60) of fuzzing in all, split evenly over the
#                               targets; builds first (not counted)
#
# Each target starts from a copy of its committed corpus (fuzz/corpus/<target>/) in a temporary
# directory, so a run never grows the repository's corpus. To keep what a long local campaign
# found, fuzz the corpus itself (`cargo +nightly fuzz run <target>` in fuzz/), then shrink it with
# `cargo +nightly fuzz cmin <target>`.
#
# A crash, timeout (10 s for one input) or out-of-memory (2 GiB) fails the script (after the
# other targets have had their turn), printing the input's path (kept in fuzz/artifacts/<target>/)
# and its base64. Turn it into a regression: put
# the input in fuzz/regressions/<target>/ (tests/fuzz_corpus.rs replays those on stable), then fix
# the cause.
#
# Environment: CARGO_TARGET_DIR (as for cargo; default fuzz/target), FUZZ_ALLOW_NO_NIGHTLY=1
# (without a nightly toolchain, skip with a warning instead of failing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT/fuzz"

log() { echo "fuzz.sh: $*" >&2; }
die() { echo "fuzz.sh: error: $*" >&2; exit 1; }

SECONDS_TOTAL=${1:-60}
[[ $SECONDS_TOTAL =~ ^[0-9]+$ ]] && [ "$SECONDS_TOTAL" -gt 0 ] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }

# libFuzzer's instrumentation (-Zsanitizer, -Cpasses=sancov) exists on nightly only.
if ! cargo +nightly --version >/dev/null 2>&1; then
  if [ "${FUZZ_ALLOW_NO_NIGHTLY:-0}" = 1 ]; then
    log "WARNING: NO NIGHTLY TOOLCHAIN (rustup toolchain install nightly): FUZZING SKIPPED"
    exit 0
  fi
  die "NO NIGHTLY TOOLCHAIN: cannot fuzz (rustup toolchain install nightly; FUZZ_ALLOW_NO_NIGHTLY=1 skips)"
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  log "cargo-fuzz is missing: cargo install cargo-fuzz --locked"
  cargo install cargo-fuzz --locked
fi

# fuzz/Cargo.lock must already say everything (cargo fuzz has no --locked of its own).
cargo +nightly fetch --locked
cargo +nightly fuzz build
mapfile -t targets < <(cargo +nightly fuzz list)
[ "${#targets[@]}" -gt 0 ] || die "no fuzz targets in fuzz/"
share=$((SECONDS_TOTAL / ${#targets[@]}))
[ "$share" -gt 0 ] || share=1

work=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-singleton-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

crashed=()
for target in "${targets[@]}"; do
  [ -d "corpus/$target" ] || die "no seed corpus corpus/$target/"
  cp -R "corpus/$target" "$work/$target"
  mkdir -p "$work/crashes/$target"
  log "$target: ${share}s from $(find "corpus/$target" -type f | wc -l) seed inputs"
  status=0
  cargo +nightly fuzz run "$target" "$work/$target" -- \
    -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/$target/" >"$work/$target.log" 2>&1 || status=$?
  # What libFuzzer wrote: crash-, timeout-, oom-, leak-<sha1> (slow-unit- ones do not fail).
  found=$(find "$work/crashes/$target" -type f ! -name 'slow-unit-*')
  if [ "$status" -ne 0 ] || [ -n "$found" ]; then
    tail -n 60 "$work/$target.log" >&2
    [ -n "$found" ] || die "$target: the fuzzer failed (exit $status) without a crash input: see the log above"
    mkdir -p "artifacts/$target"
    while IFS= read -r input; do
      cp "$input" "artifacts/$target/"
      log "$target: CRASH: fuzz/artifacts/$target/$(basename "$input")"
      log "$target: input as base64: $(base64 <"$input" | tr -d '\n')"
    done <<<"$found"
    crashed+=("$target")
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log")
  log "$target: ok: ${runs:-?} inputs, ${rate:-?}/s, corpus $(find "$work/$target" -type f | wc -l) inputs"
done
[ "${#crashed[@]}" -eq 0 ] ||
  die "crashed: ${crashed[*]}: put each input in fuzz/regressions/<target>/ and fix the cause"
