# shellcheck shell=bash
# Small generic helpers for the offline/ scripts. Source it; it sets no shell
# options, so it is safe to source from an interactive shell too.
#
#   KC_CACHE   where built and downloaded tools are kept
#              (override with KC_CLUSTER_CACHE)
#   REPO_ROOT  the repository root (the folder above offline/)
#   step COMPONENT MESSAGE...   progress line on stderr: ==> [component] message (+Ns)
#   die MESSAGE...              error on stderr, exit 1

# shellcheck disable=SC2034  # both are used by the files that source this one
KC_CACHE="${KC_CLUSTER_CACHE:-$HOME/.cache/keycloak-cluster}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# Elapsed time is counted from the first time this file is sourced in a shell.
KC_STEP_T0="${KC_STEP_T0:-$SECONDS}"

step() {
  local component="$1"
  shift
  printf '==> [%s] %s (+%ss)\n' "$component" "$*" "$((SECONDS - KC_STEP_T0))" >&2
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
