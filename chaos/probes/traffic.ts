/** Continuous, bounded traffic through the load balancer; error rate and latency. */
import { FetchLike } from "../oidc/routing";
import { Traffic, TrafficStats } from "./probes";

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(latencies: readonly number[], errors: number): TrafficStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? 0 },
  };
}

/**
 * Sends `request()` at `ratePerSecond` until stopped or `maxMs` passed (and never more than
 * rate × maxMs/1000 requests), each with a timeout. A non-2xx answer or a network error counts.
 */
export function startTraffic(
  request: (signal: AbortSignal) => Promise<Response>,
  ratePerSecond: number,
  maxMs: number,
  timeoutMs = 10_000,
): Traffic {
  const latencies: number[] = [];
  let errors = 0;
  let stopped = false;
  const maxRequests = Math.ceil((ratePerSecond * maxMs) / 1000);
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();

  const one = async () => {
    const t0 = performance.now();
    try {
      const response = await request(AbortSignal.timeout(timeoutMs));
      await response.arrayBuffer();
      if (!response.ok) {
        errors++;
      }
    } catch {
      errors++;
    }
    latencies.push(Math.round(performance.now() - t0));
  };

  const loop = (async () => {
    for (let sent = 0; !stopped && sent < maxRequests && performance.now() - started < maxMs; sent++) {
      const p = one().finally(() => inFlight.delete(p));
      inFlight.add(p);
      await new Promise((ok) => setTimeout(ok, 1000 / ratePerSecond));
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
      return summarize(latencies, errors);
    },
  };
}

/** A userinfo request to `endpoint` (from the discovery document) with the current token, through `fetchImpl`'s route. */
export function userinfoRequest(fetchImpl: FetchLike, endpoint: string, token: () => string) {
  return (signal: AbortSignal) => fetchImpl(endpoint, { headers: { authorization: `Bearer ${token()}` }, signal });
}
