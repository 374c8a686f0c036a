#!/usr/bin/env bash
# Builds a one-node Kubernetes from the Go module proxy (no image registry, no downloads of
# prebuilt binaries), cached by version:
#
#   $KC_CACHE/kube/v1.37.2/bin/kube-apiserver, kube-controller-manager      (api)
#   $KC_CACHE/kube/v1.37.2/bin/kube-scheduler, kubelet, kube-proxy          (node)
#   $KC_CACHE/kube/coredns/v1.14.7/bin/coredns                              (node)
#   $KC_CACHE/kube/cri-tools/v1.37.0/bin/crictl                             (node)
#   $KC_CACHE/kube/crds/routes.crd.yaml   OpenShift's Route CRD (github.com/openshift/api)
#
# Usage: offline/kube/build.sh [api|node]     (default: node = everything)
#   cold, 2 cores: api ~8 min, node ~+5 min, coredns ~4 min, crictl ~1 min; warm: ~1 s
#
# The Kubernetes binaries come from ONE wrapper module (k8s.io/kubernetes, with every
# ./staging/... replace of its go.mod pointed at the same module at v0.37.2) and ONE
# `go build` for everything missing, so shared packages compile once. Builds go to a
# temporary folder and are moved into place only once each binary answers --version, so an
# interrupted build never leaves a binary that looks cached.
#
# Sourcing this file only defines the pins and kc_kube_* names (offline/kube/cluster.sh
# does that); it builds only when executed. Environment: KC_CLUSTER_CACHE (cache root).

# shellcheck source=offline/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

KC_KUBE_VERSION="v1.37.2"
KC_KUBE_STAGING_VERSION="v0.37.2"
KC_COREDNS_VERSION="v1.14.7"
# crictl: stop and remove pod sandboxes through CRI (so CNI tears their network down).
KC_CRICTL_VERSION="v1.37.0"
KC_OPENSHIFT_API_VERSION="v0.0.0-20251021124544-a2cb0c5d994d"
# The checksum database refuses this module here; pin what it must be instead.
KC_OPENSHIFT_API_SUM="h1:qV7SZW35RjLL0Hq8yW1Cbsa4F4zb6Fc+jFfUAKvHIbE="
KC_ROUTE_CRD_SHA256="d35625a8448d4cdc0768a3860dc9b92af946026a699024faf9e1d4918e42c647"

KC_KUBE_DIR="$KC_CACHE/kube"
KC_KUBE_BIN_DIR="$KC_KUBE_DIR/$KC_KUBE_VERSION/bin"
KC_COREDNS_BIN="$KC_KUBE_DIR/coredns/$KC_COREDNS_VERSION/bin/coredns"
KC_CRICTL_BIN="$KC_KUBE_DIR/cri-tools/$KC_CRICTL_VERSION/bin/crictl"
KC_ROUTE_CRD="$KC_KUBE_DIR/crds/routes.crd.yaml"
KC_KUBE_SRC_DIR="$KC_KUBE_DIR/src"
KC_KUBE_API_BINARIES=(kube-apiserver kube-controller-manager)
KC_KUBE_NODE_BINARIES=(kube-scheduler kubelet kube-proxy)

# kc_kube_binary_works PATH: true when PATH answers --version with the pinned version.
kc_kube_binary_works() {
  [[ -x "$1" ]] || return 1
  [[ "$("$1" --version 2>/dev/null)" == "Kubernetes $KC_KUBE_VERSION" ]]
}

kc_coredns_works() {
  [[ -x "$1" ]] || return 1
  [[ "$("$1" -version 2>/dev/null | head -n 1)" == "CoreDNS-${KC_COREDNS_VERSION#v}" ]]
}

kc_crictl_works() {
  [[ -x "$1" ]] || return 1
  [[ "$("$1" --version 2>/dev/null)" == "crictl version $KC_CRICTL_VERSION" ]]
}

kc_route_crd_ok() {
  [[ -f "$KC_ROUTE_CRD" ]] || return 1
  [[ "$(sha256sum "$KC_ROUTE_CRD" | cut -d' ' -f1)" == "$KC_ROUTE_CRD_SHA256" ]]
}

# Go settings for every build here: no toolchain download, low priority (2 cores).
_kc_go() { GOTOOLCHAIN=local nice -n 10 go "$@"; }

_kc_require_go() {
  command -v go >/dev/null || die "go is needed (>= 1.26.0) to build Kubernetes"
  local v
  v="$(go env GOVERSION)"
  v="${v#go}"
  local major="${v%%.*}" rest="${v#*.}"
  local minor="${rest%%.*}"
  ((major > 1 || (major == 1 && minor >= 26))) || die "go $v is too old: k8s.io/kubernetes $KC_KUBE_VERSION needs go >= 1.26.0"
}

