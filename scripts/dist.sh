#!/usr/bin/env bash
# Release archive for this machine's platform, and krew-manifest.yaml rendered from what is in dist/.
#
#   scripts/dist.sh                  cargo build --release --locked, pack
#                                    dist/kubectl-singleton_v<version>_<os>_<arch>.tar.gz (.zip on Windows),
#                                    re-render krew-manifest.yaml; prints the archive's path
#   scripts/dist.sh --require-all    the same, but fail unless all five platforms' archives are in
#                                    dist/ (the release pipeline: build or copy the other four first)
#   scripts/dist.sh --manifest-only  only re-render krew-manifest.yaml from the archives already in
#                                    dist/ (no build): with none there, it must reproduce the committed
#                                    file byte for byte, which tests/krew/krew.sh checks
#
# The manifest is generated, never edited by hand: version and homepage come from Cargo.toml, each
# platform's sha256 from its archive in dist/. A platform without an archive keeps the sha256 the
# previous manifest had for the very same uri (same version), else 64 zeros: krew's validator only
# requires 64 lowercase hex digits (quoted: unquoted, YAML would read 000... as the number 0), and
# krew refuses an archive whose sha256 differs, so a placeholder can never install anything. The
# script warns about every placeholder.
#
# Environment: CARGO_TARGET_DIR (as for cargo), DIST_DIR (default dist/), KREW_MANIFEST (default
# krew-manifest.yaml), DIST_BINARY (pack this prebuilt binary instead of building; with DIST_OS and
# DIST_ARCH it may be another platform's, e.g. cross-built), SOURCE_DATE_EPOCH (archive mtimes;
# default: the last commit's time, so the same binary always gives the same archive and sha256).
set -euo pipefail

