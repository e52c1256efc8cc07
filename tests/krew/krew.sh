#!/usr/bin/env bash
# The krew packaging, checked with the real krew: its manifest validator and `kubectl krew install`.
#
#   krew.sh                      package this checkout with scripts/dist.sh into a temp dir (the repo's
#                                dist/ and krew-manifest.yaml are left alone) and check that
#   krew.sh ARCHIVE [MANIFEST]   check an archive against a manifest (default: the repo's
#                                krew-manifest.yaml), e.g. right after scripts/dist.sh
#
# Checks: krew-index's validator accepts the repo's krew-manifest.yaml and MANIFEST, whose
# spec.version is Cargo.toml's; the repo's manifest is exactly what scripts/dist.sh renders;
# `kubectl krew install --manifest --archive` into a temp KREW_ROOT; the installed
# kubectl-singleton and `kubectl singleton` (kubectl's plugin discovery) print the version; the
# archive holds a LICENSE; `kubectl krew uninstall` removes it. Offline but for the Go module proxy: krew and the
# validator are built with `go build` from go.mod/go.sum beside this script into
# $KUBECTL_SINGLETON_CACHE (default ~/.cache/kubectl-singleton), keyed by go.mod, go.sum and the Go
# version; kubectl is the one in $KUBE_BIN, else the one tests/cluster/cluster.sh builds (cached;
# the e2e suite needs it anyway). `install --manifest` reads no plugin index: no git, no clone.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE_ROOT=${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}

log() { echo "krew.sh: $*" >&2; }
die() { echo "krew.sh: error: $*" >&2; exit 1; }
quietly() { # run a command, showing its output only if it fails
  local out
  out=$("$@" 2>&1) || { echo "$out" >&2; die "failed: $*"; }
}

