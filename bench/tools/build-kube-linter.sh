#!/usr/bin/env bash
# Builds kube-linter v0.8.3 from its public source into the cache, where bench/run.sh finds it
# (the Go module proxy refuses golang.stackrox.io/kube-linter, but its dependencies come from the
# proxy as usual). SRC: a git clone or mirror of github.com/stackrox/kube-linter.
#
#   bash bench/tools/build-kube-linter.sh SRC
#
# Tag v0.8.3 is commit 10ae003038c81855aca8489df5e35da150f4dc2e; the script refuses any other.
set -euo pipefail
SRC=${1:?usage: build-kube-linter.sh KUBE_LINTER_GIT_DIR}
TAG=v0.8.3
COMMIT=10ae003038c81855aca8489df5e35da150f4dc2e
CACHE_ROOT=${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}
OUT=$CACHE_ROOT/bin/kube-linter-$TAG
got=$(git -C "$SRC" rev-parse "$TAG^{commit}" 2>/dev/null || git --git-dir="$SRC" rev-parse "$TAG^{commit}")
[ "$got" = "$COMMIT" ] || { echo "build-kube-linter.sh: $TAG is $got in $SRC, expected $COMMIT" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{ git -C "$SRC" archive "$TAG" 2>/dev/null || git --git-dir="$SRC" archive "$TAG"; } | tar -x -C "$work"
mkdir -p "$OUT"
(cd "$work" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
  -ldflags "-s -w -X golang.stackrox.io/kube-linter/internal/version.version=$TAG" \
  -o "$OUT/kube-linter" ./cmd/kube-linter)
"$OUT/kube-linter" version
