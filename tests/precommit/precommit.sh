#!/usr/bin/env bash
# The pre-commit hooks in .pre-commit-hooks.yaml, run by the real pre-commit from PyPI.
#
#   precommit.sh [BINARY]   BINARY: the kubectl-singleton to put first on PATH
#                           (default: target/debug/kubectl-singleton; tests/precommit.rs passes
#                           the test build)
#
# pre-commit (pinned with its dependencies in requirements.txt beside this script) is installed
# into a virtualenv in $KUBECTL_SINGLETON_CACHE/pre-commit/<version>/ (default
# ~/.cache/kubectl-singleton), once; python3 with its venv module is needed (the script installs
# Debian's python3-venv with apt-get when run as root and it is missing). No other network: the
# hook repository is a local git repository.
#
# pre-commit clones a hook repository at a commit, and the lead commits later: the working tree's
# .pre-commit-hooks.yaml is committed into a throwaway git repository, and a throwaway project
# repository's .pre-commit-config.yaml points at that (`repo:` a path, `rev:` its HEAD). Checks:
# - pre-commit validates the hooks file (both hooks) and the config;
# - a bad Deployment and the PDB over it, in separate files among others, fail `pre-commit run`
#   naming rollout-surge and pdb-blocks-drain, from ONE audit (require_serial: without it,
#   pre-commit splits 7 files over 2+ CPUs and the PDB is audited without its Deployment), and
#   `git commit` through `pre-commit install`'s hook is refused;
# - the fixed manifests pass and commit; a GitHub Actions workflow staged alone is audited and
#   passes; a Helm chart template (not YAML until rendered) is excluded; a YAML syntax error
#   fails naming the file and line; `args: [--fail-on, warning]` reaches the binary.
#
# Only the `language: system` hook runs here. The `language: rust` hook (kubectl-singleton-audit)
# makes pre-commit run `cargo install --bins --root ENV --path .` in its clone of the hook
# repository: a release build of the whole crate (minutes on two cores, every time the rev
# changes) that also needs crates.io, because `cargo install` re-resolves the dependencies instead
# of using Cargo.lock (rust-lang/cargo#7169, and pre-commit passes no --locked). It shares the
# system hook's entry (a YAML anchor), so only its install differs; validate-manifest checks its
# keys here. Run once by hand (a clone of this repository at a commit holding the hooks file, the
# bad manifests staged): pre-commit built the plugin in 3 min 42 s on two cores (crates.io
# reachable), then failed with the same rollout-surge and pdb-blocks-drain; 0.2 s when reused.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE_ROOT=${KUBECTL_SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-singleton}

log() { echo "precommit.sh: $*" >&2; }
die() { echo "precommit.sh: error: $*" >&2; exit 1; }

