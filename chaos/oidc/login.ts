/**
 * The browser-style OpenID Connect login (authorization code + PKCE) against Keycloak's HTML
 * login form, in steps, so a chaos run can hold a login in progress or an unredeemed code.
 */
import * as client from "openid-client";
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
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) {
    throw new LoginError("login page has no login form (kc-form-login)");
  }
  return { ...request, formAction: action.replace(/&amp;/g, "&") };
}

/** Posts the credentials; returns the redirect URL that carries the authorization code. */
export async function submitCredentials(browser: Browser, login: LoginInProgress, username: string, password: string): Promise<URL> {
  const response = await browser.request(login.formAction, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password, credentialId: "" }).toString(),
  });
  return codeRedirect(response, "credentials post");
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
