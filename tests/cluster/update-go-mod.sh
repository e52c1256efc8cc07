#!/usr/bin/env bash
# Regenerates go.mod/go.sum for one Kubernetes release. k8s.io/kubernetes requires its
# staging modules at v0.0.0 with local replaces, which `go install pkg@version` refuses; this
# wrapper module replaces each staging module with its published tag instead
# (kubernetes/kubernetes#79384). The staging list is read from the release's own go.mod, so
# nothing here is hand-maintained.
# Usage: tests/cluster/update-go-mod.sh v1.36.3
set -euo pipefail
cd "$(dirname "$0")"
K8S_VERSION=${1:?usage: update-go-mod.sh vMAJOR.MINOR.PATCH}
STAGING_VERSION=v0.${K8S_VERSION#v1.}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

upstream_mod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$upstream_mod" ] || { echo "update-go-mod: cannot read go.mod of k8s.io/kubernetes@${K8S_VERSION}" >&2; exit 1; }
staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$upstream_mod" | sort -u)

go mod edit -require="k8s.io/kubernetes@${K8S_VERSION}"
# Drop old staging replaces, then add one per staging module of this release.
for old in $(go mod edit -json | sed -n 's/.*"Path": "\(k8s\.io\/[^"]*\)".*/\1/p' | sort -u); do
  go mod edit -dropreplace="$old" 2>/dev/null || true
done
for m in $staging; do
  go mod edit -replace="${m}=${m}@${STAGING_VERSION}"
done
go mod tidy
echo "go.mod now builds Kubernetes ${K8S_VERSION} (staging ${STAGING_VERSION}, $(echo "$staging" | wc -l) modules)"
