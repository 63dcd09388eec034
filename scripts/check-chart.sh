#!/usr/bin/env bash
# Checks the Helm chart helm/tencent-live-kafka-bridge without a cluster and without a Docker
# engine. Called by .ci/run after `npm run build`; tools come from scripts/install-chart-tools.sh.
#
#   1. helm lint --strict, once per install scenario (ci/*-values.yaml)
#   2. per scenario: helm template, then
#        - kubernetes-validate --strict against the Kubernetes JSON schemas of KUBE_VERSION
#          (ServiceMonitor/PrometheusRule are CRDs: left out of that, checked structurally)
#        - chart invariants (hardening, no secret in the ConfigMap, mounted paths, probes, selectors
#          that pick the bridge's pods only, a drain Job that runs like the bridge)
#        - promtool check rules + promtool test rules on the PrometheusRule, when there is one
#        - the ConfigMap's config.json through the app's own validation:
#          CONFIG_FILE=<file> node dist/src/main.js --check-config, with the container's env
#   3. the Prometheus Operator kinds are absent without the monitoring.coreos.com/v1 capability
#   4. negative controls: the app check rejects a config the app would reject, and the chart
#      refuses values its schema forbids
#   5. the Dockerfile's COPY sources exist and .dockerignore lets them through (no engine here)
#   6. the chart README's values table is generated from the current schema and values
#   7. helm-unittest suites (tests/*_test.yaml)
#
# A scenario file may carry extra `helm template` arguments on a line starting with
# "# check-chart-args:" (e.g. --api-versions monitoring.coreos.com/v1).
# Environment: KUBE_VERSION (default 1.37.0).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="$root/helm/tencent-live-kafka-bridge"
manifests="$root/helm/tools/manifests.py"
KUBE_VERSION="${KUBE_VERSION:-1.37.0}"
RELEASE=ci
NAMESPACE=live

export PATH="$root/.tools/bin:$PATH"
py="$root/.tools/venv/bin/python"
kubevalidate="$root/.tools/venv/bin/kubernetes-validate"

missing=""
for tool in helm helm-unittest promtool; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -x "$kubevalidate" ] || missing="$missing kubernetes-validate"
if [ -n "$missing" ]; then
  echo "check-chart: missing tools:$missing; run: bash scripts/install-chart-tools.sh" >&2
  exit 2
fi
# shellcheck source=/dev/null
source "$root/scripts/node-env.sh"
if [ ! -f "$root/dist/src/main.js" ]; then
  echo "check-chart: dist/src/main.js is missing; run: npm run build" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
start=$(date +%s)

# run NAME COMMAND...: runs a check, prints ok/FAIL with its output indented on failure.
run() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
    printf 'ok   %s%s\n' "$name" "${out:+  [$(printf '%s' "$out" | tail -n 1 | cut -c1-220)]}"
  else
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$name"
    printf '%s\n' "$out" | sed 's/^/       /'
  fi
}

scenario_args() { sed -n 's/^# check-chart-args:[[:space:]]*//p' "$1"; }

render() { # render VALUES_FILE OUT [extra helm args...]
  local values="$1" out="$2"
  shift 2
  helm template "$RELEASE" "$chart" --namespace "$NAMESPACE" --kube-version "$KUBE_VERSION" \
    -f "$values" "$@" >"$out"
}

lint() {
  local values="$1"
  helm lint --strict "$chart" --namespace "$NAMESPACE" --kube-version "$KUBE_VERSION" -f "$values" | tail -n 1
}

k8s_validate() { # k8s_validate RENDERED: strict schema validation of every built-in kind
  local rendered="$1" base="${1%.yaml}" out
  "$py" "$manifests" split "$rendered" "$base.k8s.yaml" "$base.crd.yaml" >"$base.kinds" || return 1
  out="$("$kubevalidate" --strict -k "$KUBE_VERSION" "$base.k8s.yaml" 2>&1)" || {
    printf '%s\n' "$out"
    return 1
  }
  # A kind without a schema is only a WARN for kubernetes-validate: treat it as a failure.
  if printf '%s\n' "$out" | grep -E '^(WARN|ERROR)' >&2; then return 1; fi
  printf '%s resources valid for Kubernetes %s, %s CRD objects set aside: %s\n' \
    "$(grep -c '^kind:' "$base.k8s.yaml")" "$KUBE_VERSION" "$(grep -c '^kind:' "$base.crd.yaml")" "$(cat "$base.kinds")"
}

