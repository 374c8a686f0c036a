/**
 * The real probes and the scripted OpenID Connect login, over HTTP on 127.0.0.1, against a
 * stand-in for Keycloak's endpoints whose nodes share one store (a cluster) or keep their own.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LiveNode } from "../../chaos/drivers/driver";
import { Browser } from "../../chaos/oidc/browser";
import { clientFor } from "../../chaos/oidc/client";
import {
  authSessionNode,
  CredentialRetry,
  LoginError,
  openLoginPage,
  pageMessage,
  redeemCode,
  submitCredentials,
} from "../../chaos/oidc/login";
import { rerouteUrl } from "../../chaos/oidc/routing";
import { KeycloakProbes } from "../../chaos/probes/keycloak";
import { FakeKeycloak, newStore, Store } from "./fake-keycloak";

let keycloak: FakeKeycloak;

afterEach(async () => {
  await keycloak?.close();
});

/** Retries that do not wait: the waits asked for are recorded. */
function quickRetries(delaysMs = [1000, 3000]) {
  const waited: number[] = [];
  const retry: CredentialRetry = {
    delaysMs,
    sleep: async (ms) => {
      waited.push(ms);
    },
  };
  return { retry, waited };
}

/** A load balancer (the public URL) and three nodes; `split` nodes keep their own store. */
async function cluster(split: string[] = [], retries: CredentialRetry = quickRetries().retry) {
  keycloak = new FakeKeycloak();
  const shared = newStore();
  const lb = await keycloak.node("lb", shared);
  const nodes: LiveNode[] = [];
  for (const id of ["kc-0", "kc-1", "kc-2"]) {
    const store: Store = split.includes(id) ? newStore() : shared;
    const node = await keycloak.node(id, store);
    nodes.push({ id, nodeName: id, httpUrl: node.url, managementUrl: `${node.url}/mgmt` });
  }
  const outputs = {
    issuerUrl: keycloak.issuer,
    publicUrl: keycloak.publicUrl,
    clientId: keycloak.clientId,
    clientSecret: keycloak.clientSecret,
    redirectUri: keycloak.redirectUri,
    testUsers: [...keycloak.users].map(([username, password]) => ({ username, password })),
    loadBalancerUrl: lb.url,
  };
  const probes = new KeycloakProbes(outputs, 4, retries);
  probes.useNodes(nodes);
  return { probes, nodes, outputs, shared };
}

