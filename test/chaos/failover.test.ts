import { describe, expect, it } from "vitest";
import { TrafficStats } from "../../chaos/events";
import { failoverOf } from "../../chaos/failover";

const fault = "2026-01-01T00:00:10.000Z";
const at = (s: number) => new Date(Date.parse(fault) + s * 1000).toISOString();
const traffic = (lastErrorAt?: string): TrafficStats => ({
  requests: 50,
  errors: lastErrorAt ? 3 : 0,
  latencyMs: { p50: 5, p95: 9, max: 20 },
  startedAt: at(-5),
  perSecond: [],
  ...(lastErrorAt ? { lastErrorAt } : {}),
});

describe("the failover window of a round", () => {
  it("per route: time from the fault to its first check that every subject passed; null when none did", () => {
    const event = failoverOf(
      1,
      fault,
      [
        { route: "kc-0", endedAt: at(1.5), clean: false },
        { route: "kc-0", endedAt: at(2.5), clean: true },
        { route: "kc-0", endedAt: at(3.5), clean: false },
        { route: "kc-2", endedAt: at(4), clean: true },
        { route: "lb", endedAt: at(5), clean: false },
      ],
      traffic(at(2.2)),
      at(9),
    );
    expect(event).toEqual({
      type: "failover",
      at: at(9),
      round: 1,
      faultAt: fault,
      lastFailedRequestMs: 2200,
      firstCleanCheckMs: { "kc-0": 2500, "kc-2": 4000, lb: null },
    });
  });

  it("no failed request after the fault (or none at all, or no traffic summary) is null, not 0", () => {
    expect(failoverOf(1, fault, [], traffic(at(-1)), at(9)).lastFailedRequestMs).toBeNull();
    expect(failoverOf(1, fault, [], traffic(), at(9)).lastFailedRequestMs).toBeNull();
    expect(failoverOf(1, fault, [], undefined, at(9)).lastFailedRequestMs).toBeNull();
  });
});
