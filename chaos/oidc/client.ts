/** openid-client configurations, one per route (the load balancer, or one node directly). */
import * as client from "openid-client";
import { FetchLike, routedFetch } from "./routing";

export interface ClientSettings {
  readonly issuerUrl: string;
  readonly publicUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Discovers the issuer through `targetUrl` and keeps every later request on that route. */
export async function clientFor(settings: ClientSettings, targetUrl: string, base: FetchLike = fetch): Promise<client.Configuration> {
  const customFetch = routedFetch(settings.publicUrl, targetUrl, base);
  const config = await client.discovery(
    new URL(settings.issuerUrl),
    settings.clientId,
    settings.clientSecret,
    client.ClientSecretPost(settings.clientSecret),
    {
      execute: settings.issuerUrl.startsWith("http:") ? [client.allowInsecureRequests] : [],
      [client.customFetch]: customFetch,
    },
  );
  config[client.customFetch] = customFetch;
  return config;
}
