#!/usr/bin/env bash
# A one-node Kubernetes on 127.0.0.1 with all state of its own, from the binaries that
# offline/kube/build.sh builds (it is run first: ~1 s when everything is cached).
#
#   offline/kube/cluster.sh start [--api-only]
#       --api-only: etcd, kube-apiserver (https://127.0.0.1:16443), kube-controller-manager
#       and OpenShift's Route CRD. Without it also kube-scheduler, containerd, kubelet,
#       kube-proxy and CoreDNS: a Ready node that runs pods. Starts only what is not running
#       (so `start` after `start --api-only` adds the node); waits until it is ready.
#   offline/kube/cluster.sh stop [--purge]
#       stops the processes this script started (and their pods), removes the iptables rules,
#       bridge, pod network namespaces and mounts it made, restores the sysctls it changed.
#       --purge (or `reset`) also deletes the data: etcd, keys, kubelet and containerd state.
#   offline/kube/cluster.sh status        what runs, and whether this script started it
#   offline/kube/cluster.sh kubeconfig [--chaos-runner]
#       the path of the admin kubeconfig (or of user "chaos-runner", in no group: for RBAC tests)
#   offline/kube/cluster.sh reclaim       wipes the local volumes whose claims are gone and offers them again
#   offline/kube/cluster.sh load-images IMAGE...
#       copies local Docker images into the node's containerd (skips those already there);
#       pods use them with imagePullPolicy: Never.
#
# Paths: runtime state (pids, sockets, configs, pod netns) in /run/keycloak-cluster/kube;
# data (etcd, keys, admin kubeconfig, kubelet, containerd) in $KC_CACHE/kube/state; logs in
# $KC_CACHE/kube/logs. Ports, all on 127.0.0.1: 16443 API server, 12379/12380 etcd,
# 16257 controller manager, 16259 scheduler, 16250/16248 kubelet, 16256/16249 kube-proxy,
# 16080/16181 CoreDNS health/ready; NodePorts 30000-32767. Pods: bridge kc-cni0,
# 10.244.0.0/24, gateway (and CoreDNS, and node IP) 10.244.0.1; Services 10.96.0.0/16.
# Pods reach each other, the host and Services only: traffic between the bridge and any
# other interface is dropped. Every iptables rule added carries the comment
# "keycloak-cluster-kube" and is recorded in /run/keycloak-cluster/kube/iptables.rules.
#
# Needs root. Environment: KC_CLUSTER_CACHE (cache root), KC_KUBE_TIMEOUT (seconds per wait,
# default 180), KC_KUBE_KEEP_ON_FAILURE=1 (leave a failed start running, to debug it).
set -euo pipefail
shopt -s inherit_errexit

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Pins and build functions (defines only; also sources offline/lib.sh).
# shellcheck source=offline/kube/build.sh
source "$HERE/build.sh"

RUN_DIR="/run/keycloak-cluster/kube"
STATE_DIR="$KC_KUBE_DIR/state"
LOG_DIR="$KC_KUBE_DIR/logs"
PID_DIR="$RUN_DIR/pids"
CONF_DIR="$RUN_DIR/conf"
PKI_DIR="$STATE_DIR/pki"
ETCD_DATA="$STATE_DIR/etcd"
KUBELET_ROOT="$STATE_DIR/kubelet"
POD_LOGS_DIR="$STATE_DIR/pod-logs"
CONTAINERD_ROOT="$STATE_DIR/containerd"
CONTAINERD_STATE="$RUN_DIR/containerd"
CONTAINERD_SOCK="$CONTAINERD_STATE/containerd.sock"
CNI_CONF_DIR="$RUN_DIR/cni/net.d"
CNI_IPAM_DIR="$RUN_DIR/cni/ipam"
CNI_BIN_DIR="/usr/lib/cni"
RULES_FILE="$RUN_DIR/iptables.rules"
SYSCTL_FILE="$RUN_DIR/sysctl.restore"
BRIDGE_FILE="$RUN_DIR/bridge.created"
PROXY_RAN_FILE="$RUN_DIR/kube-proxy.ran"
KUBE_CHAINS_FILE="$RUN_DIR/kube-chains.owner"
CGROUPS_FILE="$RUN_DIR/cgroups.created"
ADMIN_KUBECONFIG="$STATE_DIR/admin.kubeconfig"
CHAOS_KUBECONFIG="$STATE_DIR/chaos-runner.kubeconfig"

API_PORT=16443
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
KCM_PORT=16257
SCHEDULER_PORT=16259
KUBELET_PORT=16250
KUBELET_HEALTHZ_PORT=16248
PROXY_HEALTHZ_PORT=16256
PROXY_METRICS_PORT=16249
DNS_HEALTH_PORT=16080
DNS_READY_PORT=16181

NODE_NAME="kc-node"
BRIDGE="kc-cni0"
POD_SUBNET="10.244.0.0/24"
GATEWAY="10.244.0.1"
SERVICE_CIDR="10.96.0.0/16"
API_SERVICE_IP="10.96.0.1"
CLUSTER_DOMAIN="cluster.local"
MARK="keycloak-cluster-kube"
PAUSE_IMAGE="keycloak-cluster/kube-pause:bookworm"
BASE_IMAGE="keycloak-cluster/base:bookworm"
TIMEOUT="${KC_KUBE_TIMEOUT:-180}"

CONTROL_PLANE=(etcd kube-apiserver kube-controller-manager)
NODE_PARTS=(kube-scheduler containerd kubelet kube-proxy coredns)
STARTED_NOW=()
START_DONE=0

# --- processes -----------------------------------------------------------------------

need_root() { [[ $EUID -eq 0 ]] || die "this needs root (run: sudo $0 $*)"; }

