/**
 * The cluster gate of the aws target, on the instance. A launch lifecycle hook holds every new
 * instance in Pending:Wait (not in service: not registered with the load balancer, not counted
 * healthy by an instance refresh or a scale-out) until its user data completes the action. The
 * user data does so once Keycloak has started and, with clustered caches, its cluster view
 * (`vendor_cluster_size` on its management port) holds at least itself and every peer that the
 * load balancer counts healthy: CONTINUE. An instance that gets no further by the gate's deadline
 * is ABANDONed (terminated), and the hook's own timeout does the same if the script dies. So an
 * instance refresh waits for each new node to join, and one that forms a cluster of its own never
 * takes traffic while the nodes not yet replaced keep serving. The same rule as the kubernetes
 * startup probe (components/kubernetes/cluster-probe.ts), asked of the Auto Scaling API.
 *
 * The first instances of a new group launch before the hook exists (it needs the group's name):
 * they have no action to complete, and say so.
 */
import { shellQuote } from "./shell";

/** The lifecycle hook's name (one per group). */
export const LifecycleHookName = "keycloak-cluster-joined";

export interface JoinGateArgs {
  /** False with local caches: then started is enough. */
  readonly clustered: boolean;
  readonly region: string;
  /** The target group whose healthy targets are the peers. */
  readonly targetGroupArn: string;
  /** Keycloak's management port on the instance. */
  readonly managementPort: number;
  /** Seconds from the gate's start to ABANDON. */
  readonly timeoutSeconds: number;
  /** Seconds between two looks. */
  readonly pollSeconds: number;
}

/** Boot, image pull and Keycloak's start on a fresh instance take 2-5 minutes; 15 are allowed. */
export const JoinGateSeconds = 900;

/** The hook's own timeout: after the gate's deadline, so the script's ABANDON (with its reason) comes first. */
export function heartbeatTimeoutSeconds(gateSeconds: number): number {
  return gateSeconds + 120;
}

/**
 * The user data's last lines: wait, then complete the lifecycle action. Expects INSTANCE_ID
 * (the user data reads it from the instance metadata) and the AWS CLI and curl on PATH.
 */
export function joinGateLines(args: JoinGateArgs): string[] {
  const region = shellQuote(args.region);
  const local = (path: string) => shellQuote(`http://127.0.0.1:${args.managementPort}${path}`);
  const healthy = shellQuote("TargetHealthDescriptions[?TargetHealth.State=='healthy'].Target.Id");
  return [
    "# The cluster gate (components/aws/join-gate.ts): this instance takes traffic only once it is in",
    "# the cluster with every healthy peer; the launch lifecycle hook holds it until then.",
    `gate_group="$(aws autoscaling describe-auto-scaling-instances --region ${region} --instance-ids "\${INSTANCE_ID}" --query 'AutoScalingInstances[0].AutoScalingGroupName' --output text || true)"`,
    "gate_finish() {",
    `  if aws autoscaling complete-lifecycle-action --region ${region} --auto-scaling-group-name "\${gate_group}" \\`,
    `    --lifecycle-hook-name ${shellQuote(LifecycleHookName)} --instance-id "\${INSTANCE_ID}" --lifecycle-action-result "$1"; then`,
    '    echo "keycloak-cluster gate: $1: $2"',
    "  else",
    '    echo "keycloak-cluster gate: no lifecycle action to complete (launched before the hook existed, or it timed out); it would be $1: $2"',
    "  fi",
    "}",
    `gate_deadline=$((SECONDS + ${args.timeoutSeconds}))`,
    "while :; do",
    `  started="$(curl -s -o /dev/null -w '%{http_code}' -m 2 ${local("/health/started")} || true)"`,
    "  if [[ ${started} != 200 ]]; then",
    '    gate_state="Keycloak not started yet (/health/started: ${started})"',
    ...(args.clustered
      ? [
          `  elif ! gate_peers="$(aws elbv2 describe-target-health --region ${region} --target-group-arn ${shellQuote(args.targetGroupArn)} --query ${healthy} --output text)"; then`,
          '    gate_state="could not read the target group\'s health"',
          "  else",
          `    size="$(curl -s -m 2 ${local("/metrics")} | awk '$1 == "vendor_cluster_size" || index($1, "vendor_cluster_size{") == 1 { print int($2); exit }' || true)"`,
          "    peers=0",
          '    for id in ${gate_peers}; do [[ ${id} == "${INSTANCE_ID}" ]] || peers=$((peers + 1)); done',
          "    if ((${size:-0} >= peers + 1)); then",
          '      gate_finish CONTINUE "in a cluster of ${size}; healthy peers: ${peers}"',
          "      break",
          "    fi",
          '    gate_state="a cluster of ${size:-0}, but ${peers} healthy peer(s)"',
        ]
      : ["  else", '    gate_finish CONTINUE "started (local caches)"', "    break"]),
    "  fi",
    "  if ((SECONDS >= gate_deadline)); then",
    `    gate_finish ABANDON "not in the cluster after ${args.timeoutSeconds} s: \${gate_state}"`,
    "    break",
    "  fi",
    '  echo "keycloak-cluster gate: ${gate_state}; waiting"',
    `  sleep ${args.pollSeconds}`,
    "done",
  ];
}
