/** The real probes: OpenID Connect against Keycloak, each node directly and through the load balancer. */
import * as client from "openid-client";
import { ClusterOutputs } from "../../components/shared/outputs";
import { LiveNode } from "../drivers/driver";
import { CheckFailure, CheckName } from "../events";
import { Browser } from "../oidc/browser";
import { clientFor } from "../oidc/client";
import { authSessionNode, CredentialRetry, LoginInProgress, openLoginPage, redeemCode, submitCredentials } from "../oidc/login";
import { FetchLike, routedFetch } from "../oidc/routing";
import { realSleep } from "../poll";
import { describeError, mapLimit, since } from "../pool";
import { CheckContext, SessionChecks } from "./checks";
import { nodeHealth } from "./cluster";
import { CheckResult, ClusterProbes, LoadBalancer, Route, RoundFixtures, SessionCounts, Traffic } from "./probes";
import { Session, SessionStore, UserQueue } from "./session-store";
import { startTraffic, userinfoRequest } from "./traffic";

type ProbeOutputs = Pick<
  ClusterOutputs,
  "issuerUrl" | "publicUrl" | "clientId" | "clientSecret" | "redirectUri" | "testUsers" | "loadBalancerUrl"
>;

/**
 * A credentials post Keycloak refused with the words of a wrong password is posted again after
 * 1 s, then 3 s: Keycloak 26's brute-force detection refuses a user's login while that user's
 * previous login on the node is still being recorded, which can take seconds while a node
 * rejoins. A wrong password stays refused and fails the login after the third post.
 */
export const CredentialRetries: Omit<CredentialRetry, "onRetry"> = { delaysMs: [1000, 3000], sleep: realSleep };

export class KeycloakProbes implements ClusterProbes {
  /** openid-client configurations by base URL (discovery once per route; a moved node gets a new one). */
  private readonly configs = new Map<string, Promise<client.Configuration>>();
  private readonly store = new SessionStore();
  private readonly users = new UserQueue();
  private nodes = new Map<string, LiveNode>();
  private readonly notes: string[] = [];

  constructor(
    private readonly outputs: ProbeOutputs,
    private readonly concurrency = 16,
    private readonly retries = CredentialRetries,
  ) {}

  takeNotes(): readonly string[] {
    return this.notes.splice(0);
  }

  /** A user's credentials post: one post of a user at a time; a refusal posted again, and noted. */
  private postCredentials(browser: Browser, login: LoginInProgress, user: { username: string; password: string }, subject: string) {
    const onRetry = (refusal: string) =>
      this.notes.push(`${subject}: ${refusal} (Keycloak refuses a user's login while the previous one is still being recorded)`);
    return this.users.run(user.username, () =>
      submitCredentials(browser, login, user.username, user.password, { ...this.retries, onRetry }),
    );
  }

  useNodes(nodes: readonly LiveNode[]): void {
    this.nodes = new Map(nodes.map((n) => [n.id, n]));
  }

  private url(route: Route): string {
    if (route === LoadBalancer) {
      return this.outputs.loadBalancerUrl;
    }
    const node = this.nodes.get(route);
    if (!node) {
      throw new Error(`unknown node ${route}`);
    }
    return node.httpUrl;
  }

  private fetch(route: Route): FetchLike {
    return routedFetch(this.outputs.publicUrl, this.url(route));
  }

  /** Discovery through each route once; the configuration is then reused (connections too). */
  private config(route: Route): Promise<client.Configuration> {
    const base = this.url(route);
    let config = this.configs.get(base);
    if (!config) {
      config = clientFor(this.outputs, base);
      // A failed discovery (node down) is retried next time.
      config.catch(() => this.configs.delete(base));
      this.configs.set(base, config);
    }
    return config;
  }

  private user(index: number) {
    return this.outputs.testUsers[index % this.outputs.testUsers.length];
  }

  async health(node: LiveNode) {
    return nodeHealth(node.managementUrl);
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
    const redirect = await this.postCredentials(browser, login, user, `login of ${user.username}@${route}`);
    const tokens = await redeemCode(config, login, redirect);
    return { browser, tokens };
  }

