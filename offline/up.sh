#!/usr/bin/env bash
# The main command (`npm run up`): on a machine with no Pulumi install and no image registry,
# prepare what is missing (Node, packages, Docker engine, images, Pulumi toolchain; for a
# kubernetes stack also the one-node cluster and the real kubernetes provider), then
# `pulumi up` the stack (default dev) on a local file backend, and print how to log in.
#   npm run up                 npm run up -- --stack k8s-local
set -euo pipefail
stack=dev
while (($#)); do
  case "$1" in
    --stack) stack="${2:?--stack needs a name}"; shift 2 ;;
    -h | --help) sed -n '2,5p' "$0"; exit 0 ;;
    *) printf 'error: unknown argument %s (use --stack NAME)\n' "$1" >&2; exit 2 ;;
  esac
done
here="$(dirname "${BASH_SOURCE[0]}")"
"$here/prepare.sh"
# shellcheck source=offline/env.sh
source "$here/env.sh"
# shellcheck source=offline/local-images.sh
source "$here/local-images.sh"
# shellcheck source=offline/stack-config.sh
source "$here/stack-config.sh"
cd "$REPO_ROOT"

step up "stack $stack"
config="$(kc_stack_config "$stack")"
target="$(pulumi config get --stack "$stack" --config-file "$config" target 2>/dev/null || echo docker)"
case "$target" in
  kubernetes | openshift)
    # The project's one-node Kubernetes, started when none runs, and the real kubernetes provider.
    "$here/prepare.sh" --kube
    "$here/kube/cluster.sh" start
    kc_local_kube_config "$stack" "$config" "$target"
    ;;
  *) kc_local_image_config "$stack" "$config" ;;
esac
step up "pulumi up with $config (the provider plugins in use are printed below)"
started=$SECONDS
pulumi up --stack "$stack" --config-file "$config" --yes --skip-preview
step up "pulumi up took $((SECONDS - started))s"

issuer="$(pulumi stack output --stack "$stack" issuerUrl)"
cat <<MSG

Keycloak is up. Log in (through the load balancer):
  $issuer/account
Test users and their passwords:
  source offline/env.sh && pulumi stack output --stack $stack testUsers --show-secrets
Admin console: $(pulumi stack output --stack "$stack" publicUrl)/admin (user $(pulumi stack output --stack "$stack" adminUsername); password: pulumi stack output adminPassword --show-secrets)
Plain pulumi works after: source offline/env.sh   (e.g. pulumi destroy --stack $stack;
  pulumi up needs --config-file $config, which holds the local image names)
MSG