# _kc_kube_wrapper_module DIR: writes the wrapper module (go.mod + go.sum) into DIR.
_kc_kube_wrapper_module() {
  local dir="$1" gomod
  mkdir -p "$dir"
  rm -f "$dir/go.mod" "$dir/go.sum"
  (
    cd "$dir"
    go mod init keycloak-cluster.local/kube >/dev/null 2>&1
    go mod edit -go=1.26.0 -require "k8s.io/kubernetes@$KC_KUBE_VERSION"
    # k8s.io/kubernetes points its staging modules at ./staging/...; replace directives of a
    # dependency do not apply to us, so point each of them at its published version.
    gomod="$(_kc_go mod download -json "k8s.io/kubernetes@$KC_KUBE_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@$KC_KUBE_VERSION"
    local -a staged
    mapfile -t staged < <(sed -n 's#^[[:space:]]*\([^[:space:]]*\) => \./staging/.*#\1#p' "$gomod")
    ((${#staged[@]} > 0)) || die "no ./staging replace found in $gomod"
    local -a edits=()
    local m
    for m in "${staged[@]}"; do
      edits+=(-replace "$m=$m@$KC_KUBE_STAGING_VERSION")
    done
    go mod edit "${edits[@]}"
    step kube "wrapper module: k8s.io/kubernetes $KC_KUBE_VERSION, ${#staged[@]} staging modules at $KC_KUBE_STAGING_VERSION"
    # Resolve the requirements of every command we may build, so go.mod is the same whatever
    # is requested (api first, node later).
    local -a gets=()
    for m in "${KC_KUBE_API_BINARIES[@]}" "${KC_KUBE_NODE_BINARIES[@]}"; do
      gets+=("k8s.io/kubernetes/cmd/$m@$KC_KUBE_VERSION")
    done
    _kc_go get "${gets[@]}" >go-get.log 2>&1 || die "go get failed in $dir:
$(grep -v '^go: \(downloading\|added\|upgraded\|finding\)' go-get.log | tail -n 20)"
  )
}

# _kc_kube_ldflags: link flags that make /version report the pinned release.
_kc_kube_ldflags() {
  local minor="${KC_KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  local info build_date=""
  info="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KC_KUBE_VERSION.info"
  [[ -f "$info" ]] && build_date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")"
  [[ -n "$build_date" ]] || build_date="1970-01-01T00:00:00Z"
  local flags="-s -w" pkg
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=" -X $pkg.gitVersion=$KC_KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  printf '%s\n' "$flags"
}

# kc_kube_build_binaries NAME...: builds the missing ones among NAME... in one go build.
kc_kube_build_binaries() {
  local -a missing=() pkgs=()
  local n
  for n in "$@"; do
    if kc_kube_binary_works "$KC_KUBE_BIN_DIR/$n"; then
      step kube "$n $KC_KUBE_VERSION cached"
    else
      missing+=("$n")
      pkgs+=("k8s.io/kubernetes/cmd/$n")
    fi
  done
  ((${#missing[@]} > 0)) || return 0
  _kc_require_go
  local started=$SECONDS module="$KC_KUBE_SRC_DIR/kubernetes-$KC_KUBE_VERSION"
  step kube "building ${missing[*]} (cold on 2 cores: ~8 min for the API server, ~5 min more for the node)"
  _kc_kube_wrapper_module "$module"
  step kube "modules resolved in $((SECONDS - started))s; compiling"
  mkdir -p "$KC_KUBE_BIN_DIR"
  local tmp="$KC_KUBE_BIN_DIR/.build.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  (
    cd "$module"
    CGO_ENABLED=0 _kc_go build -trimpath -tags selinux,notest,grpcnotrace \
      -ldflags "$(_kc_kube_ldflags)" -o "$tmp/" "${pkgs[@]}"
  ) || die "go build of ${missing[*]} failed"
  for n in "${missing[@]}"; do
    kc_kube_binary_works "$tmp/$n" || die "the freshly built $tmp/$n does not answer --version with Kubernetes $KC_KUBE_VERSION"
  done
  for n in "${missing[@]}"; do
    mv -f "$tmp/$n" "$KC_KUBE_BIN_DIR/$n"
  done
  rmdir "$tmp"
  step kube "built ${missing[*]} in $((SECONDS - started))s"
}

# _kc_build_tool NAME MODULE VERSION PACKAGE OUTPUT LDFLAGS CHECK: builds PACKAGE of MODULE@VERSION
# in a wrapper module of its own to OUTPUT unless CHECK OUTPUT already passes.
_kc_build_tool() {
  local name="$1" module="$2" version="$3" package="$4" output="$5" ldflags="$6" check="$7"
  if "$check" "$output"; then
    step "$name" "$name $version cached"
    return 0
  fi
  _kc_require_go
  local started=$SECONDS workdir="$KC_KUBE_SRC_DIR/$name-$version" tmp="$output.tmp.$$"
  step "$name" "building $name $version from $module"
  mkdir -p "$workdir" "$(dirname "$output")"
  rm -f "$workdir/go.mod" "$workdir/go.sum"
  (
    cd "$workdir"
    go mod init "keycloak-cluster.local/$name" >/dev/null 2>&1
    # The package, not just the module: go.sum then covers everything it imports.
    _kc_go get "$package@$version" >go-get.log 2>&1 || die "go get failed in $workdir:
$(grep -v '^go: \(downloading\|added\|upgraded\|finding\)' go-get.log | tail -n 20)"
    CGO_ENABLED=0 _kc_go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$package"
  ) || die "building $name failed"
  "$check" "$tmp" || die "the freshly built $tmp does not answer with version $version"
  mv -f "$tmp" "$output"
  step "$name" "built $name in $((SECONDS - started))s"
}

kc_kube_build_coredns() {
  _kc_build_tool coredns github.com/coredns/coredns "$KC_COREDNS_VERSION" github.com/coredns/coredns \
    "$KC_COREDNS_BIN" "-X github.com/coredns/coredns/coremain.GitCommit=$KC_COREDNS_VERSION" kc_coredns_works
}

kc_kube_build_crictl() {
  _kc_build_tool crictl sigs.k8s.io/cri-tools "$KC_CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl \
    "$KC_CRICTL_BIN" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$KC_CRICTL_VERSION" kc_crictl_works
}

kc_kube_route_crd() {
  if kc_route_crd_ok; then
    step crd "Route CRD cached: $KC_ROUTE_CRD"
    return 0
  fi
  command -v go >/dev/null || die "go is needed to fetch github.com/openshift/api"
  local started=$SECONDS json dir sum
  step crd "fetching github.com/openshift/api@$KC_OPENSHIFT_API_VERSION"
  # Outside any module; the checksum database refuses this module, so skip it and check the
  # pinned hash ourselves.
  json="$(cd / && GONOSUMDB=github.com/openshift/api GOFLAGS=-mod=mod GOTOOLCHAIN=local \
    go mod download -json "github.com/openshift/api@$KC_OPENSHIFT_API_VERSION")" \
    || die "go mod download github.com/openshift/api@$KC_OPENSHIFT_API_VERSION failed: $json"
  dir="$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")"
  sum="$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$json")"
  [[ "$sum" == "$KC_OPENSHIFT_API_SUM" ]] || die "github.com/openshift/api@$KC_OPENSHIFT_API_VERSION has hash $sum, expected $KC_OPENSHIFT_API_SUM"
  local src="$dir/route/v1/zz_generated.crd-manifests/routes.crd.yaml"
  [[ -f "$src" ]] || die "$src not found in the module"
  mkdir -p "$(dirname "$KC_ROUTE_CRD")"
  cp "$src" "$KC_ROUTE_CRD.tmp.$$"
  chmod 644 "$KC_ROUTE_CRD.tmp.$$"
  mv -f "$KC_ROUTE_CRD.tmp.$$" "$KC_ROUTE_CRD"
  kc_route_crd_ok || die "$KC_ROUTE_CRD does not have the pinned sha256"
  step crd "Route CRD ready in $((SECONDS - started))s: $KC_ROUTE_CRD"
}

kc_kube_build() {
  local target="${1:-node}" started=$SECONDS
  case "$target" in
    api)
      kc_kube_build_binaries "${KC_KUBE_API_BINARIES[@]}"
      kc_kube_route_crd
      ;;
    node)
      kc_kube_build_binaries "${KC_KUBE_API_BINARIES[@]}" "${KC_KUBE_NODE_BINARIES[@]}"
      kc_kube_build_coredns
      kc_kube_build_crictl
      kc_kube_route_crd
      ;;
    -h | --help)
      sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
      return 0
      ;;
    *) die "unknown target '$target' (use api or node)" ;;
  esac
  step kube "ready ($target) in $((SECONDS - started))s: $KC_KUBE_BIN_DIR"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # Leave no half-written binary behind when interrupted.
  trap 'rm -rf "$KC_KUBE_BIN_DIR/.build.$$" "$KC_COREDNS_BIN.tmp.$$" "$KC_CRICTL_BIN.tmp.$$" "$KC_ROUTE_CRD.tmp.$$"' EXIT
  kc_kube_build "$@"
fi
