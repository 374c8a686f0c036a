#!/usr/bin/env bash
# Makes this machine ready to deploy without a registry or a Pulumi install, as needed and
# cached: Node >= 22 and the npm packages, a Docker engine, the local images (Keycloak for
# both session modes), and the Pulumi toolchain. Prints a progress line per step.
#   offline/prepare.sh            Docker engine, images, toolchain (what `npm run up` needs)
#   offline/prepare.sh --kube     also the one-node Kubernetes binaries and the real kubernetes
#                                 provider plugin (what a kubernetes stack on this machine needs)
#   offline/prepare.sh --e2e      --kube, and the test tools of test:e2e: the manifest linter
#                                 (kube-score), moto (AWS APIs emulated) and shellcheck
#   offline/prepare.sh --no-images  (unit-test machines: node, packages, toolchain only)
set -euo pipefail
# shellcheck source=offline/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

images=1
kube=0
tools=0
for arg in "$@"; do
  case "$arg" in
    --no-images) images=0 ;;
    --kube) kube=1 ;;
    --e2e) kube=1 tools=1 ;;
    *) die "unknown option $arg (use --kube, --e2e or --no-images)" ;;
  esac
done

node_bin="$(offline/node.sh)"
export PATH="$node_bin:$PATH"
if [[ ! -d node_modules/@pulumi/pulumi ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  step npm "installing packages from the lockfile (npm ci)"
  npm ci --no-audit --no-fund >&2
else
  step npm "packages installed"
fi

# The Go builds (CPU: the toolchain, the Kubernetes binaries, the kubernetes provider, kube-score)
# run in the background while the foreground does the work that waits on the
# network and the disk (the Docker engine, debootstrap, the Keycloak zip, moto). Only the
# foreground runs apt-get, so the two never contend for dpkg's lock.
go_builds() {
  offline/toolchain.sh >/dev/null
  if ((kube)); then
    offline/kube/build.sh node
    offline/kube/provider.sh
  fi
  if ((tools)); then
    offline/kube/kube-score.sh >/dev/null
  fi
}
set -m # the builds get their own process group: a failure here stops them all
go_builds &
go_pid=$!
set +m
trap 'kill -- -"$go_pid" 2>/dev/null || true' EXIT

if ((images)); then
  offline/docker-engine.sh start
  offline/images.sh all
  for mode in persistent volatile; do
    mapfile -t built < <(node_modules/.bin/tsx offline/build-options.ts "$mode")
    offline/images.sh keycloak --tag "${built[0]}" --build-options "${built[1]}"
  done
fi
if ((tools)); then
  offline/moto.sh >/dev/null
  if ! command -v shellcheck >/dev/null; then
    step prepare "installing Debian's shellcheck"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends shellcheck; } >&2
  fi
fi
wait "$go_pid" || die "a Go build failed (its error is above); run offline/prepare.sh again to resume from the cache"
trap - EXIT
step prepare "ready"
