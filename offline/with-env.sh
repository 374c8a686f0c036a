#!/usr/bin/env bash
# Runs a command with the offline mode's environment (offline/env.sh), preparing nothing:
#   offline/with-env.sh tsx chaos/cli.ts --stack dev
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=offline/env.sh
KC_ENV_QUIET=1 source "$here/env.sh" || printf 'warning: offline toolchain incomplete (run npm run up or offline/prepare.sh); --outputs files still work\n' >&2
export PATH="$REPO_ROOT/node_modules/.bin:$PATH"
exec "$@"
