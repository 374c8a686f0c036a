import { describe, expect, it } from "vitest";
import { cells, failoverNumbers, ratio } from "../../bench/failover-summary";
import { ChaosEvent } from "../../chaos/events";

const at = "2026-12-01T00:00:00.000Z";
const traffic = (requests: number, errors: number, p95: number): ChaosEvent => ({
  type: "traffic",
  at,
  round: 1,
  requests,
  errors,
  latencyMs: { p50: 10, p95, max: p95 },
  startedAt: at,
  perSecond: [],
});
const failover = (lastFailedRequestMs: number | null, clean: Record<string, number | null>): ChaosEvent => ({
  type: "failover",
  at,
  round: 1,
  faultAt: at,
  lastFailedRequestMs,
  firstCleanCheckMs: clean,
});
const check = (check: string, passed: number, total: number): ChaosEvent =>
  ({ type: "check", at, round: 1, phase: "during", check, node: "kc-1", passed, total, failures: [], durationMs: 1 }) as ChaosEvent;

describe("the failover benchmark's numbers", () => {
  it("sums the rounds' traffic, takes the worst window, first clean check and p95, counts failed checks and lost sessions", () => {
    const events: ChaosEvent[] = [
      check("fault-injected", 0, 1),
      check("userinfo", 11, 12),
      check("refresh", 12, 12),
      traffic(100, 5, 900),
      failover(3000, { "kc-1": 4000, lb: 5000 }),
      traffic(100, 0, 1200),
      failover(null, { "kc-1": 2000, lb: 1000 }),
      { type: "run-end", at, verdict: "failed", exitCode: 1, lost: ["s1"] },
    ];
    expect(failoverNumbers(events, 1)).toEqual({
      requests: 200,
      errors: 5,
      errorRate: 2.5,
      windowMs: 3000,
      firstCleanMs: 5000,
      p95Ms: 1200,
      failedChecks: 1,
      lost: 1,
      rounds: 2,
      exitCode: 1,
    });
  });

  it("says never when a route had no clean check, and nothing measured without a verified fault", () => {
    expect(failoverNumbers([failover(null, { "kc-1": null, lb: 10 })], 1).firstCleanMs).toBeNull();
    expect(cells(failoverNumbers([traffic(10, 0, 5)], 1))[0]).toBe("no verified fault");
  });

  it("divides tuned by default, and refuses to divide by a default of 0 or by nothing", () => {
    expect(ratio(1, 4)).toBe("0.25");
    expect(ratio(0, 0)).toBe("-");
    expect(ratio(null, 5)).toBe("-");
  });
});
