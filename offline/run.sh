#!/usr/bin/env bash
# Runs a command in the project's offline mode, after preparing the machine:
#   offline/run.sh pulumi preview        offline/run.sh --e2e vitest run --project e2e
# (--e2e also prepares the one-node Kubernetes pieces and the test tools: offline/prepare.sh --e2e)
# The stand-in provider plugins are on PATH only inside this command.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
prepare=()
if [[ "${1:-}" == --e2e ]]; then
  prepare=(--e2e)
  shift
fi
"$here/prepare.sh" "${prepare[@]}"
# shellcheck source=offline/env.sh
source "$here/env.sh"
cd "$REPO_ROOT"
export PATH="$REPO_ROOT/node_modules/.bin:$PATH"
if [[ "${1:-}" == pulumi ]]; then
  shift
  exec "$here/pulumi-local.sh" "$@"
fi
exec "$@"
