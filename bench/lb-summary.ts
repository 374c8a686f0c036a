/** The numbers bench/lb.ts prints: Apache Bench's rate, and the load balancer's share of the direct rates. */

/** "Requests per second:    1234.56 [#/sec] (mean)" → 1234.56; throws when ab printed no rate or saw failures. */
export function parseAbRate(output: string): number {
  const failed = /^Failed requests:\s+(\d+)/m.exec(output);
  const non2xx = /^Non-2xx responses:\s+(\d+)/m.exec(output);
  if ((failed && Number(failed[1]) > 0) || non2xx) {
    throw new Error(`ab saw failed or non-2xx responses:\n${output}`);
  }
  const rate = /^Requests per second:\s+([\d.]+)/m.exec(output);
  if (!rate) {
    throw new Error(`ab printed no rate:\n${output}`);
  }
  return Number(rate[1]);
}

/** The load balancer's rate ÷ the mean of the direct rates. */
export function lbRatio(lb: number, direct: readonly number[]): number {
  if (direct.length === 0) {
    throw new Error("no direct rate to compare with");
  }
  return lb / (direct.reduce((a, b) => a + b, 0) / direct.length);
}
