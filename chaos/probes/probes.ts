/**
 * What must hold, as an interface the runner drives: the real implementation talks OpenID
 * Connect to Keycloak (keycloak.ts); unit tests substitute a simulated cluster.
 */
import { LiveNode } from "../drivers/driver";
import { CheckFailure, CheckName, TrafficStats } from "../events";

export type { TrafficSecond, TrafficStats } from "../events";
import { NodeHealth } from "./cluster";

/** A route: a node id, or "lb" for the load balancer. */
export type Route = string;
export const LoadBalancer: Route = "lb";

export interface CheckResult {
  readonly check: CheckName;
  readonly node: Route;
  readonly passed: number;
  readonly total: number;
  readonly failures: readonly CheckFailure[];
  /** Subjects (sessions) that failed, for loss accounting. */
  readonly failedSubjects: readonly string[];
  readonly durationMs: number;
}

export interface SessionCounts {
  /** Logged-in sessions by the node id they were created on. */
  readonly perNode: Readonly<Record<string, number>>;
  readonly loggedIn: number;
}

export interface RoundFixtures {
  readonly inProgress: number;
  readonly codes: number;
  /** Extra sessions a round logs out to check that the logout is seen everywhere. */
  readonly logouts: number;
}

export interface Traffic {
  stop(): Promise<TrafficStats>;
}

export interface ClusterProbes {
  /** Where the nodes are now; the runner calls it again whenever the driver may have moved them. */
  useNodes(nodes: readonly LiveNode[]): void;
  /** Readiness and cluster size from a node's management port. */
  health(node: LiveNode): Promise<NodeHealth>;
  /** One full login through the load balancer; undefined when it works, else why not. */
  loginProblem(): Promise<string | undefined>;
  /** Logs `count` sessions in, spread evenly over `nodeIds` (each login done on its node). */
  createSessions(count: number, nodeIds: readonly string[]): Promise<SessionCounts>;
  /** For a round: logins in progress and unredeemed codes spread over `nodeIds`, and logout subjects. */
  prepareRound(nodeIds: readonly string[], perNode: number): Promise<RoundFixtures>;
  /** Runs one check against one route. Logins in progress and codes are consumed by their checks. */
  check(check: CheckName, route: Route, survivors: readonly string[]): Promise<CheckResult>;
  /** Which sessions each node created (session ids), to report what a victim held. */
  sessionsOn(nodeId: string): readonly string[];
  /**
   * What the probes saw since the last call that is not a failure but belongs in the report (a
   * credentials post Keycloak refused and that was posted again); each note is returned once.
   */
  takeNotes(): readonly string[];
  /** Continuous traffic through the load balancer until stopped (bounded by `maxMs`). */
  startTraffic(ratePerSecond: number, maxMs: number): Promise<Traffic>;
}
