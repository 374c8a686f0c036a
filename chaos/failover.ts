/**
 * The failover window of a round: how long after the fault requests through the load balancer
 * still failed, and how long until each survivor passed a whole check. Computed from what the
 * round saw (its check results with their end times, its traffic), never from timings guessed.
 */
import { ChaosEvent, TrafficStats } from "./events";

export type FailoverEvent = Extract<ChaosEvent, { type: "failover" }>;

/** One check made while the fault lasted: where, when it ended (ISO) and whether every subject passed. */
export interface CheckSeen {
  readonly route: string;
  readonly endedAt: string;
  readonly clean: boolean;
}

const msBetween = (from: string, to: string) => Math.max(0, Date.parse(to) - Date.parse(from));

export function failoverOf(
  round: number,
  faultAt: string,
  checks: readonly CheckSeen[],
  traffic: TrafficStats | undefined,
  at: string,
): FailoverEvent {
  const firstCleanCheckMs: Record<string, number | null> = {};
  for (const check of checks) {
    if (!(check.route in firstCleanCheckMs) || (firstCleanCheckMs[check.route] === null && check.clean)) {
      firstCleanCheckMs[check.route] = check.clean ? msBetween(faultAt, check.endedAt) : null;
    }
  }
  const lastError = traffic?.lastErrorAt;
  const lastFailedRequestMs = lastError !== undefined && Date.parse(lastError) > Date.parse(faultAt) ? msBetween(faultAt, lastError) : null;
  return { type: "failover", at, round, faultAt, lastFailedRequestMs, firstCleanCheckMs };
}