CALLER=$PWD
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
abs() { case "$1" in /*) echo "$1" ;; *) echo "$CALLER/$1" ;; esac; } # paths given relative to the caller
PLATFORMS=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64) # krew's os/arch names
PLACEHOLDER=0000000000000000000000000000000000000000000000000000000000000000

log() { echo "dist.sh: $*" >&2; }
die() { echo "dist.sh: error: $*" >&2; exit 1; }

require_all=false
manifest_only=false
case "${1:-}" in
  "") ;;
  --require-all) require_all=true ;;
  --manifest-only) manifest_only=true ;;
  *) echo "usage: $0 [--require-all | --manifest-only]" >&2; exit 2 ;;
esac

# [package] version and repository from Cargo.toml.
cargo_field() { awk -F'"' -v k="$1" '/^\[/ { p = ($0 == "[package]") } p && $1 ~ "^"k" *= *$" { print $2; exit }' Cargo.toml; }
VERSION=$(cargo_field version)
HOMEPAGE=$(cargo_field repository)
[ -n "$VERSION" ] && [ -n "$HOMEPAGE" ] || die "cannot read version and repository from Cargo.toml"
DIST_DIR=$(abs "${DIST_DIR:-$ROOT/dist}")
MANIFEST=$(abs "${KREW_MANIFEST:-$ROOT/krew-manifest.yaml}")

host_os() {
  case "$(uname -s)" in
    Linux) echo linux ;; Darwin) echo darwin ;; MINGW* | MSYS* | CYGWIN*) echo windows ;;
    *) die "unsupported OS $(uname -s)" ;;
  esac
}
host_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo amd64 ;; aarch64 | arm64) echo arm64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
}
bin_name() { if [ "$1" = windows ]; then echo kubectl-singleton.exe; else echo kubectl-singleton; fi; }
archive_name() { # archive_name OS ARCH
  local ext=tar.gz
  [ "$1" = windows ] && ext=zip
  echo "kubectl-singleton_v${VERSION}_$1_$2.$ext"
}
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }

# What every archive holds (the manifest's `files` list says the same).
files=(kubectl-singleton README.md)
[ -f LICENSE ] || die "no LICENSE file: krew-index's validator requires one in the archive"
files+=(LICENSE)

stage=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-singleton-dist.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# --- build and pack this platform (or DIST_OS/DIST_ARCH's, from DIST_BINARY) ---
if ! $manifest_only; then
  OS=${DIST_OS:-$(host_os)}
  ARCH=${DIST_ARCH:-$(host_arch)}
  [[ " ${PLATFORMS[*]} " == *" $OS/$ARCH "* ]] || die "$OS/$ARCH is not one of ${PLATFORMS[*]}"
  binary=${DIST_BINARY:+$(abs "$DIST_BINARY")}
  if [ -z "$binary" ]; then
    [ "$OS/$ARCH" = "$(host_os)/$(host_arch)" ] || die "DIST_OS/DIST_ARCH need DIST_BINARY (a binary built for $OS/$ARCH)"
    [ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] ||
      log "warning: the work tree has changes: --version will say 'modified' (release from a clean checkout)"
    log "cargo build --release --locked"
    # cargo names the executable it built (wherever CARGO_TARGET_DIR or .cargo/config put it).
    binary=$(cargo build --release --locked --bin kubectl-singleton --message-format=json-render-diagnostics |
      sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  fi
  [ -f "$binary" ] || die "no binary at '$binary'"

  bin=$(bin_name "$OS")
  files[0]=$bin
  cp "$binary" "$stage/$bin" && chmod 755 "$stage/$bin"
  cp README.md LICENSE "$stage/"

  mkdir -p "$DIST_DIR"
  archive="$DIST_DIR/$(archive_name "$OS" "$ARCH")"
  epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
  touch -d "@$epoch" "${files[@]/#/$stage/}" 2>/dev/null || true # GNU touch; elsewhere mtimes stay
  if [ "$OS" = windows ]; then
    (cd "$stage" && zip -q -X out.zip "${files[@]}")
    mv "$stage/out.zip" "$archive"
  else
    reproducible=()
    [[ $(tar --version 2>/dev/null) == *GNU* ]] && reproducible=(--sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch")
    (cd "$stage" && tar ${reproducible[@]+"${reproducible[@]}"} -cf - "${files[@]}") | gzip -n >"$stage/out.tar.gz"
    mv "$stage/out.tar.gz" "$archive"
  fi
  log "packed $archive ($(sha256 "$archive"))"
fi

# --- render the manifest from every archive present in dist/ ---
previous_sha() { # the sha256 the manifest being replaced had for this exact uri, if any
  [ -f "$MANIFEST" ] || return 0
  awk -v u="$1" '$1 == "uri:" { uri = $2 } $1 == "sha256:" && uri == u { gsub(/"/, "", $2); print $2; exit }' "$MANIFEST"
}

platform_yaml() { # platform_yaml OS ARCH
  local os=$1 arch=$2 file uri sum
  file=$(archive_name "$os" "$arch")
  uri="$HOMEPAGE/releases/download/v$VERSION/$file"
  if [ -f "$DIST_DIR/$file" ]; then
    sum=$(sha256 "$DIST_DIR/$file")
  else
    $require_all && die "--require-all: $DIST_DIR/$file is missing"
    sum=$(previous_sha "$uri")
    [ -n "$sum" ] || sum=$PLACEHOLDER
    [ "$sum" != "$PLACEHOLDER" ] || log "warning: no $file: its sha256 is a placeholder (krew will refuse that archive)"
  fi
  cat <<YAML
  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $uri
    sha256: "$sum"
    bin: $(bin_name "$os")
    files:
YAML
  local f
  for f in "$(bin_name "$os")" "${files[@]:1}"; do printf '    - from: %s\n      to: .\n' "$f"; done
}

{
  cat <<YAML
# krew plugin manifest, generated by scripts/dist.sh from Cargo.toml and the archives in dist/:
# do not edit by hand (see the script for how a platform without an archive gets its sha256).
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: singleton
spec:
  version: v$VERSION
  homepage: $HOMEPAGE
  shortDescription: Leader-election locks and singleton workloads
  description: |
    For workloads that must run exactly once (schedulers, batch jobs, queue consumers,
    controllers with one active instance) and the leader-election locks that keep them so.
    status: who holds every leader-election lock (Leases and legacy ConfigMap/Endpoints
    locks), the holder's pod, when the lock was renewed and when it expires by the API
    server's clock, and each change as it happens.
    audit: every way a singleton can run twice or block a node drain, in a live cluster
    or in manifests.
    scaffold: correct manifests for StatefulSet, Deployment, CronJob and leader-election
    singletons.
    release: frees a dead holder's lease, or hands the lease over from a live holder
    without two leaders.
  platforms:
YAML
  for p in "${PLATFORMS[@]}"; do platform_yaml "${p%/*}" "${p#*/}"; done
} >"$stage/manifest.yaml"
mv "$stage/manifest.yaml" "$MANIFEST"
log "rendered $MANIFEST"
$manifest_only || echo "$archive"