  /** A login done on one node; its session must live there (AUTH_SESSION_ID names the node). */
  private async loginOn(nodeId: string, index: number): Promise<Session> {
    const user = this.user(index);
    const { browser, tokens } = await this.login(nodeId, user);
    const route = await authSessionNode(browser);
    const home = [...this.nodes.values()].find((n) => n.nodeName === route)?.id;
    if (home !== nodeId) {
      throw new Error(`a login done on ${nodeId} created its session on ${route ?? "an unknown node"}`);
    }
    return {
      id: this.store.id("s", user.username, nodeId),
      browser,
      home,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? "",
    };
  }

  async createSessions(count: number, nodeIds: readonly string[]): Promise<SessionCounts> {
    const created = await mapLimit(
      Array.from({ length: count }, (_, i) => i),
      this.concurrency,
      (i) => this.loginOn(nodeIds[i % nodeIds.length], i),
    );
    this.store.sessions.push(...created);
    const perNode: Record<string, number> = Object.fromEntries(nodeIds.map((id) => [id, 0]));
    created.forEach((s) => perNode[s.home]++);
    return { perNode, loggedIn: created.length };
  }

  sessionsOn(nodeId: string): readonly string[] {
    return this.store.sessionsOn(nodeId);
  }

  async prepareRound(nodeIds: readonly string[], perNode: number): Promise<RoundFixtures> {
    const slots = nodeIds.flatMap((id) => Array.from({ length: perNode }, (_, i) => ({ id, i })));
    const page = async (id: string) => {
      const browser = new Browser(this.outputs.publicUrl, this.url(id));
      return { browser, login: await openLoginPage(browser, await this.config(id), this.outputs.redirectUri) };
    };
    this.store.pendingLogins = await mapLimit(slots, this.concurrency, async ({ id, i }) => {
      const user = this.user(i);
      return { id: this.store.id("login", user.username, id), ...(await page(id)), ...user, home: id };
    });
    this.store.pendingCodes = await mapLimit(slots, this.concurrency, async ({ id, i }) => {
      const user = this.user(i);
      const { browser, login } = await page(id);
      const subject = this.store.id("code", user.username, id);
      const redirect = await this.postCredentials(browser, login, user, subject);
      return { id: subject, request: login, redirect, home: id };
    });
    this.store.logoutSubjects = await mapLimit(nodeIds, this.concurrency, (id, i) => this.loginOn(id, i));
    return {
      inProgress: this.store.pendingLogins.length,
      codes: this.store.pendingCodes.length,
      logouts: this.store.logoutSubjects.length,
    };
  }

  async check(check: CheckName, route: Route, survivors: readonly string[]): Promise<CheckResult> {
    const run = SessionChecks[check];
    if (!run) {
      throw new Error(`check ${check} is not a session probe`);
    }
    const started = performance.now();
    const outcomes = await run(this.context(route, survivors));
    const failures: CheckFailure[] = outcomes
      .filter((o) => o.detail !== undefined)
      .map((o) => ({ subject: o.subject, detail: o.detail ?? "" }));
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

  private context(route: Route, survivors: readonly string[]): CheckContext {
    return {
      route,
      survivors,
      store: this.store,
      postCredentials: (p) => this.postCredentials(p.browser, p.login, p, p.id),
      client: { clientId: this.outputs.clientId, clientSecret: this.outputs.clientSecret, redirectUri: this.outputs.redirectUri },
      config: (r) => this.config(r),
      fetch: (r) => this.fetch(r),
      url: (r) => this.url(r),
      concurrency: this.concurrency,
    };
  }

  async startTraffic(ratePerSecond: number, maxMs: number): Promise<Traffic> {
    const session = this.store.sessions[0];
    const endpoint = (await this.config(LoadBalancer)).serverMetadata().userinfo_endpoint;
    if (!endpoint) {
      throw new Error("the discovery document has no userinfo_endpoint");
    }
    return startTraffic(
      userinfoRequest(this.fetch(LoadBalancer), endpoint, () => session?.accessToken ?? ""),
      ratePerSecond,
      maxMs,
    );
  }
}
