/** The real probes: OpenID Connect against Keycloak, each node directly and through the load balancer. */
import * as client from "openid-client";
import { ClusterOutputs, NodeEndpoint } from "../../components/shared/outputs";
import { CheckFailure, CheckName } from "../events";
import { Browser } from "../oidc/browser";
import { clientFor } from "../oidc/client";
import {
  authSessionNode,
  LoginInProgress,
  LoginRequest,
  openLoginPage,
  redeemCode,
  silentAuthorization,
  submitCredentials,
} from "../oidc/login";
import { describeError, mapLimit, since } from "../pool";
import { nodeHealth } from "./cluster";
import { CheckResult, ClusterProbes, LoadBalancer, Route, RoundFixtures, SessionCounts, Traffic } from "./probes";
import { startTraffic, userinfoRequest } from "./traffic";

interface Session {
  readonly id: string;
  readonly browser: Browser;
  /** Node id the login was done on (and, checked against AUTH_SESSION_ID, where the session lives). */
  readonly home: string;
  accessToken: string;
  refreshToken: string;
}

interface PendingLogin {
  readonly id: string;
  readonly browser: Browser;
  readonly login: LoginInProgress;
  readonly username: string;
  readonly password: string;
  readonly home: string;
}

interface PendingCode {
  readonly id: string;
  readonly request: LoginRequest;
  readonly redirect: URL;
  readonly home: string;
}