describe("routing and the scripted login", () => {
  it("sends requests for the public URL to one node, keeping path and query; other URLs stay", () => {
    expect(rerouteUrl("http://127.0.0.1:8080/realms/chaos/x?a=1", "http://127.0.0.1:8080", "http://127.0.0.1:18081").toString()).toBe(
      "http://127.0.0.1:18081/realms/chaos/x?a=1",
    );
    expect(rerouteUrl("https://elsewhere.test/a", "http://127.0.0.1:8080", "http://127.0.0.1:18081").toString()).toBe(
      "https://elsewhere.test/a",
    );
  });

  it("logs in on one node through the HTML form; the session's route names that node", async () => {
    const { outputs, nodes } = await cluster();
    const settings = {
      issuerUrl: outputs.issuerUrl,
      publicUrl: outputs.publicUrl,
      clientId: outputs.clientId,
      clientSecret: outputs.clientSecret,
    };
    const config = await clientFor(settings, nodes[1].httpUrl);
    const browser = new Browser(outputs.publicUrl, nodes[1].httpUrl);
    const login = await openLoginPage(browser, config, outputs.redirectUri);
    expect(login.formAction).toContain("&tab_id=t1");
    const redirect = await submitCredentials(browser, login, "user-1", "pw-1");
    const tokens = await redeemCode(config, login, redirect);
    expect(tokens.access_token).toBeTruthy();
    expect(await authSessionNode(browser)).toBe("kc-1");
    expect(await browser.cookie("KEYCLOAK_IDENTITY")).toBeTruthy();
  });

  it("a wrong password says what the page says", async () => {
    const { outputs, nodes } = await cluster();
    const config = await clientFor(
      { issuerUrl: outputs.issuerUrl, publicUrl: outputs.publicUrl, clientId: outputs.clientId, clientSecret: outputs.clientSecret },
      nodes[0].httpUrl,
    );
    const browser = new Browser(outputs.publicUrl, nodes[0].httpUrl);
    const login = await openLoginPage(browser, config, outputs.redirectUri);
    const error = await submitCredentials(browser, login, "user-1", "wrong").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginError);
    expect((error as LoginError).message).toBe("credentials post answered 200 without a redirect: Invalid username or password.");
  });

  async function loginPage(nodeIndex = 0) {
    const { outputs, nodes, shared } = await cluster();
    const config = await clientFor(
      { issuerUrl: outputs.issuerUrl, publicUrl: outputs.publicUrl, clientId: outputs.clientId, clientSecret: outputs.clientSecret },
      nodes[nodeIndex].httpUrl,
    );
    const browser = new Browser(outputs.publicUrl, nodes[nodeIndex].httpUrl);
    return { browser, config, shared, login: await openLoginPage(browser, config, outputs.redirectUri) };
  }

  it("a refusal with the words of a wrong password is posted again, to the form Keycloak rendered with it, after each wait", async () => {
    const { browser, config, login } = await loginPage();
    keycloak.busyLogins.set("user-1", 2);
    const { retry, waited } = quickRetries();
    const refusals: string[] = [];
    const redirect = await submitCredentials(browser, login, "user-1", "pw-1", { ...retry, onRetry: (r) => refusals.push(r) });
    expect((await redeemCode(config, login, redirect)).access_token).toBeTruthy();
    expect(waited).toEqual([1000, 3000]);
    expect(refusals).toEqual([
      'credentials refused ("Invalid username or password.") on post 1; posted again after 1000 ms',
      'credentials refused ("Invalid username or password.") on post 2; posted again after 3000 ms',
    ]);
  });

  it("a wrong password is still refused after the retries, and the error says how many posts", async () => {
    const { browser, login } = await loginPage();
    const { retry, waited } = quickRetries();
    const error = await submitCredentials(browser, login, "user-1", "wrong", retry).catch((e: unknown) => e);
    expect((error as LoginError).message).toBe(
      "credentials post answered 200 without a redirect: Invalid username or password. (on post 3, after 2 refusal(s) posted again)",
    );
    expect(waited).toEqual([1000, 3000]);
  });

  it("a lost authentication session is not posted again: it fails at once with Keycloak's words", async () => {
    const { browser, login, shared } = await loginPage();
    shared.authSessions.clear();
    const { retry, waited } = quickRetries();
    const error = await submitCredentials(browser, login, "user-1", "pw-1", retry).catch((e: unknown) => e);
    expect((error as LoginError).message).toBe("credentials post answered 400 without a redirect: Cookie not found.");
    expect(waited).toEqual([]);
  });

  it("a login Keycloak restarted (its authentication session lost) is not posted again, although the page has a login form", async () => {
    const { browser, login, shared } = await loginPage();
    shared.authSessions.clear();
    keycloak.restartLostLogins = true;
    const { retry, waited } = quickRetries();
    const error = await submitCredentials(browser, login, "user-1", "pw-1", retry).catch((e: unknown) => e);
    expect((error as LoginError).message).toBe(
      "credentials post answered 200 without a redirect: Your login attempt timed out. Login will start from the beginning.",
    );
    expect(waited).toEqual([]);
  });

  it("reads Keycloak's own message from a page", () => {
    expect(
      pageMessage('<html><title>Sign in</title><span id="input-error-username" aria-live="polite">\n Account is disabled.</span></html>'),
    ).toBe("Account is disabled.");
    expect(pageMessage("<html><title>We are sorry...</title></html>")).toBe("We are sorry...");
  });
});

