/**
 * The cluster gate of the kubernetes target, in the pod: its startup probe. A pod counts as
 * started only when Keycloak says so (/health/started) and, with clustered caches, its cluster
 * view (`vendor_cluster_size` on its management port) holds at least itself and every peer that
 * answers ready. Kubernetes checks readiness only after the startup probe passed, and the
 * StatefulSet's rolling update (and OrderedReady creation) waits for each new pod to be Ready
 * before the next one goes: so a pod that forms a cluster of its own stops the roll, and the
 * pods not yet replaced keep serving. Once started, a pod stays ready when its peers go (the
 * readiness probe is Keycloak's own).
 *
 * Plain bash (its /dev/tcp), and coreutils' timeout where the image has it: the Keycloak
 * images have no curl.
 */

export interface ProbePeer {
  /** The peer's pod name (its hostname): the pod skips itself. */
  readonly name: string;
  /** host:port of its management interface. */
  readonly address: string;
}

export interface ClusterProbeArgs {
  /** False with local caches: then started is enough. */
  readonly clustered: boolean;
  /** host:port of this pod's own management interface. */
  readonly self: string;
  /** Every pod of the StatefulSet, this one included. */
  readonly peers: readonly ProbePeer[];
}

/** Seconds one HTTP request of the probe may take. */
export const RequestSeconds = 2;

const Script = [
  "set -u",
  // Without coreutils' timeout a hanging peer costs the probe its own timeout (that round fails).
  "limit=()",
  "command -v timeout >/dev/null && limit=(timeout REQUEST_SECONDS)",
  "clustered=$1 self=$2",
  "shift 2",
  "me=${HOSTNAME:-$(</proc/sys/kernel/hostname)}",
  "get() {",
  '  ${limit[@]+"${limit[@]}"} bash -c \'exec 3<>"/dev/tcp/${0%:*}/${0##*:}" && printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" "$1" "${0%:*}" >&3 && cat <&3\' "$1" "$2" 2>/dev/null',
  "}",
  "status() {",
  "  local code",
  "  IFS=$' \\r' read -r _ code _ <<<\"$1\"",
  '  echo "${code:-none}"',
  "}",
  'started=$(status "$(get "$self" /health/started)")',
  '[[ $started == 200 ]] || { echo "Keycloak not started yet (/health/started: $started)"; exit 1; }',
  "[[ $clustered == 1 ]] || exit 0",
  "size=0",
  "while IFS=$' \\r' read -r name value _; do",
  "  [[ $name == vendor_cluster_size || $name == vendor_cluster_size{* ]] && size=${value%%.*}",
  'done <<<"$(get "$self" /metrics)"',
  'ready=0 seen=""',
  'for peer in "$@"; do',
  '  [[ ${peer%%=*} == "$me" ]] && continue',
  '  if [[ $(status "$(get "${peer#*=}" /health/ready)") == 200 ]]; then',
  "    ready=$((ready + 1))",
  '    seen+=" ${peer%%=*}"',
  "  fi",
  "done",
  "if ((size >= ready + 1)); then",
  '  echo "$me is in a cluster of $size; ready peers:${seen:- none}"',
  "  exit 0",
  "fi",
  'echo "$me sees a cluster of $size, but $ready peer(s) are ready:$seen; waiting to join them"',
  "exit 1",
]
  .join("\n")
  .replace("REQUEST_SECONDS", String(RequestSeconds));

/** The probe's command: bash, the script, then its arguments. */
export function clusterProbeCommand(args: ClusterProbeArgs): string[] {
  return [
    "bash",
    "-c",
    Script,
    "cluster-startup",
    args.clustered ? "1" : "0",
    args.self,
    ...args.peers.map((p) => `${p.name}=${p.address}`),
  ];
}

/** Enough for the sequential requests: the pod's own two and one per peer. */
export function probeTimeoutSeconds(peers: number): number {
  return RequestSeconds * (peers + 2) + 1;
}
