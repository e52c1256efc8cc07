#!/usr/bin/env bash
# cargo-deny over Cargo.lock with deny.toml: licences, bans and sources, offline.
#
#   scripts/deny.sh                     cargo deny --offline --locked check --hide-inclusion-graph licenses bans sources
#   DENY_ADVISORIES=1 scripts/deny.sh   the same, then the RustSec advisories, which cargo-deny
#                                       clones from GitHub (so only where GitHub is reachable)
#
# Installs cargo-deny with `cargo install cargo-deny --locked` when it is missing (a few minutes).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { echo "deny.sh: $*" >&2; }

if ! cargo deny --version >/dev/null 2>&1; then
  log "cargo-deny is missing: cargo install cargo-deny --locked"
  cargo install cargo-deny --locked
fi

# --offline reads the crates' own manifests and licence files: download them first (a no-op when
# a build already has), every platform's, as the licence check covers them all.
cargo fetch --locked
cargo deny --offline --locked check --hide-inclusion-graph licenses bans sources

if [ "${DENY_ADVISORIES:-0}" = 1 ]; then
  cargo deny --locked check advisories
else
  log "advisories not checked (they need GitHub): DENY_ADVISORIES=1 $0"
fi