# our_pid NAME: prints the pid of component NAME if this script started it and it still
# runs (pid file + /proc/<pid>/comm); fails otherwise.
our_pid() {
  local file="$PID_DIR/$1.pid" pid comm
  [[ -f "$file" ]] || return 1
  read -r pid comm <"$file" || return 1
  [[ -n "$pid" && -n "$comm" ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] || return 1
  alive "$pid" || return 1
  printf '%s\n' "$pid"
}

# launch NAME BINARY ARGS...: starts BINARY in a session of its own, logging to
# $LOG_DIR/NAME.log, and records its pid.
launch() {
  local name="$1" bin="$2"
  shift 2
  local log="$LOG_DIR/$name.log"
  printf '\n==== %s: %s %s\n' "$(date -u +%FT%TZ)" "$bin" "$*" >>"$log"
  # 9>&-: the daemon must not inherit (and hold) the lock of this script.
  setsid "$bin" "$@" >>"$log" 2>&1 </dev/null 9>&- &
  local pid=$!
  printf '%s %s\n' "$pid" "$(basename "$bin" | cut -c1-15)" >"$PID_DIR/$name.pid"
  STARTED_NOW+=("$name")
}

# wait_until NAME DESCRIPTION COMMAND...: polls COMMAND every second until it succeeds;
# fails with the end of NAME's log when NAME exits or after $TIMEOUT seconds.
wait_until() {
  local name="$1" what="$2" waited=0
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! our_pid "$name" >/dev/null; then
      die "$name exited before $what; last lines of $LOG_DIR/$name.log:
$(tail -n 25 "$LOG_DIR/$name.log" 2>/dev/null)"
    fi
    ((waited < TIMEOUT)) || die "$name: no $what within ${TIMEOUT}s; see $LOG_DIR/$name.log"
    sleep 1
    waited=$((waited + 1))
  done
}

# alive PID: the process exists and is not a zombie (a child of this shell that exited).
alive() {
  local state
  state="$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# stop_proc NAME...: stops the components NAME... that this script started, together
# (TERM, then KILL after 20 s).
stop_proc() {
  local name pid waited=0
  local -a names=() pids=()
  for name in "$@"; do
    if pid="$(our_pid "$name")"; then
      names+=("$name")
      pids+=("$pid")
      kill -TERM "$pid" 2>/dev/null || true
    else
      rm -f "$PID_DIR/$name.pid"
    fi
  done
  local i left
  while :; do
    left=0
    for pid in "${pids[@]}"; do alive "$pid" && left=$((left + 1)); done
    ((left > 0)) || break
    if ((waited >= 80)); then
      step kube "still running after 20s: ${names[*]}; SIGKILL"
      for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
      sleep 0.5
      break
    fi
    sleep 0.25
    waited=$((waited + 1))
  done
  for i in "${!names[@]}"; do
    wait "${pids[i]}" 2>/dev/null || true
    rm -f "$PID_DIR/${names[i]}.pid"
    step kube "stopped ${names[i]} (pid ${pids[i]})"
  done
}

# port_free PORT: true when nothing listens on 127.0.0.1:PORT (or the wildcard).
port_free() {
  ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# ensure_port_free NAME PORT...: dies when a port NAME needs is taken by someone else.
ensure_port_free() {
  local name="$1" p
  shift
  for p in "$@"; do
    port_free "$p" || die "port $p (for $name) is in use by another process: $(ss -Hltnp "sport = :$p" | head -n 1)"
  done
}

# --- API helpers ---------------------------------------------------------------------

admin_token() { awk -F, '$2 == "admin" { print $1; exit }' "$PKI_DIR/tokens.csv"; }
chaos_token() { awk -F, '$2 == "chaos-runner" { print $1; exit }' "$PKI_DIR/tokens.csv"; }

# api PATH [CURL_ARGS...]: an authenticated request to the API server, body on stdout.
api() {
  local path="$1"
  shift
  curl -sS --max-time 20 --cacert "$PKI_DIR/ca.crt" \
    -H "Authorization: Bearer $(admin_token)" "$@" "https://127.0.0.1:$API_PORT$path"
}

# api_status PATH [CURL_ARGS...]: prints the HTTP status code only.
api_status() {
  local path="$1"
  shift
  api "$path" -o /dev/null -w '%{http_code}' "$@" || true
}

api_readyz() { [[ "$(api /readyz 2>/dev/null)" == ok ]]; }
https_healthz() { [[ "$(curl -sk --max-time 5 "https://127.0.0.1:$1/healthz")" == ok ]]; }
http_ok() { curl -sf --max-time 5 -o /dev/null "$1"; }

condition_true() {
  # condition_true PATH TYPE: the object at PATH has status condition TYPE = True
  [[ "$(api "$1" 2>/dev/null | jq -r --arg t "$2" '.status.conditions[]? | select(.type == $t) | .status')" == True ]]
}

# --- packages ------------------------------------------------------------------------

# apt_install PACKAGE...: installs Debian packages without letting them start services.
apt_install() {
  command -v apt-get >/dev/null || die "$* missing and apt-get is not available: install them yourself"
  step kube "installing Debian packages: $*"
  local policy=/usr/sbin/policy-rc.d added_policy="" rc=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
  fi
  {
    apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  } >>"$LOG_DIR/apt-install.log" 2>&1 || rc=$?
  [[ -n "$added_policy" ]] && rm -f "$policy"
  ((rc == 0)) || die "apt-get install $* failed (exit $rc); see $LOG_DIR/apt-install.log"
}

ensure_tools() {
  local -a missing=()
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v ss >/dev/null || missing+=(iproute2)
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

ensure_etcd_package() {
  command -v etcd >/dev/null && return 0
  apt_install etcd-server
  command -v etcd >/dev/null || die "etcd-server installed but etcd is not on PATH"
}

ensure_node_packages() {
  local -a missing=()
  command -v containerd >/dev/null || missing+=(containerd)
  command -v ctr >/dev/null || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [[ -x "$CNI_BIN_DIR/bridge" && -x "$CNI_BIN_DIR/host-local" && -x "$CNI_BIN_DIR/portmap" && -x "$CNI_BIN_DIR/loopback" ]] ||
    missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

# --- keys and kubeconfig -------------------------------------------------------------

ensure_pki() {
  if [[ -s "$PKI_DIR/ca.crt" && -s "$PKI_DIR/apiserver.crt" && -s "$PKI_DIR/kubelet-client.crt" &&
    -s "$PKI_DIR/sa.key" && -s "$PKI_DIR/sa.pub" && -s "$PKI_DIR/tokens.csv" ]]; then
    ensure_chaos_token
    write_admin_kubeconfig
    return 0
  fi
  step kube "creating keys and certificates in $PKI_DIR"
  local tmp="$PKI_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  chmod 700 "$tmp"
  (
    cd "$tmp"
    exec 2>>openssl.log
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt \
      -subj "/CN=keycloak-cluster-kube-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$GATEWAY,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN" \
      >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt
    # The API server's client certificate towards the kubelet (logs, exec).
    openssl req -newkey rsa:2048 -nodes -keyout kubelet-client.key -out kubelet-client.csr \
      -subj "/O=system:masters/CN=kube-apiserver-kubelet-client"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=clientAuth" >client.ext
    openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out kubelet-client.crt
    # Service-account token signing key.
    openssl genrsa -out sa.key 2048
    openssl rsa -in sa.key -pubout -out sa.pub
    printf '%s,admin,admin,"system:masters"\n' "$(openssl rand -hex 32)" >tokens.csv
    rm -f ./*.csr ./*.ext ca.srl
    chmod 600 ./*.key tokens.csv
  ) || die "creating keys failed; see $tmp/openssl.log"
  rm -rf "$PKI_DIR"
  mv "$tmp" "$PKI_DIR"
  ensure_chaos_token
  write_admin_kubeconfig
}

# A second user, "chaos-runner", in no group: it may do only what a Role bound to it allows
# (the stacks' <name>-chaos Role), so the chaos driver's RBAC can be tested for real.
ensure_chaos_token() {
  if [[ -z "$(chaos_token)" ]]; then
    printf '%s,chaos-runner,chaos-runner\n' "$(openssl rand -hex 32)" >>"$PKI_DIR/tokens.csv"
  fi
}

write_admin_kubeconfig() {
  write_kubeconfig "$ADMIN_KUBECONFIG" admin "$(admin_token)"
  write_kubeconfig "$CHAOS_KUBECONFIG" chaos-runner "$(chaos_token)"
}

# write_kubeconfig FILE USER TOKEN
write_kubeconfig() {
  local file="$1" user="$2" token="$3" tmp="$1.tmp.$$"
  (
    umask 077
    cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: keycloak-cluster-kube
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI_DIR/ca.crt")
users:
- name: $user
  user:
    token: $token
contexts:
- name: keycloak-cluster-kube
  context:
    cluster: keycloak-cluster-kube
    user: $user
    namespace: default
current-context: keycloak-cluster-kube
EOF
  )
  if cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$file"
  fi
}

# --- control plane -------------------------------------------------------------------

start_etcd() {
  local pid
  if pid="$(our_pid etcd)"; then
    step kube "etcd already running (pid $pid)"
    return 0
  fi
  ensure_etcd_package
  ensure_port_free etcd "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT"
  mkdir -p "$ETCD_DATA"
  chmod 700 "$ETCD_DATA"
  step kube "starting etcd $(etcd --version 2>/dev/null | sed -n 's/^etcd Version: //p') on 127.0.0.1:$ETCD_CLIENT_PORT (data $ETCD_DATA)"
  launch etcd "$(command -v etcd)" \
    --name kc-kube --data-dir "$ETCD_DATA" --logger zap \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "kc-kube=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-token keycloak-cluster-kube --initial-cluster-state new \
    --quota-backend-bytes 2147483648
  wait_until etcd "health" http_ok "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
  step kube "etcd ready"
}

start_apiserver() {
  local pid
  if pid="$(our_pid kube-apiserver)"; then
    step kube "kube-apiserver already running (pid $pid)"
    wait_until kube-apiserver "/readyz" api_readyz
    return 0
  fi
  ensure_port_free kube-apiserver "$API_PORT"
  step kube "starting kube-apiserver $KC_KUBE_VERSION on https://127.0.0.1:$API_PORT"
  launch kube-apiserver "$KC_KUBE_BIN_DIR/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address 127.0.0.1 --secure-port "$API_PORT" --advertise-address "$GATEWAY" \
    --tls-cert-file "$PKI_DIR/apiserver.crt" --tls-private-key-file "$PKI_DIR/apiserver.key" \
    --client-ca-file "$PKI_DIR/ca.crt" \
    --token-auth-file "$PKI_DIR/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file "$PKI_DIR/sa.pub" \
    --service-account-signing-key-file "$PKI_DIR/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --kubelet-client-certificate "$PKI_DIR/kubelet-client.crt" \
    --kubelet-client-key "$PKI_DIR/kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --profiling=false
  wait_until kube-apiserver "/readyz" api_readyz
  step kube "kube-apiserver ready: $(api /version | jq -r .gitVersion)"
}

write_component_kubeconfig() {
  # The components run with the admin token; the file lives with the runtime state.
  mkdir -p "$CONF_DIR"
  cp "$ADMIN_KUBECONFIG" "$CONF_DIR/admin.kubeconfig.tmp.$$"
  chmod 600 "$CONF_DIR/admin.kubeconfig.tmp.$$"
  mv -f "$CONF_DIR/admin.kubeconfig.tmp.$$" "$CONF_DIR/admin.kubeconfig"
}

start_controller_manager() {
  local pid kc="$CONF_DIR/admin.kubeconfig"
  if pid="$(our_pid kube-controller-manager)"; then
    step kube "kube-controller-manager already running (pid $pid)"
    return 0
  fi
  ensure_port_free kube-controller-manager "$KCM_PORT"
  step kube "starting kube-controller-manager"
  launch kube-controller-manager "$KC_KUBE_BIN_DIR/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
    --leader-elect=false --controllers '*,-nodeipam' \
    --service-account-private-key-file "$PKI_DIR/sa.key" \
    --root-ca-file "$PKI_DIR/ca.crt" \
    --cluster-signing-cert-file "$PKI_DIR/ca.crt" --cluster-signing-key-file "$PKI_DIR/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --profiling=false
  wait_until kube-controller-manager "/healthz" https_healthz "$KCM_PORT"
  step kube "kube-controller-manager ready"
}

# Local volumes for the stacks' databases: the default StorageClass "kc-local" and
# LOCAL_VOLUMES hostPath volumes under $STATE_DIR/volumes, writable by any user (fsGroup does
# not apply to hostPath). A volume whose claim went is wiped and offered again by `reclaim`.
LOCAL_VOLUMES=4
ensure_local_storage() {
  local i path code
  if [[ "$(api_status /apis/storage.k8s.io/v1/storageclasses/kc-local)" == 404 ]]; then
    code="$(api_status /apis/storage.k8s.io/v1/storageclasses -X POST -H 'Content-Type: application/yaml' --data-binary @- <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: kc-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
EOF
)"
    [[ "$code" == 201 ]] || die "creating the StorageClass kc-local failed (HTTP $code)"
  fi
  for ((i = 0; i < LOCAL_VOLUMES; i++)); do
    path="$STATE_DIR/volumes/pv-$i"
    mkdir -p "$path"
    chmod 0777 "$path"
    [[ "$(api_status "/api/v1/persistentvolumes/kc-local-$i")" == 404 ]] || continue
    code="$(api_status /api/v1/persistentvolumes -X POST -H 'Content-Type: application/yaml' --data-binary @- <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: kc-local-$i
spec:
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: kc-local
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: $path, type: Directory}
EOF
)"
    [[ "$code" == 201 ]] || die "creating the local volume kc-local-$i failed (HTTP $code)"
  done
  step kube "local storage: StorageClass kc-local (default), $LOCAL_VOLUMES hostPath volumes in $STATE_DIR/volumes"
  reclaim_volumes
}

# reclaim_volumes: every local volume whose claim is gone (Released) is emptied and made
# Available again, so the next stack gets an empty one (what a storage provisioner does).
reclaim_volumes() {
  local name path n=0
  while read -r name path; do
    [[ -n "$name" && "$path" == "$STATE_DIR/volumes/"* ]] || continue
    find "$path" -mindepth 1 -delete
    chmod 0777 "$path"
    [[ "$(api_status "/api/v1/persistentvolumes/$name" -X PATCH -H 'Content-Type: application/merge-patch+json' \
      --data '{"spec":{"claimRef":null}}')" == 200 ]] || die "could not make $name available again"
    n=$((n + 1))
  done < <(api /api/v1/persistentvolumes | jq -r '.items[] | select(.spec.storageClassName == "kc-local" and .status.phase == "Released") | "\(.metadata.name) \(.spec.hostPath.path)"')
  ((n == 0)) || step kube "reclaimed $n released local volume(s)"
}

cmd_reclaim() {
  need_root reclaim
  lock
  api_readyz || die "the API server does not answer: run $0 start"
  reclaim_volumes
}

ensure_route_crd() {
  local path="/apis/apiextensions.k8s.io/v1/customresourcedefinitions/routes.route.openshift.io"
  local code
  code="$(api_status "$path")"
  case "$code" in
    200) step kube "Route CRD (route.openshift.io/v1) present" ;;
    404)
      code="$(api_status /apis/apiextensions.k8s.io/v1/customresourcedefinitions -X POST \
        -H 'Content-Type: application/yaml' --data-binary "@$KC_ROUTE_CRD")"
      [[ "$code" == 201 || "$code" == 409 ]] || die "creating the Route CRD failed (HTTP $code)"
      step kube "Route CRD (route.openshift.io/v1) created"
      ;;
    *) die "reading the Route CRD failed (HTTP $code)" ;;
  esac
  wait_until kube-apiserver "Established Route CRD" condition_true "$path" Established
}

start_scheduler() {
  local pid kc="$CONF_DIR/admin.kubeconfig"
  if pid="$(our_pid kube-scheduler)"; then
    step kube "kube-scheduler already running (pid $pid)"
    return 0
  fi
  ensure_port_free kube-scheduler "$SCHEDULER_PORT"
  step kube "starting kube-scheduler"
  launch kube-scheduler "$KC_KUBE_BIN_DIR/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --leader-elect=false \
    --profiling=false
  wait_until kube-scheduler "/healthz" https_healthz "$SCHEDULER_PORT"
  step kube "kube-scheduler ready"
}

# --- node network --------------------------------------------------------------------

# set_sysctl KEY VALUE: sets a sysctl, recording the old value (once) to restore on stop.
set_sysctl() {
  local key="$1" value="$2" file old
  file="/proc/sys/${key//.//}"
  [[ -f "$file" ]] || die "sysctl $key is not available"
  old="$(cat "$file")"
  [[ "$old" == "$value" ]] && return 0
  grep -q "^$key " "$SYSCTL_FILE" 2>/dev/null || printf '%s %s\n' "$key" "$old" >>"$SYSCTL_FILE"
  printf '%s\n' "$value" >"$file"
  step kube "sysctl $key=$value (was $old; restored on stop)"
}

# remember_sysctl KEY: records KEY's value before a component we start changes it.
remember_sysctl() {
  local key="$1" file
  file="/proc/sys/${key//.//}"
  grep -q "^$key " "$SYSCTL_FILE" 2>/dev/null || printf '%s %s\n' "$key" "$(cat "$file")" >>"$SYSCTL_FILE"
}

restore_sysctls() {
  [[ -f "$SYSCTL_FILE" ]] || return 0
  local key old file
  while read -r key old; do
    file="/proc/sys/${key//.//}"
    [[ -f "$file" ]] || continue
    [[ "$(cat "$file")" == "$old" ]] && continue
    # Docker's engine needs forwarding: leave it on while an engine answers.
    if [[ "$key" == net.ipv4.ip_forward ]] && docker info >/dev/null 2>&1; then
      continue
    fi
    printf '%s\n' "$old" >"$file" && step kube "sysctl $key restored to $old"
  done <"$SYSCTL_FILE"
  rm -f "$SYSCTL_FILE"
}

# add_rule TABLE CHAIN POSITION RULE...: inserts an iptables rule (marked with $MARK)
# unless it exists, and records it.
add_rule() {
  local table="$1" chain="$2" pos="$3"
  shift 3
  local -a rule=(-m comment --comment "$MARK" "$@")
  if ! iptables -w -t "$table" -C "$chain" "${rule[@]}" 2>/dev/null; then
    iptables -w -t "$table" -I "$chain" "$pos" "${rule[@]}"
  fi
  local line
  line="$(printf '%q ' "$table" "$chain" "${rule[@]}")"
  grep -qxF -- "$line" "$RULES_FILE" 2>/dev/null || printf '%s\n' "$line" >>"$RULES_FILE"
}

# remove_rules: deletes the recorded rules, then any other rule that carries $MARK.
remove_rules() {
  local line table chain n=0
  if [[ -f "$RULES_FILE" ]]; then
    local -a lines=() rule
    mapfile -t lines <"$RULES_FILE"
    local i
    for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
      eval "rule=(${lines[i]})"
      table="${rule[0]}"
      chain="${rule[1]}"
      while iptables -w -t "$table" -D "$chain" "${rule[@]:2}" 2>/dev/null; do n=$((n + 1)); done
    done
    rm -f "$RULES_FILE"
  fi
  # Sweep: a rule we added but whose record was lost still carries the marker.
  local found
  for table in filter nat mangle raw; do
    found="$(iptables-save -t "$table" 2>/dev/null | grep -E -- "^-A .*--comment \"?$MARK\"? " || true)"
    [[ -n "$found" ]] || continue
    delete_saved_rules iptables "$table" <<<"$found" && n=$((n + $(wc -l <<<"$found")))
  done
  ((n == 0)) || step kube "removed $n iptables rules ($MARK)"
}

# delete_saved_rules IPTABLES TABLE: deletes the rules read from stdin, as iptables-save
# prints them (-A CHAIN ...), in one iptables-restore transaction (it parses the quoting).
delete_saved_rules() {
  local ipt="$1" table="$2"
  { printf '*%s\n' "$table" && sed 's/^-A /-D /' && printf 'COMMIT\n'; } | "$ipt-restore" -w --noflush
}

# kube_chains_exist: true when any KUBE-* chain exists (IPv4 or IPv6, any table).
kube_chains_exist() {
  local ipt
  for ipt in iptables ip6tables; do
    command -v "$ipt-save" >/dev/null || continue
    "$ipt-save" 2>/dev/null | grep -q '^:KUBE-' && return 0
  done
  return 1
}

# remove_kube_chains: what `kube-proxy --cleanup` leaves (KUBE-FIREWALL and the jumps to it,
# which it shares with kubelets). Only called when no KUBE-* chain existed before we ran
# kube-proxy.
remove_kube_chains() {
  local ipt table save n=0
  local -a jumps chains
  for ipt in iptables ip6tables; do
    command -v "$ipt-save" >/dev/null || continue
    for table in filter nat mangle raw; do
      save="$("$ipt-save" -t "$table" 2>/dev/null)" || continue
      mapfile -t chains < <(sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p' <<<"$save")
      ((${#chains[@]} > 0)) || continue
      mapfile -t jumps < <(grep -E '^-A [^ ]+ .*-j KUBE-' <<<"$save" | grep -v '^-A KUBE-' || true)
      {
        printf '*%s\n' "$table"
        ((${#jumps[@]} == 0)) || printf '%s\n' "${jumps[@]/#-A /-D }"
        printf -- '-F %s\n' "${chains[@]}"
        printf -- '-X %s\n' "${chains[@]}"
        printf 'COMMIT\n'
      } | "$ipt-restore" -w --noflush && n=$((n + ${#chains[@]}))
    done
  done
  ((n == 0)) || step kube "removed $n KUBE-* chains left by kube-proxy"
}

setup_network() {
  # Bridged pod traffic must go through iptables (Services, and our FORWARD rules).
  [[ -d /proc/sys/net/bridge ]] || modprobe br_netfilter 2>/dev/null || true
  [[ -d /proc/sys/net/bridge ]] || die "br_netfilter is not available (no /proc/sys/net/bridge)"
  set_sysctl net.bridge.bridge-nf-call-iptables 1
  set_sysctl net.ipv4.ip_forward 1

  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    [[ -f "$BRIDGE_FILE" ]] || die "a link named $BRIDGE exists and was not created by this script"
  else
    local clash
    clash="$(ip -4 route show to match "$GATEWAY" | grep -v '^default' || true)"
    [[ -z "$clash" ]] || die "$POD_SUBNET clashes with a route on this host: $clash"
    ip link add "$BRIDGE" type bridge
    printf 'created=%s\n' "$(date -u +%FT%TZ)" >"$BRIDGE_FILE"
    ip addr add "$GATEWAY/${POD_SUBNET#*/}" dev "$BRIDGE"
    step kube "created bridge $BRIDGE ($GATEWAY/${POD_SUBNET#*/})"
  fi
  # Interface sysctls vanish with the bridge: no IPv6 on it; pods reach the API server
  # (10.96.0.1:443 is rewritten to 127.0.0.1:16443) only with route_localnet.
  printf '1\n' >"/proc/sys/net/ipv6/conf/$BRIDGE/disable_ipv6" 2>/dev/null || true
  printf '1\n' >"/proc/sys/net/ipv4/conf/$BRIDGE/route_localnet"
  ip link set "$BRIDGE" up

  # dockerd sets the FORWARD policy to DROP: accept traffic between pods (bridged traffic
  # goes through FORWARD), and drop everything between the bridge and other interfaces, so
  # pods reach nothing but each other, the host and Services.
  add_rule filter FORWARD 1 -o "$BRIDGE" ! -i "$BRIDGE" -j DROP
  add_rule filter FORWARD 1 -i "$BRIDGE" ! -o "$BRIDGE" -j DROP
  add_rule filter FORWARD 1 -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  # The API server reaches the kubelet (logs, exec) at the node IP; the kubelet listens on
  # 127.0.0.1 only.
  add_rule nat OUTPUT 1 -d "$GATEWAY/32" -p tcp --dport "$KUBELET_PORT" \
    -j DNAT --to-destination "127.0.0.1:$KUBELET_PORT"
}

# After kube-proxy put its KUBE-SERVICES jump first: pods reach the API server.
add_api_service_rule() {
  add_rule nat PREROUTING 1 -i "$BRIDGE" -d "$API_SERVICE_IP/32" -p tcp --dport 443 \
    -j DNAT --to-destination "127.0.0.1:$API_PORT"
}

# --- node ----------------------------------------------------------------------------

write_node_configs() {
  mkdir -p "$CONF_DIR" "$CNI_CONF_DIR" "$CNI_IPAM_DIR" "$CONTAINERD_STATE" "$CONTAINERD_ROOT" \
    "$KUBELET_ROOT" "$POD_LOGS_DIR"
  cat >"$CNI_CONF_DIR/10-kc-pods.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kc-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{ "subnet": "$POD_SUBNET", "gateway": "$GATEWAY" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$CONF_DIR/containerd.toml" <<EOF
# containerd of offline/kube/cluster.sh: its own root, state and socket.
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$CONTAINERD_ROOT/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "docker.io/$PAUSE_IMAGE"
    # Without it every sandbox fails here ("can't get final child's PID from pipe: EOF").
    restrict_oom_score_adj = true
    # Pod network namespaces under our state, not /var/run/netns.
    netns_mounts_under_state_dir = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$CONTAINERD_STATE/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$CNI_BIN_DIR"
      conf_dir = "$CNI_CONF_DIR"
      max_conf_num = 1
EOF
  # For crictl: $KC_CACHE/kube/cri-tools/*/bin/crictl -c /run/keycloak-cluster/kube/conf/crictl.yaml
  cat >"$CONF_DIR/crictl.yaml" <<EOF
runtime-endpoint: unix://$CONTAINERD_SOCK
image-endpoint: unix://$CONTAINERD_SOCK
timeout: 60
EOF
  cat >"$CONF_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI_DIR/ca.crt"}
authorization: {mode: Webhook}
containerRuntimeEndpoint: "unix://$CONTAINERD_SOCK"
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
clusterDNS: ["$GATEWAY"]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: ""
staticPodPath: ""
podLogsDir: "$POD_LOGS_DIR"
makeIPTablesUtilChains: false
serializeImagePulls: false
# Images cannot be pulled again here: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
rotateCertificates: false
serverTLSBootstrap: false
EOF
  cat >"$CONF_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: "$CONF_DIR/admin.kubeconfig"
hostnameOverride: $NODE_NAME
mode: iptables
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
clusterCIDR: $POD_SUBNET
nodePortAddresses: ["127.0.0.1/32"]
iptables:
  localhostNodePorts: true
# 0: leave the host's conntrack settings alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  cat >"$CONF_DIR/Corefile" <<EOF
# Cluster DNS only: no upstream (no internet here). Names outside these zones are REFUSED.
$CLUSTER_DOMAIN:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $GATEWAY
    errors
    health 127.0.0.1:$DNS_HEALTH_PORT
    ready 127.0.0.1:$DNS_READY_PORT
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $CONF_DIR/admin.kubeconfig
        pods insecure
    }
    cache 30
    loadbalance
}
EOF
}

ctr_() { ctr -a "$CONTAINERD_SOCK" -n k8s.io "$@"; }
crictl_() { "$KC_CRICTL_BIN" -c "$CONF_DIR/crictl.yaml" "$@"; }
containerd_answers() { ctr -a "$CONTAINERD_SOCK" version >/dev/null 2>&1; }

start_containerd() {
  local pid
  if pid="$(our_pid containerd)"; then
    step kube "containerd already running (pid $pid)"
    return 0
  fi
  (("${#CONTAINERD_SOCK}" < 100)) || die "containerd socket path too long: $CONTAINERD_SOCK"
  [[ ! -S "$CONTAINERD_SOCK" ]] || ! containerd_answers || die "another containerd answers on $CONTAINERD_SOCK"
  # runc puts pod cgroups under /k8s.io (cgroupsPerQOS is off): remove those on stop when
  # they are ours.
  if [[ ! -f "$CGROUPS_FILE" ]] && ! compgen -G '/sys/fs/cgroup/*/k8s.io' >/dev/null &&
    [[ ! -d /sys/fs/cgroup/k8s.io ]]; then
    printf 'created=%s\n' "$(date -u +%FT%TZ)" >"$CGROUPS_FILE"
  fi
  step kube "starting containerd $(containerd --version | awk '{print $3}') (socket $CONTAINERD_SOCK)"
  launch containerd "$(command -v containerd)" --config "$CONF_DIR/containerd.toml"
  wait_until containerd "socket" containerd_answers
  step kube "containerd ready"
}

# docker_image_id IMAGE / node_image_id IMAGE: the image's config digest in each store.
docker_image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
node_image_id() { crictl_ inspecti -o go-template --template '{{.status.id}}' "$1" 2>/dev/null; }

# import_image IMAGE: docker save | ctr import, unless containerd has the same image id.
import_image() {
  local image="$1" id
  id="$(docker_image_id "$image")" || die "image $image is not in the local Docker engine"
  if [[ "$(node_image_id "$image")" == "$id" ]]; then
    step kube "image $image already on the node (${id:7:12})"
    return 0
  fi
  local started=$SECONDS
  docker save "$image" | ctr_ images import --snapshotter overlayfs - >/dev/null ||
    die "importing $image into the node failed"
  [[ "$(node_image_id "$image")" == "$id" ]] || die "$image was imported but the node does not list it with id $id"
  step kube "image $image loaded into the node in $((SECONDS - started))s (${id:7:12})"
}

ensure_pause_image() {
  if ! docker info >/dev/null 2>&1; then
    if [[ -n "$(node_image_id "$PAUSE_IMAGE")" ]]; then
      step kube "no Docker engine answers; using the pause image already on the node"
      return 0
    fi
    die "no Docker engine answers (the pause image is built with it): run offline/docker-engine.sh start"
  fi
  local recipe
  recipe="$(sha256sum "$HERE/pause/Dockerfile" | cut -c1-16)"
  if [[ "$(docker image inspect -f '{{index .Config.Labels "keycloak-cluster.recipe"}}' "$PAUSE_IMAGE" 2>/dev/null)" != "$recipe" ]]; then
    docker_image_id "$BASE_IMAGE" >/dev/null || die "$BASE_IMAGE is missing: run offline/images.sh base"
    step kube "building the pause image $PAUSE_IMAGE"
    DOCKER_BUILDKIT=0 docker build -q --label "keycloak-cluster.recipe=$recipe" \
      --build-arg "BASE=$BASE_IMAGE" -t "$PAUSE_IMAGE" "$HERE/pause" >>"$LOG_DIR/pause-image.log" 2>&1 ||
      die "building $PAUSE_IMAGE failed; see $LOG_DIR/pause-image.log"
  fi
  import_image "$PAUSE_IMAGE"
}

node_ready() { condition_true "/api/v1/nodes/$NODE_NAME" Ready; }

start_kubelet() {
  local pid
  if pid="$(our_pid kubelet)"; then
    step kube "kubelet already running (pid $pid)"
  else
    ensure_port_free kubelet "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT"
    local sock="$KUBELET_ROOT/pod-resources/kubelet.sock"
    (("${#sock}" < 100)) || die "kubelet socket paths would be too long under $KUBELET_ROOT (set a shorter KC_CLUSTER_CACHE)"
    step kube "starting kubelet (node $NODE_NAME, node IP $GATEWAY)"
    launch kubelet "$KC_KUBE_BIN_DIR/kubelet" \
      --config "$CONF_DIR/kubelet.yaml" --kubeconfig "$CONF_DIR/admin.kubeconfig" \
      --root-dir "$KUBELET_ROOT" --hostname-override "$NODE_NAME" --node-ip "$GATEWAY"
    wait_until kubelet "/healthz" http_ok "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
  fi
  wait_until kubelet "Ready node" node_ready
  step kube "node $NODE_NAME Ready"
}

proxy_jump_present() { iptables -w -t nat -C PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES; }

start_kube_proxy() {
  local pid
  if pid="$(our_pid kube-proxy)"; then
    step kube "kube-proxy already running (pid $pid)"
  else
    ensure_port_free kube-proxy "$PROXY_HEALTHZ_PORT" "$PROXY_METRICS_PORT"
    # kube-proxy sets route_localnet=1 for NodePorts on 127.0.0.1: restore it on stop.
    remember_sysctl net.ipv4.conf.all.route_localnet
    # Its --cleanup leaves KUBE-FIREWALL (shared with kubelets): remove that too on stop,
    # unless some KUBE-* chain (another Kubernetes?) was there before.
    if [[ ! -f "$KUBE_CHAINS_FILE" ]]; then
      if kube_chains_exist; then
        echo shared >"$KUBE_CHAINS_FILE"
        step kube "KUBE-* iptables chains exist already: stop will leave KUBE-FIREWALL alone"
      else
        echo ours >"$KUBE_CHAINS_FILE"
      fi
    fi
    step kube "starting kube-proxy (iptables, NodePorts on 127.0.0.1)"
    printf 'started=%s\n' "$(date -u +%FT%TZ)" >"$PROXY_RAN_FILE"
    launch kube-proxy "$KC_KUBE_BIN_DIR/kube-proxy" --config "$CONF_DIR/kube-proxy.yaml"
    wait_until kube-proxy "/healthz" http_ok "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
  fi
  wait_until kube-proxy "KUBE-SERVICES jump" proxy_jump_present
  add_api_service_rule
  step kube "kube-proxy ready"
}

# dns_answers NAME: CoreDNS on the bridge answers an A query for NAME (python3; without it
# the ready endpoint only).
dns_answers() {
  command -v python3 >/dev/null || return 0
  python3 - "$GATEWAY" "$1" <<'EOF'
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
q = struct.pack(">HHHHHH", 0x4b43, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, (server, 53))
r = s.recv(512)
rcode, answers = r[3] & 0xF, struct.unpack(">H", r[6:8])[0]
sys.exit(0 if rcode == 0 and answers > 0 else 1)
EOF
}

coredns_ready() {
  http_ok "http://127.0.0.1:$DNS_READY_PORT/ready" && dns_answers "kubernetes.default.svc.$CLUSTER_DOMAIN"
}

start_coredns() {
  local pid
  if pid="$(our_pid coredns)"; then
    step kube "CoreDNS already running (pid $pid)"
    return 0
  fi
  ensure_port_free coredns "$DNS_HEALTH_PORT" "$DNS_READY_PORT"
  step kube "starting CoreDNS $KC_COREDNS_VERSION on $GATEWAY:53 ($CLUSTER_DOMAIN only)"
  launch coredns "$KC_COREDNS_BIN" -conf "$CONF_DIR/Corefile"
  wait_until coredns "answer for kubernetes.default.svc.$CLUSTER_DOMAIN" coredns_ready
  step kube "CoreDNS ready"
}

# --- teardown ------------------------------------------------------------------------

# unmount_under DIR...: unmounts every mount point below DIR (deepest first).
unmount_under() {
  local dir mp n=0
  local -a points=()
  for dir in "$@"; do
    [[ -d "$dir" ]] || continue
    while read -r mp; do points+=("$mp"); done < <(
      # The kubelet bind-mounts its root dir onto itself: include DIR itself.
      awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
    )
  done
  for mp in "${points[@]}"; do
    umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    n=$((n + 1))
  done
  ((n == 0)) || step kube "unmounted $n mounts"
}

# Our containerd's shims (containerd-shim-runc-v2 -address <our socket>).
our_shim_pids() {
  local p
  for p in /proc/[0-9]*; do
    [[ "$(cat "$p/comm" 2>/dev/null)" == containerd-shim* ]] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "-address $CONTAINERD_SOCK " && printf '%s\n' "${p#/proc/}"
  done
  return 0
}

# kill_leftover_shims: when our containerd died with pods running, its shims and their
# containers (the shims' children) are left: kill those trees.
kill_leftover_shims() {
  local -a shims
  mapfile -t shims < <(our_shim_pids)
  ((${#shims[@]} > 0)) || return 0
  local shim pid
  local -a tree
  for shim in "${shims[@]}"; do
    tree=("$shim")
    local i=0
    while ((i < ${#tree[@]})); do
      while read -r pid; do [[ -n "$pid" ]] && tree+=("$pid"); done < <(pgrep -P "${tree[i]}" || true)
      i=$((i + 1))
    done
    kill -KILL "${tree[@]}" 2>/dev/null || true
  done
  step kube "killed ${#shims[@]} leftover containerd shims and their containers"
  sleep 0.5
}

remove_pods() {
  our_pid containerd >/dev/null || return 0
  local -a ids=()
  mapfile -t ids < <(crictl_ pods -q 2>/dev/null || true)
  if ((${#ids[@]} > 0)); then
    step kube "removing ${#ids[@]} pod sandboxes (CNI teardown)"
    crictl_ rmp -f "${ids[@]}" >/dev/null 2>&1 || step kube "crictl rmp failed; killing what is left"
  fi
  # Whatever is left (e.g. crictl failed): kill the tasks.
  local task
  while read -r task; do
    [[ -n "$task" ]] || continue
    ctr_ tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
    sleep 0.2
    ctr_ tasks delete -f "$task" >/dev/null 2>&1 || true
  done < <(ctr_ tasks ls -q 2>/dev/null || true)
}

cleanup_network() {
  # Pod network namespaces (containerd keeps them under its state dir).
  local ns n=0
  for ns in "$CONTAINERD_STATE"/io.containerd.grpc.v1.cri/netns/*; do
    [[ -e "$ns" ]] || continue
    umount "$ns" 2>/dev/null || umount -l "$ns" 2>/dev/null || true
    rm -f "$ns" && n=$((n + 1))
  done
  ((n == 0)) || step kube "removed $n pod network namespaces"
  if ip link show "$BRIDGE" >/dev/null 2>&1 && [[ -f "$BRIDGE_FILE" ]]; then
    local veth
    while read -r veth; do
      if [[ -n "$veth" ]]; then ip link del "$veth" 2>/dev/null || true; fi
    done < <(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
    ip link del "$BRIDGE"
    step kube "deleted bridge $BRIDGE"
  fi
  rm -f "$BRIDGE_FILE"
  rm -rf "$CNI_IPAM_DIR"
}

# remove_runtime_state: containerd's per-boot state (our containerd is stopped by now),
# including the sockets of shims that did not exit cleanly: containerd 1.6 names them
# /run/containerd/s/sha256(<containerd socket>/<namespace>/<task id>).
remove_runtime_state() {
  [[ -d "$CONTAINERD_STATE" ]] || return 0
  local dir id hash
  for dir in "$CONTAINERD_STATE"/io.containerd.runtime.v2.task/*/*; do
    [[ -d "$dir" ]] || continue
    id="$(basename "$dir")"
    hash="$(printf '%s' "$CONTAINERD_SOCK/$(basename "$(dirname "$dir")")/$id" | sha256sum | cut -c1-64)"
    rm -f "/run/containerd/s/$hash"
  done
  rm -rf "$CONTAINERD_STATE"
}

teardown_node() {
  stop_proc coredns kube-proxy kube-scheduler
  if [[ -f "$PROXY_RAN_FILE" ]]; then
    # Removes every KUBE-* rule and chain kube-proxy made (only because we ran it).
    "$KC_KUBE_BIN_DIR/kube-proxy" --cleanup >>"$LOG_DIR/kube-proxy.log" 2>&1 || true
    rm -f "$PROXY_RAN_FILE"
    step kube "kube-proxy rules cleaned up"
  fi
  if [[ "$(cat "$KUBE_CHAINS_FILE" 2>/dev/null)" == ours ]]; then remove_kube_chains; fi
  rm -f "$KUBE_CHAINS_FILE"
  stop_proc kubelet
  remove_pods
  stop_proc containerd
  kill_leftover_shims
  remove_rules
  unmount_under "$RUN_DIR" "$KUBELET_ROOT" "$CONTAINERD_ROOT"
  cleanup_network
  remove_runtime_state
  restore_sysctls
  if [[ -f "$CGROUPS_FILE" ]]; then
    # Empty cgroup folders only (rmdir fails on one still in use).
    local cg
    for cg in /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/k8s.io; do
      [[ -d "$cg" ]] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -f "$CGROUPS_FILE"
  fi
  # The kubelet links container logs into /var/log/containers.
  local link
  for link in /var/log/containers/*.log; do
    if [[ -L "$link" && "$(readlink "$link")" == "$POD_LOGS_DIR"/* ]]; then rm -f "$link"; fi
  done
}

teardown_control_plane() {
  stop_proc kube-controller-manager kube-apiserver
  stop_proc etcd
}

# --- commands ------------------------------------------------------------------------

on_start_exit() {
  local rc=$?
  ((rc != 0 && START_DONE == 0)) || return 0
  if [[ "${KC_KUBE_KEEP_ON_FAILURE:-}" == 1 ]]; then
    step kube "start failed; KC_KUBE_KEEP_ON_FAILURE=1: leaving it as it is ($0 stop cleans up)"
    return 0
  fi
  ((${#STARTED_NOW[@]} > 0)) || return 0
  step kube "start failed; stopping what this run started: ${STARTED_NOW[*]}"
  local name node_started=0
  for name in "${STARTED_NOW[@]}"; do
    if [[ " ${NODE_PARTS[*]} " == *" $name "* ]]; then node_started=1; fi
  done
  set +e
  if ((node_started)); then teardown_node; fi
  # Reverse order: the API server would hang on shutdown without etcd.
  local -a first=()
  for name in kube-controller-manager kube-apiserver; do
    if [[ " ${STARTED_NOW[*]} " == *" $name "* ]]; then first+=("$name"); fi
  done
  ((${#first[@]} == 0)) || stop_proc "${first[@]}"
  if [[ " ${STARTED_NOW[*]} " == *" etcd "* ]]; then stop_proc etcd; fi
}

# lock: one start/stop/load-images at a time.
lock() {
  mkdir -p "$RUN_DIR"
  exec 9>>"$RUN_DIR/lock"
  flock -w 600 9 || die "another $0 is still running after 600s"
}

cmd_start() {
  local api_only=0
  case "${1:-}" in
    "") ;;
    --api-only) api_only=1 ;;
    *) die "unknown option '$1' for start (use --api-only)" ;;
  esac
  need_root start "$@"
  lock
  mkdir -p "$RUN_DIR" "$PID_DIR" "$CONF_DIR" "$STATE_DIR" "$LOG_DIR"
  chmod 700 "$RUN_DIR" "$STATE_DIR"
  local started=$SECONDS
  ensure_tools
  if ((api_only)); then kc_kube_build api; else kc_kube_build node; fi
  trap on_start_exit EXIT
  ensure_pki
  write_component_kubeconfig
  start_etcd
  start_apiserver
  start_controller_manager
  ensure_route_crd
  if ((api_only == 0)); then
    ensure_node_packages
    start_scheduler
    write_node_configs
    setup_network
    start_containerd
    ensure_pause_image
    start_kubelet
    start_kube_proxy
    start_coredns
    ensure_local_storage
  fi
  START_DONE=1
  step kube "ready in $((SECONDS - started))s$( ((api_only)) && echo ' (API only)'): KUBECONFIG=$ADMIN_KUBECONFIG"
}

cmd_stop() {
  local purge=0
  case "${1:-}" in
    "") ;;
    --purge) purge=1 ;;
    *) die "unknown option '$1' for stop (use --purge)" ;;
  esac
  need_root stop "$@"
  lock
  mkdir -p "$PID_DIR" "$LOG_DIR"
  local started=$SECONDS
  teardown_node
  teardown_control_plane
  if ((purge)); then
    unmount_under "$RUN_DIR" "$STATE_DIR"
    rm -rf "$STATE_DIR" "$RUN_DIR"
    step kube "purged $STATE_DIR and $RUN_DIR"
  fi
  step kube "stopped in $((SECONDS - started))s"
}

cmd_status() {
  local name pid
  local -A PORT_OF=([etcd]="$ETCD_CLIENT_PORT" [kube-apiserver]="$API_PORT" [kube-controller-manager]="$KCM_PORT"
    [kube-scheduler]="$SCHEDULER_PORT" [containerd]="" [kubelet]="$KUBELET_PORT"
    [kube-proxy]="$PROXY_HEALTHZ_PORT" [coredns]="$DNS_READY_PORT")
  for name in "${CONTROL_PLANE[@]}" "${NODE_PARTS[@]}"; do
    if pid="$(our_pid "$name")"; then
      printf '%-24s running (pid %s, started by this script)\n' "$name:" "$pid"
    elif [[ -n "${PORT_OF[$name]}" ]] && ! port_free "${PORT_OF[$name]}"; then
      printf '%-24s not started by this script; port %s in use by: %s\n' "$name:" "${PORT_OF[$name]}" \
        "$(ss -Hltnp "sport = :${PORT_OF[$name]}" | sed -n 's/.*users:(("\([^"]*\)".*/\1/p' | head -n 1)"
    else
      printf '%-24s not running\n' "$name:"
    fi
  done
  if [[ -s "$PKI_DIR/tokens.csv" ]] && api_readyz; then
    printf '%-24s ready at https://127.0.0.1:%s (%s)\n' "API server:" "$API_PORT" "$(api /version | jq -r .gitVersion)"
    if our_pid kubelet >/dev/null; then
      local ready pods
      ready="$(node_ready && echo Ready || echo NotReady)"
      pods="$(api /api/v1/pods | jq '.items | length')"
      printf '%-24s %s, %s pods\n' "node $NODE_NAME:" "$ready" "$pods"
    fi
  else
    printf '%-24s not answering\n' "API server:"
  fi
  printf '%-24s %s\n' "iptables rules ($MARK):" "$(iptables-save 2>/dev/null | grep -c -- "$MARK" || true)"
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    printf '%-24s %s\n' "bridge $BRIDGE:" "$(ip -br -4 addr show "$BRIDGE" | awk '{print $2, $3}')"
  fi
  [[ -f "$ADMIN_KUBECONFIG" ]] && printf '%-24s %s\n' "kubeconfig:" "$ADMIN_KUBECONFIG"
  return 0
}

cmd_kubeconfig() {
  local file="$ADMIN_KUBECONFIG"
  case "${1:-}" in
    "") ;;
    --chaos-runner) file="$CHAOS_KUBECONFIG" ;;
    *) die "unknown option '$1' for kubeconfig (use --chaos-runner)" ;;
  esac
  [[ -f "$file" ]] || die "no kubeconfig yet: run $0 start [--api-only]"
  printf '%s\n' "$file"
}

cmd_load_images() {
  (($# > 0)) || die "usage: $0 load-images IMAGE..."
  need_root load-images "$@"
  lock
  our_pid containerd >/dev/null || die "the node is not running: run $0 start"
  local image
  for image in "$@"; do import_image "$image"; done
}

case "${1:-}" in
  start) shift && cmd_start "$@" ;;
  stop) shift && cmd_stop "$@" ;;
  reset) shift && cmd_stop --purge ;;
  status) cmd_status ;;
  kubeconfig) shift && cmd_kubeconfig "$@" ;;
  load-images) shift && cmd_load_images "$@" ;;
  reclaim) cmd_reclaim ;;
  -h | --help | "") sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (use start, stop, status, kubeconfig or load-images)" ;;
esac
