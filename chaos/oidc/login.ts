/**
 * The browser-style OpenID Connect login (authorization code + PKCE) against Keycloak's HTML
 * login form, in steps, so a chaos run can hold a login in progress or an unredeemed code.
 */
import * as client from "openid-client";
import { realSleep, Sleep } from "../poll";
import { Browser } from "./browser";

export interface LoginRequest {
  readonly verifier: string;
  readonly state: string;
  readonly url: URL;
}

/** A login page fetched, credentials not yet posted. */
export interface LoginInProgress extends LoginRequest {
  readonly formAction: string;
}

export class LoginError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "LoginError";
  }
}

export async function startAuthorization(
  config: client.Configuration,
  redirectUri: string,
  extra: Record<string, string> = {},
): Promise<LoginRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid profile",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    ...extra,
  });
  return { verifier, state, url };
}

/** Fetches the login page and reads the form's action. */
export async function openLoginPage(browser: Browser, config: client.Configuration, redirectUri: string): Promise<LoginInProgress> {
  const request = await startAuthorization(config, redirectUri);
  const page = await browser.request(request.url);
  const html = await page.text();
  if (page.status !== 200) {
    throw new LoginError(`login page answered ${page.status}`, page.status);
  }
  const action = loginFormAction(html);
  if (!action) {
    throw new LoginError("login page has no login form (kc-form-login)");
  }
  return { ...request, formAction: action };
}

/** The action of Keycloak's login form (kc-form-login) on a page, if the page has one. */
export function loginFormAction(html: string): string | undefined {
  return /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, "&");
}

/**
 * What Keycloak answers, on purpose the same, to a wrong password and to a login its brute-force
 * detection refuses: Keycloak 26 refuses a user's login while that user's previous login on the
 * same node is still being recorded (the bookkeeping finishes on another thread after the
 * response; the node logs LOGIN_ERROR error="user_temporarily_disabled").
 */
export const RefusedCredentials = "Invalid username or password.";

/** Posting the same credentials again when Keycloak refused them with {@link RefusedCredentials}. */
export interface CredentialRetry {
  /** The wait before each further post; as many further posts as entries. */
  readonly delaysMs: readonly number[];
  readonly sleep: Sleep;
  /** Told of each refusal before the next post (for the run's report). */
  readonly onRetry?: (refusal: string) => void;
}

export const NoRetry: CredentialRetry = { delaysMs: [], sleep: realSleep };

/**
 * Posts the credentials; returns the redirect URL that carries the authorization code. A refusal
 * with {@link RefusedCredentials} is posted again, to the action of the form Keycloak rendered
 * with it, as `retry` allows. Only that refusal: a login whose authentication session was lost
 * comes back with another message ("timed out", "restart") and fails at once.
 */
export async function submitCredentials(
  browser: Browser,
  login: LoginInProgress,
  username: string,
  password: string,
  retry: CredentialRetry = NoRetry,
): Promise<URL> {
  let action = login.formAction;
  for (let post = 1; ; post++) {
    const response = await browser.request(action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password, credentialId: "" }).toString(),
    });
    if (response.status === 302) {
      return codeRedirect(response, "credentials post");
    }
    const html = await response.text();
    const message = pageMessage(html);
    const next = loginFormAction(html);
    const delay = retry.delaysMs[post - 1];
    if (response.status === 200 && message === RefusedCredentials && next && delay !== undefined) {
      retry.onRetry?.(`credentials refused ("${message}") on post ${post}; posted again after ${delay} ms`);
      await retry.sleep(delay);
      action = next;
      continue;
    }
    const posts = post > 1 ? ` (on post ${post}, after ${post - 1} refusal(s) posted again)` : "";
    throw new LoginError(`credentials post answered ${response.status} without a redirect: ${message}${posts}`, response.status);
  }
}

/** The SSO check: `prompt=none` with the browser's cookies yields a code while the session lives. */
export async function silentAuthorization(
  browser: Browser,
  config: client.Configuration,
  redirectUri: string,
): Promise<{ request: LoginRequest; redirect: URL }> {
  const request = await startAuthorization(config, redirectUri, { prompt: "none" });
  const response = await browser.request(request.url);
  return { request, redirect: await codeRedirect(response, "prompt=none") };
}

async function codeRedirect(response: Response, what: string): Promise<URL> {
  const location = response.headers.get("location");
  if (response.status !== 302 || !location) {
    throw new LoginError(`${what} answered ${response.status} without a redirect: ${pageMessage(await response.text())}`, response.status);
  }
  const url = new URL(location);
  const error = url.searchParams.get("error");
  if (error) {
    throw new LoginError(`${what} redirected with error=${error}`, response.status);
  }
  if (!url.searchParams.get("code")) {
    throw new LoginError(`${what} redirected without a code: ${url.pathname}`, response.status);
  }
  return url;
}

/** What a Keycloak page tells the user: its feedback or field error, else its title. */
export function pageMessage(html: string): string {
  const pick = (re: RegExp) =>
    re
      .exec(html)?.[1]
      ?.replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ")
      .trim();
  return (
    pick(/id="input-error[^"]*"[^>]*>([\s\S]*?)<\/span>/) ||
    pick(/class="[^"]*(?:kc-feedback-text|alert-title|pf-v5-c-alert__title)[^"]*"[^>]*>([\s\S]*?)<\/(?:span|p|h4|div)>/) ||
    pick(/<title>([\s\S]*?)<\/title>/) ||
    html.slice(0, 120).replace(/\s+/g, " ")
  );
}

/** Redeems the code (with PKCE and state checks). */
export async function redeemCode(config: client.Configuration, login: LoginRequest, redirect: URL) {
  return client.authorizationCodeGrant(config, redirect, { pkceCodeVerifier: login.verifier, expectedState: login.state });
}

/** The node a login's authentication session lives on: AUTH_SESSION_ID ends in `.<node name>`. */
export async function authSessionNode(browser: Browser): Promise<string | undefined> {
  const value = await browser.cookie("AUTH_SESSION_ID");
  const dot = value?.lastIndexOf(".") ?? -1;
  return value && dot >= 0 ? value.slice(dot + 1) : undefined;
}
