/**
 * Routing requests to one node. With `hostname` set to the public URL, every node reports
 * the same issuer and endpoints under the public URL; to talk to a node directly, requests
 * to the public origin are sent to the node's own origin instead (same path and query).
 */

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Rewrites URLs on `publicUrl`'s origin to `targetUrl`'s origin; leaves others alone. */
export function rerouteUrl(url: string | URL, publicUrl: string, targetUrl: string): URL {
  const parsed = new URL(url);
  const from = new URL(publicUrl);
  if (parsed.origin !== from.origin) {
    return parsed;
  }
  const to = new URL(targetUrl);
  parsed.protocol = to.protocol;
  parsed.host = to.host;
  return parsed;
}

/** A fetch that sends requests for the public origin to `targetUrl` (a node, or the load balancer itself). */
export function routedFetch(publicUrl: string, targetUrl: string, base: FetchLike = fetch): FetchLike {
  return (input, init) => base(rerouteUrl(input instanceof URL ? input : String(input), publicUrl, targetUrl), init);
}
