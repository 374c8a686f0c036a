#!/usr/bin/env bash
# Runs a command with a Node.js >= 22 first on PATH (installing Node 24 from the npm registry
# into the project's cache when the system Node is older; offline/node.sh) and the project's
# node_modules/.bin, so `npm test` works on a machine whose own Node is 20:
#   offline/with-node.sh vitest run --project unit
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
node_bin="$("$here/node.sh")"
repo="$(cd "$here/.." && pwd -P)"
export PATH="$node_bin:$repo/node_modules/.bin:$PATH"
exec "$@"
