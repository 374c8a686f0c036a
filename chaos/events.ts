/**
 * What a chaos run reports. The runner emits these events and never prints; reporters
 * (console, JSON journal, JUnit, HTML) consume them. Times are ISO-8601 strings.
 */

/** How a node is broken. Each driver says which it supports (docker, kubernetes, aws). */
import type { FailoverSettings } from "../components/shared/outputs";
export const FaultKind = {
  /** Docker: graceful stop (SIGTERM, then the stop timeout); undone by start. AWS: stop the instance; undone by start. */
  Stop: "stop",
  /** Docker: SIGKILL; undone by start. */
  Kill: "kill",
  /** Docker: freeze every process (cgroup freezer); undone by unpause. */
  Pause: "pause",
  /** Kubernetes: delete the pod with its grace period; the StatefulSet replaces it. */
  Delete: "delete",
  /** Kubernetes: delete the pod at once (grace period 0); the StatefulSet replaces it. */
  ForceDelete: "force-delete",
  /** AWS: terminate the instance in its group; the group replaces it. */
  Terminate: "terminate",
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** The checks a run makes. Each is one JUnit test case per round. */
export const CheckName = {
  ClusterSize: "cluster-size",
  Userinfo: "userinfo",
  Refresh: "refresh",
  SsoCookie: "sso-cookie",
  LoginInProgress: "login-in-progress",
  CodeExchange: "code-exchange",
  LogoutPropagation: "logout-propagation",
  FaultInjected: "fault-injected",
  Traffic: "traffic",
} as const;
export type CheckName = (typeof CheckName)[keyof typeof CheckName];

export const Verdict = {
  Passed: "passed",
  Failed: "failed",
  Aborted: "aborted",
  Error: "error",
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Exit codes: one place. */
export const ExitCode = { passed: 0, failed: 1, aborted: 2, error: 3 } as const satisfies Record<Verdict, number>;

export interface RunConfig {
  readonly source: string;
  /** The cluster's stable identity (restore records and locks are keyed by it). */
  readonly clusterId: string;
  readonly target: string;
  readonly sessionMode: string;
  readonly cacheMode: string;
  /** What decides how fast a node is out (from the stack outputs); absent for stacks deployed before they were an output. */
  readonly failoverSettings?: FailoverSettings;
  readonly clusterSize: number;
  readonly nodes: readonly { readonly id: string; readonly nodeName: string }[];
  readonly rounds: number;
  readonly seed: number;
  readonly fault: FaultKind;
  readonly nodesPerFault: number;
  readonly sessions: number;
  readonly dryRun: boolean;
  readonly allowLoss: boolean;
}

/** One failed item of a check: which session (or request) and why. */
export interface CheckFailure {
  readonly subject: string;
  readonly detail: string;
}

/** The requests sent in one second of the traffic. */
export interface TrafficSecond {
  /** Seconds from the traffic's start. */
  readonly second: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50: number;
  readonly p95: number;
}

export interface TrafficStats {
  readonly requests: number;
  readonly errors: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** When the traffic started (ISO): second 0 of `perSecond`. */
  readonly startedAt: string;
  /** Requests by the second they were sent in: count, errors, latency. */
  readonly perSecond: readonly TrafficSecond[];
  /** When the last failed request ended (answered, or gave up) (ISO); absent when none failed. */
  readonly lastErrorAt?: string;
}

export type ChaosEvent =
  | { readonly type: "run-start"; readonly at: string; readonly config: RunConfig }
  | {
      readonly type: "steady-state";
      readonly at: string;
      /** "before" the first fault, "after" each restore. */
      readonly phase: "before" | "after";
      readonly round?: number;
      readonly ok: boolean;
      readonly nodes: readonly { readonly id: string; readonly ready: boolean; readonly clusterSize?: number }[];
      readonly message?: string;
    }
  | {
      readonly type: "sessions";
      readonly at: string;
      readonly round?: number;
      /** Logged-in sessions per node id (where each session was created). */
      readonly perNode: Readonly<Record<string, number>>;
      readonly loggedIn: number;
      readonly inProgress: number;
      readonly codes: number;
    }
  | {
      readonly type: "round-start";
      readonly at: string;
      readonly round: number;
      readonly victims: readonly string[];
      /** Sessions each victim held when it was chosen. */
      readonly sessionsOnVictims: Readonly<Record<string, number>>;
    }
  | {
      readonly type: "fault";
      readonly at: string;
      readonly round: number;
      readonly node: string;
      readonly kind: FaultKind;
      /** inject: the driver was told (ok: false when it refused); verified: the fault really happened; restore/restored likewise. */
      readonly action: "inject" | "verified" | "restore" | "restored";
      readonly ok: boolean;
      readonly message?: string;
    }
  | { readonly type: "node-state"; readonly at: string; readonly node: string; readonly state: "up" | "down" }
  | {
      readonly type: "check";
      readonly at: string;
      readonly round: number;
      /** "during": victims down; "after": victims restored. */
      readonly phase: "during" | "after";
      readonly check: CheckName;
      /** Node id the check ran against directly, or "lb". */
      readonly node: string;
      readonly passed: number;
      readonly total: number;
      readonly failures: readonly CheckFailure[];
      readonly durationMs: number;
    }
  | ({ readonly type: "traffic"; readonly at: string; readonly round: number } & TrafficStats)
  | {
      /** How long a round's fault was felt; emitted after the round's traffic, when the fault was verified. */
      readonly type: "failover";
      readonly at: string;
      readonly round: number;
      /** When the round's faults were injected. */
      readonly faultAt: string;
      /** ms from the fault until the last failed request through the load balancer ended; null when none failed after the fault. */
      readonly lastFailedRequestMs: number | null;
      /** Per route checked while the fault lasted (survivor node id, or "lb"): ms from the fault to the end of its first check that every subject passed; null when none did. */
      readonly firstCleanCheckMs: Readonly<Record<string, number | null>>;
    }
  | { readonly type: "timing"; readonly at: string; readonly round: number; readonly phase: string; readonly ms: number }
  | { readonly type: "log"; readonly at: string; readonly level: "info" | "warn"; readonly message: string }
  | {
      readonly type: "run-end";
      readonly at: string;
      readonly verdict: Verdict;
      readonly exitCode: number;
      readonly message?: string;
      /** Sessions that were lost (e.g. "user-3#2 on kc-1"). */
      readonly lost: readonly string[];
    };

export interface EventSink {
  emit(event: ChaosEvent): void;
}

/** Sends each event to several sinks. */
export class Fanout implements EventSink {
  constructor(private readonly sinks: readonly EventSink[]) {}
  emit(event: ChaosEvent): void {
    for (const sink of this.sinks) {
      sink.emit(event);
    }
  }
}
