import { describe, expect, it } from "vitest";
import { percentile, startTraffic, summarize, userinfoRequest } from "../../chaos/probes/traffic";

describe("traffic statistics", () => {
  it("takes nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile([], 95)).toBe(0);
  });

  it("sums up per second by when each request was sent, and says when the last failed one ended", () => {
    const t0 = Date.parse("2026-01-01T00:00:00.000Z");
    const samples = [
      { sentMs: t0 + 100, endMs: t0 + 130, ok: true },
      { sentMs: t0 + 900, endMs: t0 + 910, ok: true },
      { sentMs: t0 + 1200, endMs: t0 + 11_200, ok: false },
      { sentMs: t0 + 1500, endMs: t0 + 1520, ok: false },
      { sentMs: t0 + 3100, endMs: t0 + 3120, ok: true },
    ];
    expect(summarize(samples, t0)).toEqual({
      requests: 5,
      errors: 2,
      latencyMs: { p50: 20, p95: 10_000, max: 10_000 },
      startedAt: "2026-01-01T00:00:00.000Z",
      perSecond: [
        { second: 0, requests: 2, errors: 0, p50: 10, p95: 30 },
        { second: 1, requests: 2, errors: 2, p50: 20, p95: 10_000 },
        { second: 3, requests: 1, errors: 0, p50: 20, p95: 20 },
      ],
      // The request sent at +1.2 s gave up at +11.2 s: that is when the failure ended.
      lastErrorAt: "2026-01-01T00:00:11.200Z",
    });
    expect(summarize([{ sentMs: t0, endMs: t0 + 5, ok: true }], t0)).not.toHaveProperty("lastErrorAt");
  });
});

describe("continuous traffic", () => {
  it("counts non-2xx answers and network errors as errors, and stops when told", async () => {
    let n = 0;
    const traffic = startTraffic(
      async () => {
        n++;
        if (n % 3 === 0) {
          throw new Error("ECONNRESET");
        }
        return new Response("x", { status: n % 3 === 1 ? 200 : 503 });
      },
      200,
      60_000,
    );
    await new Promise((ok) => setTimeout(ok, 120));
    const stats = await traffic.stop();
    expect(stats.requests).toBeGreaterThanOrEqual(6);
    expect(stats.errors).toBe(stats.requests - Math.ceil(stats.requests / 3));
  });

  it("stops by itself: never more than rate × time requests", async () => {
    let n = 0;
    const traffic = startTraffic(
      async () => {
        n++;
        return new Response("ok");
      },
      100,
      50,
    );
    await new Promise((ok) => setTimeout(ok, 200));
    const stats = await traffic.stop();
    expect(stats.requests).toBeLessThanOrEqual(5);
    expect(n).toBe(stats.requests);
  });

  it("sends userinfo with the current token to the endpoint from discovery", async () => {
    const seen: [string, string | null][] = [];
    let token = "a";
    const request = userinfoRequest(
      async (url, init) => {
        seen.push([String(url), new Headers(init?.headers).get("authorization")]);
        return new Response("{}");
      },
      "http://127.0.0.1:8080/realms/chaos/protocol/openid-connect/userinfo",
      () => token,
    );
    await request(AbortSignal.timeout(1000));
    token = "b";
    await request(AbortSignal.timeout(1000));
    expect(seen).toEqual([
      ["http://127.0.0.1:8080/realms/chaos/protocol/openid-connect/userinfo", "Bearer a"],
      ["http://127.0.0.1:8080/realms/chaos/protocol/openid-connect/userinfo", "Bearer b"],
    ]);
  });
});