describe("the probes on a cluster", () => {
  it("spreads sessions over every node, each living where it was created", async () => {
    const { probes } = await cluster();
    expect(await probes.createSessions(5, ["kc-0", "kc-1", "kc-2"])).toEqual({ perNode: { "kc-0": 2, "kc-1": 2, "kc-2": 1 }, loggedIn: 5 });
    expect(probes.sessionsOn("kc-0")).toEqual([expect.stringMatching(/^s\d+:user-1@kc-0$/), expect.stringMatching(/^s\d+:user-2@kc-0$/)]);
  });

  it("passes userinfo, refresh and the SSO cookie on every node and the load balancer", async () => {
    const { probes } = await cluster();
    await probes.createSessions(4, ["kc-0", "kc-1", "kc-2"]);
    for (const route of ["kc-0", "kc-1", "kc-2", "lb"]) {
      for (const check of ["userinfo", "refresh", "sso-cookie"] as const) {
        expect(await probes.check(check, route, ["kc-0", "kc-1", "kc-2"]), `${check}@${route}`).toMatchObject({
          passed: 4,
          total: 4,
          failures: [],
        });
      }
    }
  });

  it("completes logins in progress and redeems codes on another node, and sees a logout everywhere", async () => {
    const { probes } = await cluster();
    await probes.createSessions(2, ["kc-0", "kc-1", "kc-2"]);
    expect(await probes.prepareRound(["kc-0", "kc-1", "kc-2"], 1)).toEqual({ inProgress: 3, codes: 3, logouts: 3 });
    const survivors = ["kc-0", "kc-2"];
    for (const check of ["login-in-progress", "code-exchange", "logout-propagation"] as const) {
      const result = await probes.check(check, "kc-0", survivors);
      expect(result.failures, check).toEqual([]);
      expect(result.total, check).toBeGreaterThan(0);
    }
    // Consumed: a second check has nothing left to do.
    expect((await probes.check("code-exchange", "kc-0", survivors)).total).toBe(0);
  });

  it("a login in progress that Keycloak refuses once completes on the next post; the probes note the refusal once", async () => {
    const { probes } = await cluster();
    await probes.prepareRound(["kc-0"], 1);
    expect(probes.takeNotes()).toEqual([]);
    keycloak.busyLogins.set("user-1", 1);
    expect(await probes.check("login-in-progress", "kc-0", ["kc-0", "kc-1"])).toMatchObject({ passed: 1, total: 1, failures: [] });
    expect(probes.takeNotes()).toEqual([
      expect.stringMatching(
        /^login\d+:user-1@kc-0: credentials refused \("Invalid username or password\."\) on post 1; posted again after 1000 ms \(Keycloak refuses/,
      ),
    ]);
    expect(probes.takeNotes()).toEqual([]);
  });

  it("sends traffic to the userinfo endpoint of the discovery document, through the load balancer", async () => {
    const { probes } = await cluster();
    await probes.createSessions(1, ["kc-0"]);
    const traffic = await probes.startTraffic(100, 5_000);
    await new Promise((ok) => setTimeout(ok, 100));
    const stats = await traffic.stop();
    expect(stats.requests).toBeGreaterThan(2);
    expect(stats.errors).toBe(0);
  });
});

describe("the probes on nodes that never formed one cluster", () => {
  it("userinfo with the same token: 200 on the nodes that share the session, 401 on the one that does not", async () => {
    const { probes } = await cluster(["kc-2"]);
    await probes.createSessions(2, ["kc-0", "kc-1"]);
    expect((await probes.check("userinfo", "kc-1", ["kc-0", "kc-1", "kc-2"])).passed).toBe(2);
    const lonely = await probes.check("userinfo", "kc-2", ["kc-0", "kc-1", "kc-2"]);
    expect(lonely).toMatchObject({ passed: 0, total: 2 });
    expect(lonely.failures.map((f) => f.detail)).toEqual(["answered 401 (invalid_token)", "answered 401 (invalid_token)"]);
    expect((await probes.check("refresh", "kc-2", ["kc-2"])).failures[0].detail).toBe("answered 400 (invalid_grant: Session not active)");
  });

  it("a login in progress cannot complete, and a code cannot be redeemed, on a node without the cache", async () => {
    const { probes } = await cluster(["kc-2"]);
    await probes.prepareRound(["kc-0"], 1);
    const login = await probes.check("login-in-progress", "kc-2", ["kc-0", "kc-2"]);
    expect(login.failures.map((f) => f.detail)).toEqual(["credentials post answered 400 without a redirect: Cookie not found."]);
    const code = await probes.check("code-exchange", "kc-2", ["kc-0", "kc-2"]);
    expect(code.failures.map((f) => f.detail)).toEqual(["answered 400 (invalid_grant: Code not valid)"]);
  });

  it("a logout a node never hears of is a failed logout-propagation check", async () => {
    const { probes } = await cluster(["kc-2"]);
    await probes.prepareRound(["kc-2", "kc-0"], 0);
    // The logout subject on kc-2 logs out on kc-2; kc-0 never shared that session, so it refuses it anyway.
    expect((await probes.check("logout-propagation", "kc-2", ["kc-2", "kc-0"])).failures).toEqual([]);
    // On the cluster the session lives, but the logout goes to a node that keeps its own store: it survives elsewhere.
    const { probes: other, shared } = await cluster(["kc-1"]);
    await other.prepareRound(["kc-0"], 0);
    expect(shared.sessions.size).toBe(1);
    const result = await other.check("logout-propagation", "kc-1", ["kc-1", "kc-0"]);
    expect(result.failures.map((f) => f.detail)).toEqual(["after logout, userinfo on another node still answered 200 (expected 401)"]);
  });
});
