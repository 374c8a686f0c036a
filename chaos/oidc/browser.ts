/**
 * A scripted browser: a cookie jar (tough-cookie), manual redirects, and a fetch routed to
 * one target. Real SSO cookies (KEYCLOAK_IDENTITY, KEYCLOAK_SESSION, AUTH_SESSION_ID) live in
 * the jar, keyed by the public URL, whichever node answered.
 */
import { CookieJar } from "tough-cookie";
import { FetchLike, rerouteUrl } from "./routing";

export class Browser {
  readonly jar = new CookieJar();

  constructor(
    /** The public URL cookies belong to (Keycloak's `hostname`). */
    private readonly publicUrl: string,
    /** Where requests go: a node's URL or the load balancer's. */
    private target: string,
    private readonly baseFetch: FetchLike = fetch,
  ) {}

  /** Sends the following requests to another target (e.g. a surviving node), keeping the cookies. */
  routeTo(target: string): void {
    this.target = target;
  }

  /** One request, no redirects followed; cookies read and stored under the public URL. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const logical = String(url);
    const headers = new Headers(init.headers);
    const cookies = await this.jar.getCookieString(logical);
    if (cookies) {
      headers.set("cookie", cookies);
    }
    const response = await this.baseFetch(rerouteUrl(logical, this.publicUrl, this.target), {
      ...init,
      headers,
      redirect: "manual",
    });
    for (const header of response.headers.getSetCookie()) {
      await this.jar.setCookie(header, logical, { ignoreError: true });
    }
    return response;
  }

  /** The value of a cookie in the jar (Keycloak scopes its cookies to the realm's path), if any. */
  async cookie(name: string): Promise<string | undefined> {
    const stored = (await this.jar.serialize()).cookies;
    const value = stored.find((c) => c.key === name)?.value;
    return typeof value === "string" ? value : undefined;
  }
}