prom_rules() { # prom_rules RENDERED: promtool check + unit tests of the alerts
  local rendered="$1" dir
  dir="$(dirname "$rendered")/rules"
  mkdir -p "$dir"
  "$py" "$manifests" rules "$rendered" "$dir/rules.yaml" || return 1
  promtool check rules "$dir/rules.yaml" || return 1
  cp "$root/helm/tools/alerts_test.yaml" "$dir/alerts_test.yaml"
  promtool test rules "$dir/alerts_test.yaml" || return 1
  printf '%s alerts pass promtool check; %s alert unit tests pass\n' \
    "$(grep -c '^ *- alert:' "$dir/rules.yaml")" "$(grep -c '^ *alertname:' "$dir/alerts_test.yaml")"
}

app_config() { # app_config RENDERED: the app validates the config the chart renders
  local rendered="$1" file env_file out
  file="${rendered%.yaml}.config.json"
  env_file="${rendered%.yaml}.env"
  "$py" "$manifests" config "$rendered" "$file" || return 1
  "$py" "$manifests" env "$rendered" >"$env_file" || return 1
  local -a envs=()
  mapfile -t envs <"$env_file"
  # A clean environment: the container's env (CONFIG_FILE pointed at the extracted file, secret
  # values replaced by a placeholder) plus NODE_ENV=production, which the image sets.
  out="$(cd "$root" && env -i PATH="$PATH" HOME="${HOME:-/root}" NODE_ENV=production "${envs[@]}" \
    CONFIG_FILE="$file" timeout 60 node dist/src/main.js --check-config 2>&1)"
  local rc=$?
  printf '%s\n' "$out"
  [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -qx 'config ok'
}

no_crds_without_capability() { # the CRD kinds need monitoring.coreos.com/v1
  local values="$1" out="$work/nocap.yaml"
  render "$values" "$out" || return 1
  if "$py" "$manifests" kinds "$out" | grep -E '^(ServiceMonitor|PrometheusRule)$'; then
    echo "rendered without the monitoring.coreos.com/v1 capability"
    return 1
  fi
  echo "absent without the capability"
}

expect_failure() { # expect_failure WHAT PATTERN COMMAND...: must fail, saying PATTERN
  local what="$1" pattern="$2" out
  shift 2
  if out="$("$@" 2>&1)"; then
    echo "accepted $what"
    return 1
  fi
  # not grep -q: it stops reading at the first match, printf gets SIGPIPE and, with pipefail, a
  # match would count as a failure
  if ! printf '%s\n' "$out" | grep -E -- "$pattern" >/dev/null; then
    printf 'failed, but not with /%s/:\n%s\n' "$pattern" "$out"
    return 1
  fi
  echo "rejected $what"
}

echo "check-chart: helm $(helm version --template '{{.Version}}'), kube $KUBE_VERSION, $(promtool --version 2>&1 | head -n 1 | cut -d' ' -f1-3), node $(node --version)"

shopt -s nullglob
scenarios=("$chart"/ci/*-values.yaml)
if [ "${#scenarios[@]}" -eq 0 ]; then
  echo "check-chart: no scenarios in $chart/ci" >&2
  exit 1
fi

for values in "${scenarios[@]}"; do
  name="$(basename "$values" -values.yaml)"
  mkdir -p "$work/$name"
  rendered="$work/$name/rendered.yaml"
  read -r -a extra <<<"$(scenario_args "$values")"
  run "$name: helm lint --strict" lint "$values"
  if ! out="$(render "$values" "$rendered" "${extra[@]}" 2>&1)"; then
    failed=$((failed + 1))
    printf 'FAIL %s: helm template\n%s\n' "$name" "$out"
    continue
  fi
  run "$name: kubernetes-validate --strict" k8s_validate "$rendered"
  run "$name: chart invariants" "$py" "$manifests" check-invariants "$rendered"
  run "$name: app --check-config" app_config "$rendered"
  if grep -q '^kind: ServiceMonitor$\|^kind: PrometheusRule$' "$rendered"; then
    run "$name: ServiceMonitor/PrometheusRule structure" "$py" "$manifests" check-crds "$rendered"
    run "$name: CRD kinds gated on the capability" no_crds_without_capability "$values"
  fi
  if grep -q '^kind: PrometheusRule$' "$rendered"; then
    run "$name: promtool check rules + test rules" prom_rules "$rendered"
  fi
done

# Negative controls: the checks above must be able to fail.
default_values="$chart/ci/default-values.yaml"
bad_app="$work/bad-app-values.yaml"
printf 'config:\n  kafka:\n    publishTimeoutMs: 5000\n' >"$bad_app" # >= server.requestTimeoutMs
mkdir -p "$work/negative"
if render "$default_values" "$work/negative/rendered.yaml" -f "$bad_app" 2>/dev/null; then
  run "negative: app --check-config rejects publishTimeoutMs >= requestTimeoutMs" \
    expect_failure "an invalid config" 'publishTimeoutMs must be shorter' app_config "$work/negative/rendered.yaml"
else
  failed=$((failed + 1))
  echo "FAIL negative: could not render the bad-app scenario"
fi
sed 's/^  revisionHistoryLimit: 5$/  revisionHistoryLimit: 5\n  unknownField: true/' \
  "$work/default/rendered.yaml" >"$work/negative/unknown-field.yaml"
run "negative: kubernetes-validate rejects an unknown field in the workload (StatefulSet)" \
  expect_failure "an unknown field" "'unknownField' was unexpected" k8s_validate "$work/negative/unknown-field.yaml"
# The drain Job's pod must never look like a bridge pod to the Service, PDB or workload.
sed 's/^        app.kubernetes.io\/component: spool-drain$/&\n        app.kubernetes.io\/name: tencent-live-kafka-bridge/' \
  "$work/drain-job/rendered.yaml" >"$work/negative/drain-selected.yaml"
run "negative: invariants reject a drain pod the bridge's Service would select" \
  expect_failure "a drain pod behind the Service" "Service ci-tencent-live-kafka-bridge selects the \\['bridge', 'drain'\\]" \
  "$py" "$manifests" check-invariants "$work/negative/drain-selected.yaml"
run "negative: schema rejects values without tencent.apps" \
  expect_failure "missing apps" "/tencent/apps': minItems" helm template "$RELEASE" "$chart" --kube-version "$KUBE_VERSION" \
  --set 'config.kafka.brokers[0]=kafka:9092'
run "negative: schema rejects an inline SASL password in config" \
  expect_failure "config.kafka.sasl.password" "additional properties 'password' not allowed" render "$default_values" "$work/negative/x.yaml" \
  --set config.kafka.sasl.password=hunter2

run "chart README values table matches values.schema.json + values.yaml" \
  "$py" "$root/helm/tools/values_table.py" "$chart" --check
run "Dockerfile: COPY sources exist and pass .dockerignore" \
  "$py" "$root/helm/tools/docker_context.py" "$root/Dockerfile" "$root"

unittest() { # helm-unittest, summarised by its "Tests:" line
  local out rc
  out="$(helm-unittest --strict --color=false "$chart" 2>&1)"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '%s\n' "$out"
    return "$rc"
  fi
  printf 'suites %s\n' "$(printf '%s\n' "$out" | grep -E '^(Test Suites|Tests):' | tr -s ' ' | paste -sd ';' -)"
}
run "helm-unittest suites (tests/*_test.yaml)" unittest

echo "check-chart: $passed passed, $failed failed in $(($(date +%s) - start))s"
[ "$failed" -eq 0 ]
