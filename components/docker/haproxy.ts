/** HAProxy configuration text for a load balancer in front of Keycloak nodes. */
import { ReadinessCheck, RetryAfterSeconds } from "../keycloak/settings";

export interface HaproxyOptions {
  /** Port HAProxy listens on inside its container. */
  readonly listenPort: number;
  /**
   * DNS name that resolves to every node (a shared network alias on Docker, a headless
   * Service on Kubernetes). Servers are filled from its A records, so scaling the cluster
   * does not change this configuration.
   */
  readonly nodesDnsName: string;
  /** Most nodes the backend can hold. */
  readonly maxNodes: number;
  /** Keycloak's HTTP port. */
  readonly httpPort: number;
  /** Keycloak's management port, where the active health check goes. */
  readonly managementPort: number;
  /** Path of the active health check. */
  readonly healthPath: string;
  /** DNS server that knows the nodes (Docker's embedded DNS: 127.0.0.11:53). */
  readonly nameserver: string;
  /** Cookie affinity on or off. */
  readonly affinity: boolean;
}

export const AffinityCookie = "KC_LB_ROUTE";

export function haproxyConfig(options: HaproxyOptions): string {
  // Servers come from DNS, so their cookies are derived from their addresses ("dynamic").
  const affinity = options.affinity
    ? [`  cookie ${AffinityCookie} insert indirect nocache httponly dynamic`, "  dynamic-cookie-key keycloak-cluster"]
    : [];
  const lines = [
    "global",
    "  log stdout format raw local0 info",
    "  maxconn 4096",
    "",
    "resolvers nodes",
    `  nameserver dns ${options.nameserver}`,
    "  accepted_payload_size 8192",
    "  resolve_retries 3",
    "  timeout resolve 1s",
    "  timeout retry 1s",
    "  hold valid 2s",
    "  hold obsolete 5s",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    // Only failed or abnormal requests are logged: a log line per request cost a third of the
    // load balancer's throughput here (bench:lb).
    "  option dontlog-normal",
    "  option forwardfor",
    // Nodes share a network: a connect that takes longer goes to a node that is gone (a killed
    // container's address answers nothing), and is retried on another node.
    "  timeout connect 500ms",
    "  timeout client 60s",
    "  timeout server 60s",
    `  timeout check ${ReadinessCheck.timeoutSeconds}s`,
    // Retries go to another node. Any request is retried when it never reached a node; only
    // the safe ones (see the backend) also when a node closed without answering or did not
    // answer in time: never a credentials POST, a code redemption or a refresh.
    "  retries 2",
    "  retry-on conn-failure empty-response response-timeout",
    "  option redispatch 1",
    "",
    "frontend keycloak",
    `  bind :${options.listenPort}`,
    "  http-request set-header X-Forwarded-Proto http",
    "  http-request set-header X-Forwarded-Host %[req.hdr(host)]",
    // The management interface is never proxied; refuse its paths on the public port too.
    "  http-request deny deny_status 404 if { path_beg /health /metrics }",
    "  default_backend keycloak",
    "",
    "backend keycloak",
    "  balance roundrobin",
    // Idle connections to the nodes serve any client's next request (Keycloak keeps no state per
    // connection); "safe" opened a connection per request as round robin moved between nodes.
    "  http-reuse always",
    "  acl safe_to_repeat method GET HEAD",
    "  acl public_path path_beg /realms/",
    "  http-request disable-l7-retry unless safe_to_repeat public_path",
    // A frozen node holds a request until this (safe requests only, then retried elsewhere).
    `  http-request set-timeout server ${RetryAfterSeconds}s if safe_to_repeat public_path`,
    `  option httpchk GET ${options.healthPath}`,
    "  http-check expect status 200",
    ...affinity,
    `  default-server check port ${options.managementPort} inter ${ReadinessCheck.intervalSeconds}s fall ${ReadinessCheck.fall} rise ${ReadinessCheck.rise} init-addr last,libc,none resolvers nodes`,
    `  server-template kc ${options.maxNodes} ${options.nodesDnsName}:${options.httpPort}`,
    "",
  ];
  return lines.join("\n");
}
