# shellcheck shell=bash
# Offline mode for this project: source it (from a shell or from a script).
#
#   source offline/env.sh && pulumi stack init dev && pulumi up
#
# It puts on PATH, in front: $REPO_ROOT/offline/provider/bin (stand-in
# provider plugins), the pinned pulumi toolchain (offline/toolchain.sh; unless
# a working pulumi of that version is on PATH already) and a Node >= 22
# (offline/node.sh; only when the node on PATH is older). It keeps Pulumi's
# home, state and passphrase under $REPO_ROOT/.pulumi/ (gitignored) and turns
# off every download Pulumi would try.
#
# It sets no shell options and never exits the shell: it returns 1 (after
# setting what it can) when the toolchain or node has not been installed yet.
# Set KC_ENV_QUIET=1 to silence the summary line.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  printf 'error: source this file: source %s\n' "$0" >&2
  exit 2
fi

# Definitions only: these files act only when executed.
# shellcheck source=offline/node.sh
source "$(dirname "${BASH_SOURCE[0]}")/node.sh"
# shellcheck source=offline/toolchain.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"

# _kc_path_prepend DIR: puts DIR first on PATH, removing other copies of it.
_kc_path_prepend() {
  local dir="$1" rest=":${PATH}:"
  while [[ "$rest" == *":$dir:"* ]]; do
    rest="${rest/":$dir:"/:}"
  done
  rest="${rest#:}"
  rest="${rest%:}"
  PATH="$dir${rest:+:$rest}"
}

_kc_env_main() {
  local status=0 pulumi_in_use node_in_use

  # Node >= 22
  if kc_system_node_ok; then
    node_in_use="$(command -v node)"
  elif kc_cached_node_ok; then
    _kc_path_prepend "$KC_NODE_BIN_DIR"
    node_in_use="$KC_NODE_BIN_DIR/node"
  else
    printf 'error: no Node >= %s: run %s/offline/node.sh\n' "$KC_NODE_MIN_MAJOR" "$REPO_ROOT" >&2
    status=1
  fi

  # pulumi CLI, language host and dynamic-provider script
  if pulumi_in_use="$(kc_external_pulumi)"; then
    :
  elif [[ -x "$KC_PULUMI_BIN_DIR/pulumi" && -x "$KC_PULUMI_BIN_DIR/pulumi-language-nodejs" ]]; then
    _kc_path_prepend "$KC_PULUMI_BIN_DIR"
    pulumi_in_use="$KC_PULUMI_BIN_DIR/pulumi"
  else
    printf 'error: no pulumi %s: run %s/offline/toolchain.sh\n' "$KC_PULUMI_VERSION" "$REPO_ROOT" >&2
    status=1
  fi

  # Stand-in provider plugins (pulumi-resource-*) made by another helper.
  _kc_path_prepend "$REPO_ROOT/offline/provider/bin"
  export PATH

  local state="$REPO_ROOT/.pulumi"
  export PULUMI_HOME="$state/home"
  mkdir -p "$PULUMI_HOME" || status=1
  if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
    mkdir -p "$state/state" || status=1
    export PULUMI_BACKEND_URL="file://$state/state"
  fi
  if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
    if [[ ! -s "$state/passphrase" ]]; then
      # A random passphrase, readable by the owner only, written atomically.
      if (umask 077 &&
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state/passphrase.tmp.$$" &&
        mv -f "$state/passphrase.tmp.$$" "$state/passphrase"); then
        [[ "${KC_ENV_QUIET:-}" == 1 ]] || step env "generated a passphrase for stack secrets: $state/passphrase"
      else
        printf 'error: could not write %s\n' "$state/passphrase" >&2
        rm -f "$state/passphrase.tmp.$$"
        status=1
      fi
    fi
    chmod 600 "$state/passphrase" 2>/dev/null || true
    export PULUMI_CONFIG_PASSPHRASE_FILE="$state/passphrase"
  fi

  # The chaos command's kubernetes driver, like kubectl, uses KUBECONFIG: the project's one-node
  # cluster's when none is set.
  if [[ -z "${KUBECONFIG:-}" && -f "$KC_CACHE/kube/state/admin.kubeconfig" ]]; then
    export KUBECONFIG="$KC_CACHE/kube/state/admin.kubeconfig"
  fi
  export PULUMI_SKIP_UPDATE_CHECK=true
  # A stack config file without the salt (the committed one) uses the stack's own secrets manager.
  export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true

  if [[ "${KC_ENV_QUIET:-}" != 1 ]]; then
    step env "pulumi: ${pulumi_in_use:-missing}; node: ${node_in_use:-missing}; backend: $PULUMI_BACKEND_URL"
  fi
  return "$status"
}

# In an interactive shell, `pulumi up/destroy/...` use the stack's machine-local config copy
# (offline/pulumi-local.sh); `command pulumi` bypasses it.
pulumi() { "$REPO_ROOT/offline/pulumi-local.sh" "$@"; }

_kc_env_status=0
_kc_env_main || _kc_env_status=$?
unset -f _kc_env_main _kc_path_prepend
return "$_kc_env_status"
