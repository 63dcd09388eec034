#!/usr/bin/env bash
# Installs the tools that scripts/check-chart.sh needs, into <repo>/.tools/ (gitignored),
# without downloading a single prebuilt binary:
#
#   helm                 go install from the Go module proxy (helm's go.mod has no replace)
#   helm-unittest        copied out of the Go module cache and built there: its go.mod has a
#                        `replace` directive, and `go install pkg@version` refuses such modules
#   kubernetes-validate  PyPI, in a venv (bundles the Kubernetes JSON schemas, works offline)
#   promtool             Debian's `prometheus` package, only when no promtool is on PATH
#
# Idempotent: every tool whose wanted version is already installed is skipped.
# Override the pins with HELM_VERSION, HELM_UNITTEST_VERSION, KUBERNETES_VALIDATE_VERSION.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
bin="$tools/bin"
venv="$tools/venv"

HELM_VERSION="${HELM_VERSION:-v4.3.1}"
# v1.1.0 is refused by the Go module proxy ("403 This module version is not available");
# v1.1.2 is the only version it serves (checked 2026-11-25).
HELM_UNITTEST_VERSION="${HELM_UNITTEST_VERSION:-v1.1.2}"
KUBERNETES_VALIDATE_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"

# The machine's own Go (1.26); a toolchain line in some go.mod must not trigger a download.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
export GOBIN="$bin"
mkdir -p "$bin"

log() { printf '[install-chart-tools] %s\n' "$*" >&2; }

install_helm() {
  if [ -x "$bin/helm" ] && [ "$("$bin/helm" version --template '{{.Version}}' 2>/dev/null)" = "$HELM_VERSION" ]; then
    log "helm $HELM_VERSION already installed"
    return
  fi
  log "building helm $HELM_VERSION from the Go module proxy"
  local major="${HELM_VERSION%%.*}" # v4 or v3
  local ldflags="-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION"
  if [ "$major" = v3 ]; then
    # helm 3 hard-codes KubeVersion 1.20 unless the Makefile's ldflags set it; check-chart.sh
    # passes --kube-version anyway, this only makes a bare `helm template` sensible.
    ldflags="$ldflags -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=36"
    ldflags="$ldflags -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=36"
  fi
  go install -trimpath -ldflags "$ldflags" "helm.sh/helm/$major/cmd/helm@$HELM_VERSION"
  "$bin/helm" version
}

install_helm_unittest() {
  local stamp="$bin/.helm-unittest.version"
  if [ -x "$bin/helm-unittest" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$HELM_UNITTEST_VERSION" ]; then
    log "helm-unittest $HELM_UNITTEST_VERSION already installed"
    return
  fi
  log "building helm-unittest $HELM_UNITTEST_VERSION (copy out of the module cache, build as main module)"
  local json dir work
  # Run outside any go.mod; module@version downloads need none.
  json="$(cd "$tools" && go mod download -json "github.com/helm-unittest/helm-unittest@$HELM_UNITTEST_VERSION" 2>&1)" || true
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  if [ -z "$dir" ] || [ ! -f "$dir/go.mod" ]; then
    log "the Go module proxy did not give helm-unittest $HELM_UNITTEST_VERSION:"
    printf '%s\n' "$json" >&2
    log "versions it serves: $(cd "$tools" && go list -m -versions github.com/helm-unittest/helm-unittest 2>&1)"
    return 1
  fi
  work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  cp -R "$dir"/. "$work"
  chmod -R u+w "$work"
  # Inside the copy, helm-unittest is the main module, so its own `replace` applies.
  (cd "$work" && go build -trimpath \
    -ldflags "-s -w -X github.com/helm-unittest/helm-unittest/internal/build.version=${HELM_UNITTEST_VERSION#v}" \
    -o "$bin/helm-unittest" ./cmd/helm-unittest)
  printf '%s\n' "$HELM_UNITTEST_VERSION" >"$stamp"
}

install_kubernetes_validate() {
  if [ -x "$venv/bin/kubernetes-validate" ] &&
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null)" = "$KUBERNETES_VALIDATE_VERSION" ]; then
    log "kubernetes-validate $KUBERNETES_VALIDATE_VERSION already installed"
    return
  fi
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI into $venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
}

install_promtool() {
  if command -v promtool >/dev/null 2>&1; then
    log "promtool already on PATH: $(command -v promtool)"
    return
  fi
  log "installing Debian's prometheus package for promtool"
  # Keep apt from starting the prometheus service: policy-rc.d exit 101 forbids invoke-rc.d
  # actions (Debian policy §9.3.3). Many images ship one already; otherwise add one for the
  # duration of the install only.
  local made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local before after pid
  before=" $(pidof prometheus 2>/dev/null || true) "
  export DEBIAN_FRONTEND=noninteractive
  local rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; } || rc=$?
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ] || return "$rc"
  # Belt and braces: if the install started a prometheus server anyway, stop that one.
  after="$(pidof prometheus 2>/dev/null || true)"
  for pid in $after; do
    case "$before" in *" $pid "*) continue ;; esac
    log "stopping the prometheus server (pid $pid) that the package install started"
    kill "$pid" 2>/dev/null || true
  done
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
  promtool --version 2>&1 | head -1 >&2
}

timed() { # timed FUNCTION: runs it and logs how long it took
  local t0=$SECONDS
  "$1"
  log "$1: $((SECONDS - t0))s"
}

start=$(date +%s)
timed install_helm
timed install_helm_unittest
timed install_kubernetes_validate
timed install_promtool
log "done in $(($(date +%s) - start))s; add $bin to PATH (scripts/check-chart.sh does)"
