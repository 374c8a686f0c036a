/**
 * Reaching a cluster by its public URL before that name points at it (or where it never
 * resolves): the connection goes to `connectTo` (the load balancer's own DNS name), while the
 * request, the Host header and the TLS server name and certificate check stay the public URL's.
 * The load balancer's certificate names the public host, never its own DNS name.
 */
import type { Fetch } from "../keycloak/admin-api";

export function fetchVia(publicUrl: string, connectTo: string): Fetch {
  // Required here, not imported: the realm sync's dynamic provider is serialized with its closure.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Agent, fetch } = require("undici") as typeof import("undici");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { lookup } = require("node:dns") as typeof import("node:dns");
  const publicHost = new URL(publicUrl).hostname;
  const agent = new Agent({
    connect: {
      lookup: (hostname, options, callback) => lookup(hostname === publicHost ? connectTo : hostname, options, callback),
    },
  });
  const via = (input: string, init?: RequestInit) => fetch(input, { ...(init as import("undici").RequestInit), dispatcher: agent });
  // undici's Response against the global one: the project's typecheck accepts it, the Pulumi
  // program's compile (ts-node, other lib types) does not.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  return via as unknown as Fetch;
}
