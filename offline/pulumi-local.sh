#!/usr/bin/env bash
# `pulumi`, with the stack's machine-local config copy (offline/stack-config.sh: the committed
# Pulumi.<stack>.yaml plus this machine's image names and secrets salt) for the commands that
# deploy or read the program's config: up, preview, refresh, destroy, import, watch, logs. So a
# plain `pulumi destroy` neither misses the local images nor writes a salt into a committed file.
# Other commands (config, stack, ...) run as they are: `pulumi config set` edits the committed file.
#   offline/pulumi-local.sh destroy --stack dev       (npm run pulumi -- ... and offline/env.sh use it)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
args=("$@")
command=""
stack=""
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --config-file | --config-file=*) exec pulumi "${args[@]}" ;;
    --stack | -s) stack="${args[i + 1]:-}" ;;
    --stack=*) stack="${args[i]#--stack=}" ;;
    -*) ;;
    *) [[ -n "$command" ]] || command="${args[i]}" ;;
  esac
done
case "$command" in
  up | update | preview | pre | refresh | destroy | down | import | watch | logs) ;;
  *) exec pulumi "${args[@]}" ;;
esac
[[ -n "$stack" ]] || stack="$(cd "$repo" && pulumi stack --show-name 2>/dev/null || true)"
copy="$repo/.pulumi/config/Pulumi.$stack.yaml"
if [[ -n "$stack" && -f "$copy" ]]; then
  exec pulumi "${args[@]}" --config-file "$copy"
fi
exec pulumi "${args[@]}"
