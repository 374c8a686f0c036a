/**
 * The session checks, one function each: what a logged-in user, a login in progress or an
 * unredeemed code must still be able to do through one route (a node directly, or the load
 * balancer). Endpoints come from the discovery document of that route.
 */
import * as client from "openid-client";
import { CheckName } from "../events";
import { oauthDetail, oauthStatus } from "../oidc/errors";
import { redeemCode, silentAuthorization } from "../oidc/login";
import { FetchLike } from "../oidc/routing";
import { mapLimit } from "../pool";
import { Route } from "./probes";
import { PendingLogin, Session, SessionStore } from "./session-store";

/** What one check needs to know about the run. */
export interface CheckContext {
  /** Where this check's requests go. */
  readonly route: Route;
  /** Node ids that are up; logins and codes complete on one of them other than where they started. */
  readonly survivors: readonly string[];
  readonly store: SessionStore;
  /** Posts a login's credentials (one post per user at a time; a refusal posted again, see CredentialRetries). */
  postCredentials(login: PendingLogin): Promise<URL>;
  readonly client: { readonly clientId: string; readonly clientSecret: string; readonly redirectUri: string };
  /** The openid-client configuration whose requests go to `route`. */
  config(route: Route): Promise<client.Configuration>;
  /** A fetch whose requests for the public URL go to `route`. */
  fetch(route: Route): FetchLike;
  /** The base URL of `route`. */
  url(route: Route): string;
  readonly concurrency: number;
}

/** One subject's result: no detail when it passed. */
export interface Outcome {
  readonly subject: string;
  readonly detail?: string;
}

type Check = (ctx: CheckContext) => Promise<Outcome[]>;

async function each<T extends { id: string }>(
  ctx: CheckContext,
  items: readonly T[],
  fn: (item: T) => Promise<string | undefined>,
): Promise<Outcome[]> {
  return mapLimit(items, ctx.concurrency, async (item) => {
    try {
      return { subject: item.id, detail: await fn(item) };
    } catch (error) {
      return { subject: item.id, detail: oauthDetail(error) };
    }
  });
}

/** A surviving node other than `home`, or `home` itself if it is the only survivor. */
export function elsewhere(home: Route, survivors: readonly string[]): Route {
  return survivors.find((s) => s !== home) ?? survivors[0] ?? home;
}

async function userinfo(config: client.Configuration, session: Session): Promise<undefined> {
  await client.fetchUserInfo(config, session.accessToken, client.skipSubjectCheck);
  return undefined;
}

export const SessionChecks: Readonly<Partial<Record<CheckName, Check>>> = {
  /** The session's access token is accepted. */
  userinfo: async (ctx) => {
    const config = await ctx.config(ctx.route);
    return each(ctx, ctx.store.sessions, (s) => userinfo(config, s));
  },

  /** A refresh grant works (and the new tokens are kept). */
  refresh: async (ctx) => {
    const config = await ctx.config(ctx.route);
    return each(ctx, ctx.store.sessions, async (s) => {
      const tokens = await client.refreshTokenGrant(config, s.refreshToken);
      s.accessToken = tokens.access_token;
      s.refreshToken = tokens.refresh_token ?? s.refreshToken;
      return undefined;
    });
  },

  /** The SSO cookie still logs the browser in silently (`prompt=none` yields a code). */
  "sso-cookie": async (ctx) => {
    const config = await ctx.config(ctx.route);
    return each(ctx, ctx.store.sessions, async (s) => {
      s.browser.routeTo(ctx.url(ctx.route));
      await silentAuthorization(s.browser, config, ctx.client.redirectUri);
      return undefined;
    });
  },

  /** Each login in progress completes on a surviving node other than the one it started on. */
  "login-in-progress": async (ctx) =>
    each(ctx, ctx.store.takeLogins(), async (p) => {
      const on = elsewhere(p.home, ctx.survivors);
      p.browser.routeTo(ctx.url(on));
      const redirect = await ctx.postCredentials(p);
      await redeemCode(await ctx.config(on), p.login, redirect);
      return undefined;
    }),

  /** Each unredeemed code is redeemed on a surviving node other than the one that issued it. */
  "code-exchange": async (ctx) =>
    each(ctx, ctx.store.takeCodes(), async (c) => {
      await redeemCode(await ctx.config(elsewhere(c.home, ctx.survivors)), c.request, c.redirect);
      return undefined;
    }),

  /** A logout on `route` is seen on another surviving node: the session's token is refused there. */
  "logout-propagation": async (ctx) => {
    const config = await ctx.config(ctx.route);
    const endpoint = config.serverMetadata().end_session_endpoint;
    if (!endpoint) {
      throw new Error("the discovery document has no end_session_endpoint");
    }
    return each(ctx, ctx.store.takeLogoutSubject(), async (s) => {
      const logout = await ctx.fetch(ctx.route)(endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          client_id: ctx.client.clientId,
          client_secret: ctx.client.clientSecret,
          refresh_token: s.refreshToken,
        }).toString(),
      });
      await logout.arrayBuffer();
      if (logout.status !== 204) {
        return `logout answered ${logout.status}`;
      }
      const other = await ctx.config(elsewhere(ctx.route, ctx.survivors));
      try {
        await userinfo(other, s);
      } catch (error) {
        return oauthStatus(error) === 401 ? undefined : `after logout, userinfo on another node failed otherwise: ${oauthDetail(error)}`;
      }
      return "after logout, userinfo on another node still answered 200 (expected 401)";
    });
  },
};
