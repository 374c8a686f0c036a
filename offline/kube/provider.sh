#!/usr/bin/env bash
# Builds the REAL Pulumi kubernetes provider plugin from the Go module proxy (get.pulumi.com
# is not reachable here) and installs it into this project's plugin cache:
#
#   $KC_CACHE/pulumi-kubernetes/4.25.0/pulumi-resource-kubernetes      the built binary
#   $REPO_ROOT/.pulumi/home/plugins/resource-kubernetes-v4.25.0/       via `pulumi plugin install`
#
# Usage: offline/kube/provider.sh     (cold on 2 cores: ~15-20 min; warm: ~1 s)
#
# github.com/pulumi/pulumi-kubernetes/provider/v4 is served only at the pseudo-version of tag
# v4.25.0. Its go.mod replaces sdk/v4 with ../sdk (not in the module zip), so the build runs
# in a writable copy with that replace dropped and sdk/v4 v4.25.0 required; the provider's
# embedded schema is generated there (`VERSION=4.25.0 go run ./generate.go`) before
# `go build`. The binary is moved into place only once it runs, and is never put on PATH:
# the engine runs it from the plugin cache (set PULUMI_IGNORE_AMBIENT_PLUGINS=true).
# Needs the pulumi CLI of offline/toolchain.sh (or a pulumi v3.259.0 on PATH).
# Environment: KC_CLUSTER_CACHE (cache root).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Pins and kc_* functions of the toolchain (definitions only; also sources offline/lib.sh).
# shellcheck source=offline/toolchain.sh
source "$HERE/../toolchain.sh"

VERSION="4.25.0"
MODULE="github.com/pulumi/pulumi-kubernetes/provider/v4"
MODULE_VERSION="v4.0.0-20260115033456-f47bc2d6f199" # = tag v4.25.0
MODULE_SUM="h1:j2bphCf7c2YhnBrhwht2f3TNRRgcMImltUlAgzxr9H4="
SDK_MODULE="github.com/pulumi/pulumi-kubernetes/sdk/v4"
OUT_DIR="$KC_CACHE/pulumi-kubernetes/$VERSION"
BINARY="$OUT_DIR/pulumi-resource-kubernetes"
SRC_DIR="$KC_CACHE/pulumi-kubernetes/src/provider-$VERSION"
export PULUMI_HOME="$REPO_ROOT/.pulumi/home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

# provider_works PATH: the plugin starts and announces the port of its gRPC server (on
# 127.0.0.1) as its first line, as the engine expects; it is stopped right after.
provider_works() {
  [[ -x "$1" ]] || return 1
  local out pid i port
  out="$(mktemp)"
  "$1" >"$out" 2>/dev/null </dev/null &
  pid=$!
  for ((i = 0; i < 200; i++)); do
    [[ -s "$out" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  port="$(head -n 1 "$out")"
  rm -f "$out"
  [[ "$port" =~ ^[0-9]+$ ]]
}

_go() { GOTOOLCHAIN=local nice -n 10 go "$@"; }

build_provider() {
  if provider_works "$BINARY"; then
    step provider "pulumi-resource-kubernetes $VERSION cached: $BINARY"
    return 0
  fi
  command -v go >/dev/null || die "go is needed to build the kubernetes provider (go >= 1.24)"
  local started=$SECONDS json dir sum
  step provider "building pulumi-resource-kubernetes $VERSION (cold on 2 cores: ~15-20 min)"
  json="$(cd / && GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "$MODULE@$MODULE_VERSION")" ||
    die "go mod download $MODULE@$MODULE_VERSION failed: $json"
  dir="$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")"
  sum="$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$json")"
  [[ "$sum" == "$MODULE_SUM" ]] || die "$MODULE@$MODULE_VERSION has hash $sum, expected $MODULE_SUM"
  [[ -d "$dir/cmd/pulumi-resource-kubernetes" ]] || die "$dir has no cmd/pulumi-resource-kubernetes"

  # A writable copy: the module cache is read-only, and we edit go.mod and generate files.
  rm -rf "$SRC_DIR"
  mkdir -p "$(dirname "$SRC_DIR")" "$OUT_DIR"
  cp -r "$dir" "$SRC_DIR"
  chmod -R u+w "$SRC_DIR"
  local tmp="$BINARY.tmp.$$"
  (
    cd "$SRC_DIR"
    go mod edit -dropreplace "$SDK_MODULE" -require "$SDK_MODULE@v$VERSION"
    # Without it: missing go.sum entry for .../sdk/v4/go/kubernetes/yaml/v2.
    _go get "$SDK_MODULE@v$VERSION" >go-get.log 2>&1 || die "go get $SDK_MODULE@v$VERSION failed:
$(grep -v '^go: \(downloading\|added\|upgraded\|finding\)' go-get.log | tail -n 20)"
    step provider "modules resolved in $((SECONDS - started))s; generating the embedded schema"
    cd cmd/pulumi-resource-kubernetes
    VERSION="$VERSION" _go run ./generate.go || die "generate.go failed"
    step provider "schema generated after $((SECONDS - started))s; compiling"
    CGO_ENABLED=0 _go build \
      -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$VERSION" \
      -o "$tmp" .
  ) || die "building pulumi-resource-kubernetes failed"
  provider_works "$tmp" || die "the freshly built $tmp does not start"
  mv -f "$tmp" "$BINARY"
  step provider "built pulumi-resource-kubernetes $VERSION in $((SECONDS - started))s ($(du -m "$BINARY" | cut -f1) MB)"
}

find_pulumi() {
  local cli
  if cli="$(kc_external_pulumi)"; then
    printf '%s\n' "$cli"
  elif [[ -x "$KC_PULUMI_BIN_DIR/pulumi" ]] && kc_pulumi_works "$KC_PULUMI_BIN_DIR/pulumi"; then
    printf '%s\n' "$KC_PULUMI_BIN_DIR/pulumi"
  else
    die "no pulumi $KC_PULUMI_VERSION: run offline/toolchain.sh first"
  fi
}

plugin_installed() {
  "$1" plugin ls 2>/dev/null | awk '$1 == "kubernetes" && $2 == "resource" && $3 == v { found = 1 } END { exit !found }' v="$VERSION"
}

install_plugin() {
  local cli
  cli="$(find_pulumi)"
  mkdir -p "$PULUMI_HOME"
  if plugin_installed "$cli"; then
    step provider "kubernetes $VERSION already in the plugin cache of $PULUMI_HOME"
    return 0
  fi
  step provider "installing kubernetes $VERSION into $PULUMI_HOME"
  "$cli" plugin install resource kubernetes "$VERSION" --file "$BINARY" >&2
  plugin_installed "$cli" || die "pulumi plugin ls does not list kubernetes $VERSION after the install"
  step provider "installed: $("$cli" plugin ls 2>/dev/null | awk '$1 == "kubernetes"' | head -n 1)"
}

case "${1:-}" in
  "")
    trap 'rm -f "$BINARY.tmp.$$"' EXIT
    build_provider
    install_plugin
    ;;
  -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown argument '$1' (this script takes none)" ;;
esac
