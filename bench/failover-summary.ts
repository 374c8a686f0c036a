/** What bench/failover.ts prints for one chaos run: the numbers of its journal, and default vs tuned ratios. */
import { ChaosEvent } from "../chaos/events";

export interface FailoverNumbers {
  readonly requests: number;
  readonly errors: number;
  /** Failed share of the requests through the load balancer, in percent. */
  readonly errorRate: number;
  /** Longest time from a fault to the end of the last failed load-balancer request (0: none failed). */
  readonly windowMs: number;
  /** Longest time from a fault to the first check that passed in full, over every route; null: some route never had one. */
  readonly firstCleanMs: number | null;
  /** Worst per-round p95 latency through the load balancer. */
  readonly p95Ms: number;
  /** Session checks (during the fault and after the restore) that failed for some subject. */
  readonly failedChecks: number;
  readonly lost: number;
  /** Rounds whose fault was verified; a run whose faults never held measures nothing. */
  readonly rounds: number;
  readonly exitCode: number;
}

export function failoverNumbers(events: readonly ChaosEvent[], exitCode: number): FailoverNumbers {
  const traffic = events.filter((e) => e.type === "traffic");
  const failover = events.filter((e) => e.type === "failover");
  const requests = traffic.reduce((n, t) => n + t.requests, 0);
  const errors = traffic.reduce((n, t) => n + t.errors, 0);
  const clean = failover.flatMap((f) => Object.values(f.firstCleanCheckMs));
  const end = events.find((e) => e.type === "run-end");
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : (100 * errors) / requests,
    windowMs: Math.max(0, ...failover.map((f) => f.lastFailedRequestMs ?? 0)),
    firstCleanMs: clean.some((ms) => ms === null) ? null : Math.max(0, ...clean.map((ms) => ms ?? 0)),
    p95Ms: Math.max(0, ...traffic.map((t) => t.latencyMs.p95)),
    failedChecks: events.filter((e) => e.type === "check" && e.check !== "fault-injected" && e.passed < e.total).length,
    lost: end?.type === "run-end" ? end.lost.length : 0,
    rounds: failover.length,
    exitCode,
  };
}

/** tuned ÷ default, "-" when the default is 0 (nothing to shrink) or either run measured nothing. */
export function ratio(tuned: number | null, defaults: number | null): string {
  if (tuned === null || defaults === null || defaults === 0) {
    return "-";
  }
  return (tuned / defaults).toFixed(2);
}

const seconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);

/** One table row's cells for one profile: error rate, window, first clean check, p95, failed checks, lost, exit. */
export function cells(n: FailoverNumbers): string[] {
  if (n.rounds === 0) {
    return ["no verified fault", "", "", "", "", "", String(n.exitCode)];
  }
  return [
    `${n.errorRate.toFixed(1)} % (${n.errors}/${n.requests})`,
    seconds(n.windowMs),
    seconds(n.firstCleanMs),
    seconds(n.p95Ms),
    String(n.failedChecks),
    String(n.lost),
    String(n.exitCode),
  ];
}
