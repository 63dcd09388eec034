#!/usr/bin/env bash
# `npm run dev` and `npm test` start here, run by whatever npm the machine has, before anything
# is installed (issue 15: the quick start is those two commands right after `git clone`). It
# installs what is missing, then runs the command it was given with Node.js 24 on PATH:
#   - Node.js 24 LTS from the npm registry when the machine's Node is older than 22 (node-env.sh)
#   - the npm packages (npm ci) when node_modules is missing or older than package-lock.json
#   - the Kafka jars (scripts/kafka-local.sh fetch) when they are missing and KAFKA_BROKERS is
#     unset; if that fails, a Docker engine can still provide Kafka, so it only warns
# Each check is a fast no-op once done (.ci/run installs first, then runs npm test).
#
# usage: scripts/bootstrap.sh <command> [args…]
# package.json runs it with `exec`, so npm's sh (dash) is replaced by it rather than waiting for
# it: dash does not pass on the SIGINT and SIGTERM that npm forwards to its script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A step runs in the background and is waited for, so that a SIGINT or SIGTERM sent to this
# script alone (npm forwards them to its script) stops the step at once instead of after it.
step_pid=""
on_signal() {
  if [ -n "$step_pid" ]; then
    kill -TERM "$step_pid" 2>/dev/null || true
    wait "$step_pid" 2>/dev/null || true
  fi
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
step() {
  "$@" &
  step_pid=$!
  local rc=0
  wait "$step_pid" || rc=$?
  step_pid=""
  return "$rc"
}

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

# npm ci writes node_modules/.package-lock.json last: missing or older than package-lock.json
# means never installed, interrupted, or installed before the lock file changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci) with Node.js $(node --version)"
  step npm ci --no-audit --no-fund --prefer-offline
fi

# (fetch does nothing when the jars of KAFKA_VERSION are complete)
if [ -z "${KAFKA_BROKERS:-}" ]; then
  step bash scripts/kafka-local.sh fetch ||
    say "could not fetch the Kafka jars (above); Kafka can still come from a Docker engine or KAFKA_BROKERS"
fi

trap - INT TERM
exec "$@"
