#!/usr/bin/env bash
# Builds a Pulumi toolchain without get.pulumi.com, from the Go module proxy:
#
#   $KC_CACHE/pulumi/<version>/bin/pulumi                         CLI
#   $KC_CACHE/pulumi/<version>/bin/pulumi-language-nodejs         Node.js language host
#   $KC_CACHE/pulumi/<version>/bin/pulumi-resource-pulumi-nodejs  dynamic providers
#
# Does nothing when a working pulumi of the pinned version is already on PATH.
# Cached by version: a second run only checks the binaries. Binaries are
# written under a temporary name and moved into place once they work, so an
# interrupted build never leaves a binary that looks cached.
#
# Usage: offline/toolchain.sh        (cold: ~6 min on 2 cores; warm: ~1 s)
#
# Sourcing this file only defines the pins and kc_* functions (offline/env.sh
# does that); it builds only when executed.

# shellcheck source=offline/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KC_PULUMI_VERSION="v3.259.0"
# The language host's own module is not served; sdk/v3 v3.68.0 is the last
# release that still contains it.
KC_LANGHOST_SDK_VERSION="v3.68.0"
KC_PULUMI_BIN_DIR="$KC_CACHE/pulumi/$KC_PULUMI_VERSION/bin"
KC_PULUMI_SRC_DIR="$KC_CACHE/pulumi/src"

# kc_pulumi_works BINARY: true when BINARY answers `version` with the pin.
kc_pulumi_works() {
  local out
  out="$(PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null)" || return 1
  [[ "$out" == "$KC_PULUMI_VERSION" ]]
}

# kc_external_pulumi: prints the path of a working pinned pulumi found on PATH
# outside our cache (e.g. an official install); fails when there is none.
kc_external_pulumi() {
  local found
  found="$(command -v pulumi 2>/dev/null)" || return 1
  [[ "$(dirname "$found")" != "$KC_PULUMI_BIN_DIR" ]] || return 1
  kc_pulumi_works "$found" || return 1
  printf '%s\n' "$found"
}

# _kc_go_build WORKDIR OUTPUT VERSION PACKAGE [GO_GET_ARGS...]
# Creates a wrapper module in WORKDIR, fetches the pinned modules and builds
# PACKAGE to OUTPUT (atomically: OUTPUT.tmp.PID, then mv by the caller).
_kc_go_build() {
  local workdir="$1" output="$2" version="$3" package="$4"
  shift 4
  mkdir -p "$workdir"
  rm -f "$workdir/go.mod" "$workdir/go.sum"
  (
    cd "$workdir"
    go mod init "keycloak-cluster.local/$(basename "$workdir")"
    # The pulumi CLI's go.mod replaces this module; replace directives of a
    # dependency do not apply to us, so repeat it (the original is unavailable).
    go mod edit -replace github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
    go get "$@"
    go build -trimpath \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
      -o "$output" "$package"
  )
}

kc_build_toolchain() {
  local existing started tmp
  if existing="$(kc_external_pulumi)"; then
    step toolchain "using pulumi $KC_PULUMI_VERSION already on PATH: $existing"
    return 0
  fi
  mkdir -p "$KC_PULUMI_BIN_DIR" "$KC_PULUMI_SRC_DIR"

  local cli="$KC_PULUMI_BIN_DIR/pulumi"
  if [[ -x "$cli" ]] && kc_pulumi_works "$cli"; then
    step toolchain "pulumi CLI $KC_PULUMI_VERSION cached: $cli"
  else
    command -v go >/dev/null || die "go is needed to build the pulumi CLI (Go >= 1.24)"
    step toolchain "building pulumi CLI $KC_PULUMI_VERSION (cold: ~6 min)"
    started=$SECONDS
    tmp="$cli.tmp.$$"
    _kc_go_build "$KC_PULUMI_SRC_DIR/pulumi-cli" "$tmp" "$KC_PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$KC_PULUMI_VERSION" \
      "github.com/pulumi/pulumi/sdk/v3@$KC_PULUMI_VERSION"
    kc_pulumi_works "$tmp" || die "the freshly built $tmp does not answer version $KC_PULUMI_VERSION"
    mv -f "$tmp" "$cli"
    step toolchain "built pulumi CLI in $((SECONDS - started))s"
  fi

  local langhost="$KC_PULUMI_BIN_DIR/pulumi-language-nodejs"
  if [[ -x "$langhost" ]]; then
    step toolchain "pulumi-language-nodejs (sdk $KC_LANGHOST_SDK_VERSION) cached"
  else
    step toolchain "building pulumi-language-nodejs from sdk $KC_LANGHOST_SDK_VERSION (cold: ~1 min)"
    started=$SECONDS
    tmp="$langhost.tmp.$$"
    _kc_go_build "$KC_PULUMI_SRC_DIR/pulumi-language-nodejs" "$tmp" "$KC_LANGHOST_SDK_VERSION" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
      "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@$KC_LANGHOST_SDK_VERSION"
    [[ -x "$tmp" ]] || die "building pulumi-language-nodejs produced no binary"
    mv -f "$tmp" "$langhost"
    step toolchain "built pulumi-language-nodejs in $((SECONDS - started))s"
  fi

  # Dynamic providers: a shell script shipped with @pulumi/pulumi that runs
  # node on @pulumi/pulumi/cmd/dynamic-provider resolved from the project.
  local script="pulumi-resource-pulumi-nodejs"
  local shipped="$REPO_ROOT/node_modules/@pulumi/pulumi/$script"
  [[ -f "$shipped" ]] || die "$shipped not found: run 'npm ci' in $REPO_ROOT first"
  if cmp -s "$shipped" "$KC_PULUMI_BIN_DIR/$script" && [[ -x "$KC_PULUMI_BIN_DIR/$script" ]]; then
    step toolchain "$script cached"
  else
    tmp="$KC_PULUMI_BIN_DIR/$script.tmp.$$"
    cp "$shipped" "$tmp"
    chmod 755 "$tmp"
    mv -f "$tmp" "$KC_PULUMI_BIN_DIR/$script"
    step toolchain "installed $script from @pulumi/pulumi"
  fi

  step toolchain "ready: $KC_PULUMI_BIN_DIR ($("$cli" version))"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # Leave no half-written binary behind when interrupted.
  trap 'rm -f "$KC_PULUMI_BIN_DIR"/*.tmp.$$' EXIT
  kc_build_toolchain "$@"
fi