[ $# -le 1 ] && [ "${1:-}" != -h ] && [ "${1:-}" != --help ] || { echo "usage: $0 [BINARY]" >&2; exit 2; }
BINARY=${1:-$ROOT/target/debug/kubectl-singleton}
[ -x "$BINARY" ] || die "no kubectl-singleton binary at $BINARY (cargo build first)"
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
command -v git >/dev/null || die "git is not installed"
PRE_COMMIT_VERSION=$(sed -n 's/^pre-commit==//p' "$HERE/requirements.txt")
[ -n "$PRE_COMMIT_VERSION" ] || die "requirements.txt pins no pre-commit version"

# --- pre-commit in a cached virtualenv ------------------------------------------------------------
apt_install() { # apt_install PACKAGE...: only as root with apt-get (CI); else say what is missing
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null ||
    die "install the Debian package(s) $* (apt-get install -y $*) as root, then rerun"
  log "installing $* (apt-get)"
  apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq "$@" >/dev/null; } ||
    die "apt-get could not install $*"
}
command -v python3 >/dev/null || apt_install python3 python3-venv
# Debian's python3 lacks venv's ensurepip until python3-venv is installed.
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
VENV=$CACHE_ROOT/pre-commit/$PRE_COMMIT_VERSION
STAMP=$( { cat "$HERE/requirements.txt"; python3 -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
mkdir -p "$CACHE_ROOT/pre-commit"
exec 9>"$CACHE_ROOT/pre-commit/.lock"
flock 9
if [ "$(cat "$VENV/.complete" 2>/dev/null)" != "$STAMP" ]; then
  # A virtualenv cannot be moved (its scripts name their python by path): build it in place,
  # marked complete only at the end.
  log "installing pre-commit $PRE_COMMIT_VERSION from PyPI into $VENV"
  started=$SECONDS
  rm -rf "$VENV"
  timeout 300 python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
  timeout 600 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$HERE/requirements.txt" || die "pip could not install pre-commit $PRE_COMMIT_VERSION"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null || die "pip check failed in $VENV"
  echo "$STAMP" >"$VENV/.complete"
  log "installed pre-commit in $((SECONDS - started))s"
fi
exec 9>&-
PRE_COMMIT=$VENV/bin/pre-commit
[ "$("$PRE_COMMIT" --version)" = "pre-commit $PRE_COMMIT_VERSION" ] || die "$PRE_COMMIT is not pre-commit $PRE_COMMIT_VERSION"

# --- an isolated environment ----------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kubectl-singleton-precommit.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Nothing from a caller's git (a hook running us, a global config) or pre-commit (SKIP) leaks in.
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES \
  GIT_PREFIX SKIP PRE_COMMIT_ALLOW_NO_CONFIG
touch "$WORK/gitconfig"
export GIT_CONFIG_GLOBAL=$WORK/gitconfig GIT_CONFIG_NOSYSTEM=1 \
  GIT_AUTHOR_NAME=precommit.sh GIT_AUTHOR_EMAIL=precommit@example.invalid \
  GIT_COMMITTER_NAME=precommit.sh GIT_COMMITTER_EMAIL=precommit@example.invalid \
  PRE_COMMIT_HOME=$WORK/pre-commit-home PRE_COMMIT_COLOR=never NO_COLOR=1
mkdir -p "$WORK/bin"
ln -s "$BINARY" "$WORK/bin/kubectl-singleton"
export PATH="$WORK/bin:$PATH"
[ "$(command -v kubectl-singleton)" = "$WORK/bin/kubectl-singleton" ] || die "kubectl-singleton on PATH is not $BINARY"

# --- the hook repository: this working tree's .pre-commit-hooks.yaml, committed -----------------
HOOKS=$WORK/hooks
git init -q -b main "$HOOKS"
cp "$ROOT/.pre-commit-hooks.yaml" "$HOOKS/"
git -C "$HOOKS" add .pre-commit-hooks.yaml
git -C "$HOOKS" commit -q -m hooks
REV=$(git -C "$HOOKS" rev-parse HEAD)
out=$("$PRE_COMMIT" validate-manifest "$HOOKS/.pre-commit-hooks.yaml" 2>&1) || die "pre-commit rejects .pre-commit-hooks.yaml:
$out"
for id in kubectl-singleton-audit kubectl-singleton-audit-system; do
  grep -q "^- id: $id\$" "$HOOKS/.pre-commit-hooks.yaml" || die ".pre-commit-hooks.yaml has no hook $id"
done
log "pre-commit $PRE_COMMIT_VERSION accepts .pre-commit-hooks.yaml"

# --- the project repository ------------------------------------------------------------------------
P=$WORK/project
git init -q -b main "$P"
cd "$P"
config() { # config [ARGS...]: .pre-commit-config.yaml using the system hook, with these args
  {
    echo "repos:"
    echo "  - repo: $HOOKS"
    echo "    rev: $REV"
    echo "    hooks:"
    echo "      - id: kubectl-singleton-audit-system"
    [ $# -eq 0 ] || { printf '        args: [%s' "$1"; shift; printf ', %s' "$@"; echo "]"; }
  } >.pre-commit-config.yaml
  git add .pre-commit-config.yaml
}
# run NAME EXPECT(pass|fail) COMMAND...: run a command in the project, keep its output in $out
run() {
  local name=$1 expect=$2 rc=0
  shift 2
  out=$(timeout 300 "$@" </dev/null 2>&1) || rc=$?
  [ "$rc" -ne 124 ] || die "$name: timed out: $*"
  case $expect in
    pass) [ "$rc" -eq 0 ] || die "$name: '$*' failed ($rc), expected it to pass:
$out" ;;
    fail) [ "$rc" -ne 0 ] || die "$name: '$*' passed, expected it to fail:
$out" ;;
  esac
}
says() { # says NAME TEXT...: the last output contains every TEXT
  local name=$1 text
  shift
  for text; do
    grep -qF -- "$text" <<<"$out" || die "$name: the output does not say '$text':
$out"
  done
}

config
run "config" pass "$PRE_COMMIT" validate-config .pre-commit-config.yaml

manifest() { # manifest FILE: write FILE from stdin and stage it
  mkdir -p "$(dirname "$1")"
  cat >"$1"
  git add "$1"
}
deployment() { # deployment [STRATEGY]: the strict single-replica Deployment
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reconciler
  namespace: ops
  annotations:
    kubectl-singleton/mode: strict
spec:
  replicas: 1
$( [ -z "${1:-}" ] || printf '  strategy:\n    type: %s\n' "$1")
  selector:
    matchLabels:
      app: reconciler
  template:
    metadata:
      labels:
        app: reconciler
    spec:
      containers:
        - name: reconciler
          image: registry.example.com/reconciler:1.0.0
EOF
}
pdb() { # pdb SPEC-LINES: the PDB over it
  cat <<EOF
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: reconciler
  namespace: ops
spec:
$1
  selector:
    matchLabels:
      app: reconciler
EOF
}

# 1. Bad: the Deployment sorts first and its PDB last among seven staged files (the config, four
# unrelated ConfigMaps): pre-commit hands them to the hook in that order.
deployment | manifest k8s/00-deployment.yaml
for i in 1 2 3 4; do
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-%s\n  namespace: ops\ndata:\n  k: v\n' "$i" |
    manifest "k8s/50-settings-$i.yaml"
done
pdb "  minAvailable: 1" | manifest k8s/99-pdb.yaml
run "bad manifests" fail "$PRE_COMMIT" run
says "bad manifests" "kubectl-singleton audit" "Failed" "rollout-surge" "pdb-blocks-drain" \
  "k8s/00-deployment.yaml:1" "k8s/99-pdb.yaml:1"
runs=$(grep -c ' in [0-9]* objects\?$' <<<"$out" || true)
[ "$runs" -eq 1 ] || die "bad manifests: $runs audit summaries, expected one audit of every staged file (require_serial):
$out"
"$PRE_COMMIT" install >/dev/null
run "bad commit" fail git commit -q -m bad
says "bad commit" "rollout-surge" "pdb-blocks-drain"
! git rev-parse -q --verify HEAD >/dev/null || die "bad commit: git committed despite the hook"
log "bad manifests: pre-commit run and git commit fail on rollout-surge and pdb-blocks-drain (one audit of 7 files)"

# 2. Fixed: Recreate, and a PDB that allows the one disruption and evicts unhealthy pods.
deployment Recreate | manifest k8s/00-deployment.yaml
pdb "  maxUnavailable: 1
  unhealthyPodEvictionPolicy: AlwaysAllow" | manifest k8s/99-pdb.yaml
run "fixed manifests" pass "$PRE_COMMIT" run
says "fixed manifests" "kubectl-singleton audit" "Passed"
run "fixed commit" pass git commit -q -m fixed
log "fixed manifests: pre-commit run passes and git commit succeeds"

# 3. A non-manifest YAML alone is audited (Passed, not "no files to check") and ignored.
manifest .github/workflows/ci.yaml <<'EOF'
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
EOF
run "workflow" pass "$PRE_COMMIT" run
says "workflow" "kubectl-singleton audit" "Passed"
run "workflow commit" pass git commit -q -m workflow
log "a GitHub Actions workflow alone: audited, passes"

# 4. A Helm chart template: not YAML until rendered (audit -f on it exits 3 today); excluded.
manifest chart/templates/deployment.yaml <<'EOF'
{{- if .Values.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
spec:
  replicas: {{ .Values.replicas }}
{{- end }}
EOF
rc=0
kubectl-singleton audit -f chart/templates/deployment.yaml >/dev/null 2>&1 || rc=$?
run "helm template" pass "$PRE_COMMIT" run
says "helm template" "kubectl-singleton audit" "(no files to check)Skipped"
run "helm commit" pass git commit -q -m chart
log "a Helm chart template (audit -f on it alone exits $rc): excluded, skipped"

# 5. A manifest with a YAML syntax error fails, naming the file and the line.
manifest k8s/broken.yaml <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replicas: [1
EOF
run "broken" fail "$PRE_COMMIT" run
says "broken" "Failed"
where=$(grep -oE 'k8s/broken\.yaml:[0-9]+' <<<"$out" | head -1) || die "broken: the output names no k8s/broken.yaml:LINE:
$out"
git rm -q --cached k8s/broken.yaml && rm k8s/broken.yaml
log "a YAML syntax error: fails, naming $where"

# 6. args reach the binary: a warning alone passes by default and fails with --fail-on warning.
# --all-files: only the PDB changes, and the rule needs the committed Deployment too (a plain
# `pre-commit run` hands the hook the staged files only).
pdb "  maxUnavailable: 1" | manifest k8s/99-pdb.yaml
run "warning" pass "$PRE_COMMIT" run --all-files
says "warning" "kubectl-singleton audit" "Passed"
config --fail-on warning
run "warning, --fail-on warning" fail "$PRE_COMMIT" run --all-files
says "warning, --fail-on warning" "pdb-unhealthy-eviction" "at or above --fail-on warning"
log "args: [--fail-on, warning] turns the pdb-unhealthy-eviction warning into a failure"

log "ok: pre-commit $PRE_COMMIT_VERSION ran kubectl-singleton-audit-system from $BINARY"
