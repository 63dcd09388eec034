#!/usr/bin/env bash
# Runs a command with Node.js 22+ on PATH (installs Node 24 LTS from the npm registry if the
# machine's Node is older), so `npm start` and `npm run bench` work on a machine with Node 20.
# `npm run dev` and `npm test` go through scripts/bootstrap.sh, which also installs packages.
set -euo pipefail
# shellcheck source=scripts/node-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
exec "$@"
