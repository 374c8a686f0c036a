import { describe, expect, it } from "vitest";
import { lbRatio, parseAbRate } from "../../bench/lb-summary";

const abOutput = (extra: string) => `Complete requests:      3000
Failed requests:        0
${extra}Requests per second:    1189.42 [#/sec] (mean)
Time per request:       6.726 [ms] (mean)
`;

describe("the load-balancer benchmark's numbers", () => {
  it("reads ab's rate", () => {
    expect(parseAbRate(abOutput(""))).toBe(1189.42);
  });

  it("refuses a run with failed or non-2xx answers (a 401 is fast, not a rate)", () => {
    expect(() => parseAbRate(abOutput("Non-2xx responses:      3000\n"))).toThrow(/non-2xx/);
    expect(() => parseAbRate(abOutput("").replace("Failed requests:        0", "Failed requests:        3"))).toThrow(/failed/);
    expect(() => parseAbRate("nothing")).toThrow(/no rate/);
  });

  it("divides the load balancer's rate by the mean of the direct ones", () => {
    expect(lbRatio(216, [1189, 382, 357])).toBeCloseTo(0.336, 3);
    expect(() => lbRatio(1, [])).toThrow();
  });
});