export class KeycloakProbes implements ClusterProbes {
  private readonly configs = new Map<Route, client.Configuration>();
  private readonly sessions: Session[] = [];
  private pendingLogins: PendingLogin[] = [];
  private pendingCodes: PendingCode[] = [];
  private logoutSubjects: Session[] = [];
  private serial = 0;
  /** Credential posts per user, one at a time (below). */
  private readonly userQueues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly outputs: ClusterOutputs,
    private readonly concurrency = 16,
  ) {}

  private node(id: string): NodeEndpoint {
    const node = this.outputs.nodes.find((n) => n.id === id);
    if (!node) {
      throw new Error(`unknown node ${id}`);
    }
    return node;
  }

  private url(route: Route): string {
    return route === LoadBalancer ? this.outputs.loadBalancer.url : this.node(route).httpUrl;
  }

  /** Discovery through each route once; the configuration is then reused (connections too). */
  private async config(route: Route): Promise<client.Configuration> {
    let config = this.configs.get(route);
    if (!config) {
      const o = this.outputs;
      config = await clientFor({ issuerUrl: o.issuerUrl, publicUrl: o.publicUrl, clientId: o.clientId, clientSecret: o.clientSecret }, this.url(route));
      this.configs.set(route, config);
    }
    return config;
  }

  /**
   * Keycloak 26 blocks concurrent logins of one user while brute-force detection is on
   * (`user_temporarily_disabled`), as a real user never logs in twice at the same moment:
   * credential posts of one user go one after another; different users run in parallel.
   */
  private asUser<T>(username: string, post: () => Promise<T>): Promise<T> {
    const next = (this.userQueues.get(username) ?? Promise.resolve()).then(post, post);
    this.userQueues.set(username, next.catch(() => undefined));
    return next;
  }

  private user(index: number) {
    return this.outputs.testUsers[index % this.outputs.testUsers.length];
  }

  async health(nodeId: string) {
    return nodeHealth(this.node(nodeId).managementUrl);
  }

  async loginProblem(): Promise<string | undefined> {
    try {
      await this.login(LoadBalancer, this.user(0));
      return undefined;
    } catch (error) {
      return describeError(error);
    }
  }

  private async login(route: Route, user: { username: string; password: string }) {
    const config = await this.config(route);
    const browser = new Browser(this.outputs.publicUrl, this.url(route));
    const login = await openLoginPage(browser, config, this.outputs.redirectUri);
    const redirect = await this.asUser(user.username, () => submitCredentials(browser, login, user.username, user.password));
    const tokens = await redeemCode(config, login, redirect);
    return { browser, tokens };
  }

  private async loginOn(nodeId: string, index: number): Promise<Session> {
    const user = this.user(index);
    const { browser, tokens } = await this.login(nodeId, user);
    const route = await authSessionNode(browser);
    const home = this.outputs.nodes.find((n) => n.nodeName === route)?.id;
    if (home !== nodeId) {
      throw new Error(`a login done on ${nodeId} created its session on ${route ?? "an unknown node"}`);
    }
    return { id: `s${++this.serial}:${user.username}@${nodeId}`, browser, home, accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? "" };
  }

  async createSessions(count: number, nodeIds: readonly string[]): Promise<SessionCounts> {
    const created = await mapLimit(Array.from({ length: count }, (_, i) => i), this.concurrency, (i) => this.loginOn(nodeIds[i % nodeIds.length], i));
    this.sessions.push(...created);
    const perNode: Record<string, number> = Object.fromEntries(nodeIds.map((id) => [id, 0]));
    created.forEach((s) => perNode[s.home]++);
    return { perNode, loggedIn: created.length };
  }

  sessionsOn(nodeId: string): readonly string[] {
    return this.sessions.filter((s) => s.home === nodeId).map((s) => s.id);
  }

  async prepareRound(nodeIds: readonly string[], perNode: number): Promise<RoundFixtures> {
    const slots = nodeIds.flatMap((id) => Array.from({ length: perNode }, (_, i) => ({ id, i })));
    this.pendingLogins = await mapLimit(slots, this.concurrency, async ({ id, i }) => {
      const user = this.user(i);
      const browser = new Browser(this.outputs.publicUrl, this.url(id));
      const login = await openLoginPage(browser, await this.config(id), this.outputs.redirectUri);
      return { id: `login${++this.serial}:${user.username}@${id}`, browser, login, ...user, home: id };
    });
    this.pendingCodes = await mapLimit(slots, this.concurrency, async ({ id, i }) => {
      const user = this.user(i);
      const browser = new Browser(this.outputs.publicUrl, this.url(id));
      const login = await openLoginPage(browser, await this.config(id), this.outputs.redirectUri);
      const redirect = await this.asUser(user.username, () => submitCredentials(browser, login, user.username, user.password));
      return { id: `code${++this.serial}:${user.username}@${id}`, request: login, redirect, home: id };
    });
    this.logoutSubjects = await mapLimit(nodeIds, this.concurrency, (id, i) => this.loginOn(id, i));
    return { inProgress: this.pendingLogins.length, codes: this.pendingCodes.length, logouts: this.logoutSubjects.length };
  }

  async check(check: CheckName, route: Route, survivors: readonly string[]): Promise<CheckResult> {
    const started = performance.now();
    const outcomes = await this.run(check, route, survivors);
    const failures: CheckFailure[] = outcomes.filter((o) => o.detail !== undefined).map((o) => ({ subject: o.subject, detail: o.detail ?? "" }));
    return {
      check,
      node: route,
      passed: outcomes.length - failures.length,
      total: outcomes.length,
      failures,
      failedSubjects: failures.map((f) => f.subject),
      durationMs: since(started),
    };
  }

  private async each<T extends { id: string }>(items: readonly T[], fn: (item: T) => Promise<string | undefined>) {
    return mapLimit(items, this.concurrency, async (item) => {
      try {
        return { subject: item.id, detail: await fn(item) };
      } catch (error) {
        return { subject: item.id, detail: describeError(error) };
      }
    });
  }

  private async run(check: CheckName, route: Route, survivors: readonly string[]) {
    const config = await this.config(route);
    const base = this.url(route);
    const realm = this.outputs.realm;
    switch (check) {
      case "userinfo":
        return this.each(this.sessions, async (s) => {
          const r = await fetch(`${base}/realms/${realm}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${s.accessToken}` } });
          await r.arrayBuffer();
          return r.status === 200 ? undefined : `userinfo answered ${r.status}`;
        });
      case "refresh":
        return this.each(this.sessions, async (s) => {
          const tokens = await client.refreshTokenGrant(config, s.refreshToken);
          s.accessToken = tokens.access_token;
          s.refreshToken = tokens.refresh_token ?? s.refreshToken;
          return undefined;
        });
      case "sso-cookie":
        return this.each(this.sessions, async (s) => {
          s.browser.routeTo(base);
          await silentAuthorization(s.browser, config, this.outputs.redirectUri);
          return undefined;
        });
      case "login-in-progress": {
        // Each login completes on a surviving node other than the one it started on, when there is one.
        const logins = this.pendingLogins;
        this.pendingLogins = [];
        return this.each(logins, async (p) => {
          const on = elsewhere(p.home, survivors);
          p.browser.routeTo(this.url(on));
          const redirect = await this.asUser(p.username, () => submitCredentials(p.browser, p.login, p.username, p.password));
          await redeemCode(await this.config(on), p.login, redirect);
          return undefined;
        });
      }
      case "code-exchange": {
        const codes = this.pendingCodes;
        this.pendingCodes = [];
        return this.each(codes, async (c) => {
          await redeemCode(await this.config(elsewhere(c.home, survivors)), c.request, c.redirect);
          return undefined;
        });
      }
      case "logout-propagation": {
        // Log out on `route`, then the session must be gone on another surviving node.
        const subjects = this.logoutSubjects.splice(0, 1);
        return this.each(subjects, async (s) => {
          const other = this.url(elsewhere(route, survivors));
          const logout = await fetch(`${base}/realms/${realm}/protocol/openid-connect/logout`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ client_id: this.outputs.clientId, client_secret: this.outputs.clientSecret, refresh_token: s.refreshToken }).toString(),
          });
          await logout.arrayBuffer();
          if (logout.status !== 204) {
            return `logout answered ${logout.status}`;
          }
          const info = await fetch(`${other}/realms/${realm}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${s.accessToken}` } });
          await info.arrayBuffer();
          return info.status === 401 ? undefined : `after logout, userinfo on another node answered ${info.status} (expected 401)`;
        });
      }
      default:
        throw new Error(`check ${check} is not a session probe`);
    }
  }

  startTraffic(ratePerSecond: number, maxMs: number): Traffic {
    const session = this.sessions[0];
    return startTraffic(userinfoRequest(fetch, this.outputs.loadBalancer.url, this.outputs.realm, () => session?.accessToken ?? ""), ratePerSecond, maxMs);
  }
}

/** A surviving node other than `home`, or `home` itself if it is the only survivor. */
function elsewhere(home: Route, survivors: readonly string[]): Route {
  return survivors.find((s) => s !== home) ?? survivors[0] ?? home;
}