[ $# -le 2 ] && [ "${1:-}" != -h ] && [ "${1:-}" != --help ] || { echo "usage: $0 [ARCHIVE [MANIFEST]]" >&2; exit 2; }
VERSION=$(awk -F'"' '/^\[/ { p = ($0 == "[package]") } p && $1 ~ /^version *= *$/ { print $2; exit }' "$ROOT/Cargo.toml")
KREW_VERSION=$(awk '$1 == "sigs.k8s.io/krew" { print $2; exit }' "$HERE/go.mod")
[ -n "$VERSION" ] && [ -n "$KREW_VERSION" ] || die "cannot read the versions from Cargo.toml and go.mod"

# Build kubectl-krew and validate-krew-manifest once per go.mod/go.sum/Go version.
command -v go >/dev/null || die "Go is not installed: krew is built from the Go module proxy"
TOOLS="$CACHE_ROOT/bin/krew-$KREW_VERSION-$( { cat "$HERE/go.mod" "$HERE/go.sum"; go env GOVERSION; } | sha256sum | cut -c1-12)"
mkdir -p "$CACHE_ROOT/bin"
exec 9>"$CACHE_ROOT/krew-build.lock"
flock 9
if [ ! -e "$TOOLS/.complete" ]; then
  log "building krew $KREW_VERSION and its manifest validator into $TOOLS"
  started=$SECONDS
  rm -rf "$TOOLS.tmp" && mkdir -p "$TOOLS.tmp"
  (cd "$HERE" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$KREW_VERSION" -o "$TOOLS.tmp/" \
    sigs.k8s.io/krew/cmd/krew sigs.k8s.io/krew/cmd/validate-krew-manifest)
  mv "$TOOLS.tmp/krew" "$TOOLS.tmp/kubectl-krew" # kubectl finds it as `kubectl krew`
  touch "$TOOLS.tmp/.complete"
  rm -rf "$TOOLS" && mv "$TOOLS.tmp" "$TOOLS"
  log "built krew in $((SECONDS - started))s"
fi
exec 9>&-

if [ -z "${KUBE_BIN:-}" ]; then
  bash "$ROOT/tests/cluster/cluster.sh" build # no-op when cached
  KUBE_BIN=$(bash "$ROOT/tests/cluster/cluster.sh" env | sed -n 's/^KUBE_BIN=//p')
fi
[ -x "$KUBE_BIN/kubectl" ] || die "no kubectl in $KUBE_BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-singleton-krew.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ $# -ge 1 ]; then
  ARCHIVE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  MANIFEST=${2:-$ROOT/krew-manifest.yaml}
else
  log "packaging with scripts/dist.sh into $WORK/dist"
  cp "$ROOT/krew-manifest.yaml" "$WORK/manifest.yaml" # so placeholders keep the repo's values
  ARCHIVE=$(DIST_DIR="$WORK/dist" KREW_MANIFEST="$WORK/manifest.yaml" bash "$ROOT/scripts/dist.sh")
  MANIFEST=$WORK/manifest.yaml
fi
[ -f "$ARCHIVE" ] && [ -f "$MANIFEST" ] || die "no archive $ARCHIVE or manifest $MANIFEST"

# The validator wants the file named after the plugin (singleton.yaml). -skip-install: its install
# step downloads every platform's uri, which exists only once released; the install below uses
# the archive instead, for this platform.
validate() { # validate MANIFEST NAME
  mkdir -p "$WORK/$2"
  cp "$1" "$WORK/$2/singleton.yaml"
  quietly "$TOOLS/validate-krew-manifest" -manifest "$WORK/$2/singleton.yaml" -skip-install
  [ "$(awk '$1 == "version:" { print $2; exit }' "$1")" = "v$VERSION" ] ||
    die "$1: spec.version is not v$VERSION (Cargo.toml): re-render it with scripts/dist.sh"
}
validate "$ROOT/krew-manifest.yaml" committed
validate "$MANIFEST" checked
log "krew's validator accepts the manifest(s)"

# The committed manifest is generated: re-rendering it (no archives, so every sha256 stays as
# committed) must give the same bytes, or it was edited by hand or Cargo.toml/dist.sh moved on.
mkdir -p "$WORK/sync/dist"
cp "$ROOT/krew-manifest.yaml" "$WORK/sync/manifest.yaml"
quietly env DIST_DIR="$WORK/sync/dist" KREW_MANIFEST="$WORK/sync/manifest.yaml" bash "$ROOT/scripts/dist.sh" --manifest-only
cmp -s "$ROOT/krew-manifest.yaml" "$WORK/sync/manifest.yaml" ||
  die "krew-manifest.yaml is not what scripts/dist.sh renders: run 'bash scripts/dist.sh --manifest-only' and commit it
$(diff "$ROOT/krew-manifest.yaml" "$WORK/sync/manifest.yaml" | head -20)"

# krew in a throwaway KREW_ROOT (and TMPDIR: its staging dirs), no upgrade check (a GitHub request).
mkdir -p "$WORK/root/bin" "$WORK/tmp"
export KREW_ROOT=$WORK/root TMPDIR=$WORK/tmp KREW_NO_UPGRADE_CHECK=1
export PATH="$KREW_ROOT/bin:$TOOLS:$KUBE_BIN:$PATH"
quietly kubectl krew install --manifest="$MANIFEST" --archive="$ARCHIVE" </dev/null
[ "$(command -v kubectl-singleton)" = "$KREW_ROOT/bin/kubectl-singleton" ] ||
  die "kubectl-singleton on PATH is $(command -v kubectl-singleton), not krew's"
prints_version() {
  local out
  out=$("$@") || die "$* failed"
  # "kubectl-singleton 0.1.0", possibly followed by build details
  [[ $out == "kubectl-singleton $VERSION" || $out == "kubectl-singleton $VERSION "* ]] ||
    die "$* printed '$out', not 'kubectl-singleton $VERSION'"
}
prints_version "$KREW_ROOT/bin/kubectl-singleton" --version
prints_version kubectl singleton --version # kubectl's plugin discovery finds krew's link on PATH
shopt -s nullglob nocaseglob
licenses=("$KREW_ROOT/store/singleton/v$VERSION"/{license,copying}*)
shopt -u nullglob nocaseglob
[ ${#licenses[@]} -gt 0 ] || die "krew installed no LICENSE: krew-index's validator rejects such an archive"
# list and uninstall insist on an "initialized" index (a directory with a .git directory under
# $KREW_ROOT/index/) although they read only krew's receipts: an empty stand-in, not a clone.
mkdir -p "$KREW_ROOT/index/default/.git"
listed=$(kubectl krew list 2>/dev/null) || die "kubectl krew list failed"
grep -qx '\(detached/\)\?singleton' <<<"$listed" || die "kubectl krew list shows '$listed', not singleton"
quietly kubectl krew uninstall singleton
[ ! -e "$KREW_ROOT/bin/kubectl-singleton" ] || die "kubectl krew uninstall left the binary behind"
log "ok: krew $KREW_VERSION installed $(basename "$ARCHIVE"), kubectl singleton --version says $VERSION, uninstalled"
