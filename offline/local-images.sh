# shellcheck shell=bash
# Source it: kc_local_image_config STACK CONFIG_FILE — points a stack's machine-local config
# copy (offline/stack-config.sh) at the locally built images (no registry here). Sets only keys
# the user has not set, so a chosen image is never overwritten.
kc_local_image_config() {
  local stack="$1" file="$2" mode tag haproxy
  mode="$(pulumi config get --stack "$stack" --config-file "$file" --path keycloak.sessionMode 2>/dev/null || echo persistent)"
  tag="$("$REPO_ROOT/node_modules/.bin/tsx" "$REPO_ROOT/offline/build-options.ts" "$mode" | head -n 1)"
  haproxy="$(docker image ls --format '{{.Repository}}:{{.Tag}}' keycloak-cluster/haproxy | head -n 1)"
  [[ -n "$haproxy" ]] || die "no local HAProxy image: run offline/images.sh haproxy"
  _kc_set_default "$stack" "$file" keycloak.image "$tag"
  if [[ "$(pulumi config get --stack "$stack" --config-file "$file" --path keycloak.image)" == "$tag" ]]; then
    _kc_set_default "$stack" "$file" keycloak.optimizedImage true
  fi
  _kc_set_default "$stack" "$file" docker.databaseImage keycloak-cluster/postgres:15
  _kc_set_default "$stack" "$file" docker.loadBalancerImage "$haproxy"
}

# kc_local_kube_config STACK CONFIG_FILE TARGET — the same for a kubernetes or openshift stack on
# the project's one-node cluster (offline/kube/cluster.sh): its kubeconfig, the local images
# (loaded into the node; imagePullPolicy Never).
kc_local_kube_config() {
  local stack="$1" file="$2" target="$3" mode tag image
  mode="$(pulumi config get --stack "$stack" --config-file "$file" --path keycloak.sessionMode 2>/dev/null || echo persistent)"
  tag="$("$REPO_ROOT/node_modules/.bin/tsx" "$REPO_ROOT/offline/build-options.ts" "$mode" | head -n 1)"
  _kc_set_default "$stack" "$file" keycloak.image "$tag"
  if [[ "$(pulumi config get --stack "$stack" --config-file "$file" --path keycloak.image)" == "$tag" ]]; then
    _kc_set_default "$stack" "$file" keycloak.optimizedImage true
  fi
  _kc_set_default "$stack" "$file" "$target.databaseImage" keycloak-cluster/postgres:15
  _kc_set_default "$stack" "$file" "$target.imagePullPolicy" Never
  _kc_set_default "$stack" "$file" "$target.kubeconfig" "$("$REPO_ROOT/offline/kube/cluster.sh" kubeconfig)"
  image="$(pulumi config get --stack "$stack" --config-file "$file" --path keycloak.image)"
  "$REPO_ROOT/offline/kube/cluster.sh" load-images "$image" "$(pulumi config get --stack "$stack" --config-file "$file" --path "$target.databaseImage")"
}

_kc_set_default() {
  local stack="$1" file="$2" key="$3" value="$4"
  if ! pulumi config get --stack "$stack" --config-file "$file" --path "$key" >/dev/null 2>&1; then
    step up "$stack: $key = $value (local image, in $file)"
    pulumi config set --stack "$stack" --config-file "$file" --path "$key" "$value"
  fi
}
