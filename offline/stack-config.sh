# shellcheck shell=bash
# Source it. The committed Pulumi.<stack>.yaml holds the user's settings; what only this
# machine needs (the local image names, the passphrase provider's encryption salt) goes to a
# copy under .pulumi/config/ that is not committed, and `pulumi up` reads that copy
# (--config-file). So `npm run up` never modifies a committed file.
#
#   kc_stack_config STACK   creates the stack when it does not exist (its salt lands in the copy),
#                           regenerates the copy from the committed file keeping the salt, and
#                           prints the copy's path

kc_stack_config() {
  local stack="$1" dir="$REPO_ROOT/.pulumi/config"
  local copy="$dir/Pulumi.$stack.yaml" committed="$REPO_ROOT/Pulumi.$stack.yaml" secrets=""
  mkdir -p "$dir"
  if ! pulumi stack ls --json 2>/dev/null | grep -q "\"name\": *\"$stack\""; then
    # Created from a scratch copy of the project file, so the new stack's salt is written to the
    # copy, not to the committed stack file.
    cp "$REPO_ROOT/Pulumi.yaml" "$dir/Pulumi.yaml"
    (cd "$dir" && pulumi stack init "$stack" --no-select >&2)
    step up "created stack $stack (its secrets salt is kept in $copy)"
  fi
  if [[ -f "$copy" ]]; then
    secrets="$(grep -E '^(encryptionsalt|secretsprovider|encryptedkey):' "$copy" || true)"
  fi
  {
    if [[ -f "$committed" ]]; then
      cat "$committed"
    fi
    if [[ -n "$secrets" ]] && ! grep -qE '^(encryptionsalt|secretsprovider):' "$committed" 2>/dev/null; then
      printf '%s\n' "$secrets"
    fi
  } >"$copy.tmp"
  mv -f "$copy.tmp" "$copy"
  printf '%s\n' "$copy"
}
