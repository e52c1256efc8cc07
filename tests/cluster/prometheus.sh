#!/usr/bin/env bash
# A real Prometheus server and promtool for the exporter's e2e test, on 127.0.0.1 only.
#
#   prometheus.sh build   build prometheus and promtool into the cache (skipped when cached)
#   prometheus.sh dir     build if needed, print the directory holding both binaries
#
# Built with `go build` from the Go module proxy, pinned by prometheus/go.mod and go.sum beside this
# script, into $KUBECTL_SINGLETON_CACHE (default ~/.cache/kubectl-singleton)/bin/prometheus-<key>,
# keyed by go.mod/go.sum and the Go version, as cluster.sh does for the control plane. The
# `remove_all_sd` tag leaves out every cloud service-discovery plugin: the test only uses
# static_configs, and the build is several times smaller and faster without them. The web UI's
# assets are not embedded (no `builtinassets` tag); the HTTP API the test queries is all there.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/prometheus
CACHE_ROOT=${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}

log() { echo "prometheus.sh: $*" >&2; }
die() { echo "prometheus.sh: error: $*" >&2; exit 1; }

command -v go >/dev/null || die "Go is not installed: the exporter e2e test builds Prometheus with Go >= 1.26"
VERSION=$(awk '$1 == "github.com/prometheus/prometheus" && $2 ~ /^v/ { print $2; exit }' "$HERE/go.mod")
[ -n "$VERSION" ] || die "cannot read the pinned Prometheus version from $HERE/go.mod"

bin_dir() {
  local key
  key=$( { cat "$HERE/go.mod" "$HERE/go.sum"; go env GOVERSION; } | sha256sum | cut -c1-12)
  echo "$CACHE_ROOT/bin/prometheus-$VERSION-$key"
}

cmd_build() {
  mkdir -p "$CACHE_ROOT/bin"
  exec 9>"$CACHE_ROOT/prometheus-build.lock"
  flock 9
  local bin
  bin=$(bin_dir)
  if [ ! -e "$bin/.complete" ]; then
    log "building Prometheus $VERSION (module version) and promtool into $bin"
    local started=$SECONDS
    rm -rf "$bin.tmp" && mkdir -p "$bin.tmp"
    (cd "$HERE" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
      go build -trimpath -tags remove_all_sd -ldflags "-s -w" -o "$bin.tmp/" \
      github.com/prometheus/prometheus/cmd/prometheus \
      github.com/prometheus/prometheus/cmd/promtool)
    touch "$bin.tmp/.complete"
    rm -rf "$bin" && mv "$bin.tmp" "$bin"
    log "built Prometheus in $((SECONDS - started))s"
  fi
  exec 9>&-
}

case "${1:-}" in
  build) cmd_build ;;
  dir) cmd_build; bin_dir ;;
  *) die "usage: prometheus.sh build|dir" ;;
esac
