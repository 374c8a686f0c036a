/** Continuous, bounded traffic through the load balancer; error rate and latency. */
import { FetchLike } from "../oidc/routing";
import { Traffic, TrafficStats } from "./probes";

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One request of the traffic: when it was sent and ended (epoch ms), and whether it succeeded. */
export interface Sample {
  readonly sentMs: number;
  readonly endMs: number;
  readonly ok: boolean;
}

function latency(samples: readonly Sample[]) {
  const sorted = samples.map((s) => s.endMs - s.sentMs).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? 0 };
}

/** The statistics of the samples of a traffic that started at `startedMs` (epoch ms). */
export function summarize(samples: readonly Sample[], startedMs: number): TrafficStats {
  const failed = samples.filter((s) => !s.ok);
  const seconds = new Map<number, Sample[]>();
  for (const sample of samples) {
    const second = Math.max(0, Math.floor((sample.sentMs - startedMs) / 1000));
    seconds.set(second, [...(seconds.get(second) ?? []), sample]);
  }
  const perSecond = [...seconds.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, in1s]) => {
      const { p50, p95 } = latency(in1s);
      return { second, requests: in1s.length, errors: in1s.filter((s) => !s.ok).length, p50, p95 };
    });
  const lastError = failed.length ? Math.max(...failed.map((s) => s.endMs)) : undefined;
  return {
    requests: samples.length,
    errors: failed.length,
    latencyMs: latency(samples),
    startedAt: new Date(startedMs).toISOString(),
    perSecond,
    ...(lastError === undefined ? {} : { lastErrorAt: new Date(lastError).toISOString() }),
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
  now: () => number = Date.now,
): Traffic {
  const samples: Sample[] = [];
  let stopped = false;
  const maxRequests = Math.ceil((ratePerSecond * maxMs) / 1000);
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const startedMs = now();

  const one = async () => {
    const sentMs = now();
    let ok = false;
    try {
      const response = await request(AbortSignal.timeout(timeoutMs));
      await response.arrayBuffer();
      ok = response.ok;
    } catch {
      ok = false;
    }
    samples.push({ sentMs, endMs: now(), ok });
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
      return summarize(samples, startedMs);
    },
  };
}

/** A userinfo request to `endpoint` (from the discovery document) with the current token, through `fetchImpl`'s route. */
export function userinfoRequest(fetchImpl: FetchLike, endpoint: string, token: () => string) {
  return (signal: AbortSignal) => fetchImpl(endpoint, { headers: { authorization: `Bearer ${token()}` }, signal });
}
