/**
 * The Docker stack (volatile sessions) through the real Pulumi engine: up, a cluster of N on
 * every node, a browser-style login, the token accepted by every node, refresh on another node,
 * an idempotent second up, a log-level change rolled one node at a time under a session probe
 * loop with nothing lost, a realm change that touches no node, a database password rotation
 * (PostgreSQL first, then the nodes one at a time, nothing lost), 3 → 4 nodes without
 * replacements, and a destroy that leaves nothing.
 */
import { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as client from "openid-client";
import { Browser } from "../../chaos/oidc/browser";
import { clientFor } from "../../chaos/oidc/client";
import { authSessionNode, openLoginPage, redeemCode, submitCredentials } from "../../chaos/oidc/login";
import { nodeHealth } from "../../chaos/probes/cluster";
import { SecretEnv } from "../../components/keycloak/settings";
import { ClusterOutputs } from "../../components/shared/outputs";
import { stepLog, watchSessions } from "./session-watch";
import {
  ChaosPorts,
  changes,
  docker,
  clusterOutputs,
  dockerNodes,
  eventually,
  leftovers,
  removeLeftovers,
  localImages,
  memoryMiB,
  repoRoot,
  selectStack,
  setConfig,
} from "./harness";

const stackName = "e2e-docker";
const prefix = "kc-e2e-docker";
const config = {
  ...localImages("volatile"),
  ...ChaosPorts,
  "keycloak.nodes": 3,
  "realm.testUsers": 6,
  // Set, not left to their defaults: the cases below change them, and an interrupted run leaves them in the stack file.
  "keycloak.logLevel": "info",
  "realm.redirectUri": "http://127.0.0.1:28080/keycloak-cluster/callback",
  "database.passwordRotation": 0,
};

const timings: Record<string, number> = {};
async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    timings[name] = Math.round((Date.now() - started) / 100) / 10;
  }
}

async function expectClusterOf(outputs: ClusterOutputs, size: number): Promise<void> {
  await eventually(
    `every node ready with cluster size ${size}`,
    async () => {
      const health = await Promise.all(dockerNodes(outputs).map((n) => nodeHealth(n.managementUrl)));
      return health.every((h) => h.ready && h.clusterSize === size);
    },
    180_000,
  );
}

/** Every test user logged in through the load balancer: their access tokens. */
async function logInEveryone(outputs: ClusterOutputs) {
  const viaLb = await clientFor(outputs, outputs.loadBalancerUrl);
  const sessions = [];
  for (const user of outputs.testUsers) {
    const browser = new Browser(outputs.publicUrl, outputs.loadBalancerUrl);
    const login = await openLoginPage(browser, viaLb, outputs.redirectUri);
    const tokens = await redeemCode(viaLb, login, await submitCredentials(browser, login, user.username, user.password));
    sessions.push({ username: user.username, accessToken: tokens.access_token });
  }
  return sessions;
}

/** The database password a container was started with. */
async function dbPasswordOf(container: string): Promise<string> {
  const env = (await docker.getContainer(container).inspect()).Config.Env ?? [];
  const entry = env.find((e) => e.startsWith(`${SecretEnv.dbPassword}=`));
  if (entry === undefined) {
    throw new Error(`${container} has no ${SecretEnv.dbPassword}`);
  }
  return entry.slice(SecretEnv.dbPassword.length + 1);
}

/** Whether PostgreSQL (in the stack's database container, over TCP: password authentication) accepts the password. */
async function databaseAccepts(password: string): Promise<boolean> {
  const exec = await docker.getContainer(`${prefix}-db`).exec({
    Cmd: ["psql", "-X", "-q", "-h", "127.0.0.1", "-U", "keycloak", "-d", "keycloak", "-c", "select 1"],
    Env: [`PGPASSWORD=${password}`],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise((resolve) => {
    stream.on("end", resolve);
    stream.resume();
  });
  return (await exec.inspect()).ExitCode === 0;
}

/** `pulumi up` with the session probe loop running; the engine's steps and what the loop saw. */
async function upUnderProbes(stack: Stack, outputs: ClusterOutputs, sessions: { username: string; accessToken: string }[], name: string) {
  const watch = watchSessions(outputs, sessions);
  const log = stepLog();
  const up = await timed(name, () =>
    stack.up({ onOutput: () => undefined, onEvent: log.onEvent }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    ),
  );
  const seen = await watch.stop();
  if ("error" in up) {
    throw up.error;
  }
  console.log(`${name} steps:\n  ` + log.steps.join("\n  "));
  console.log(
    `${name} under load: ${seen.passed}/${seen.checks} session checks on ready nodes passed; ` +
      `through the load balancer ${seen.traffic.errors}/${seen.traffic.requests} requests failed ` +
      `(${((100 * seen.traffic.errors) / Math.max(1, seen.traffic.requests)).toFixed(1)} %), p95 ${seen.traffic.latencyMs.p95} ms`,
  );
  return { result: up.result, steps: log.steps, seen };
}

/** Node i+1 went only once node i's gate had seen it back in the cluster. */
function expectOneAtATime(steps: string[]): void {
  for (let i = 1; i < 3; i++) {
    const gate = steps.indexOf(`end update keycloak-kc-${i - 1}-joined`);
    const next = steps.findIndex((step) => step.endsWith(` keycloak-kc-${i}`));
    expect(gate, `kc-${i - 1}'s gate in ${steps.join(", ")}`).toBeGreaterThanOrEqual(0);
    expect(next, `kc-${i} after kc-${i - 1}'s gate`).toBeGreaterThan(gate);
  }
}

describe("docker stack end to end (real engine)", () => {
  let stack: Stack;
  let outputs: ClusterOutputs;
  let destroyed = false;
  let engineOutput = "";

  beforeAll(async () => {
    await removeLeftovers(prefix);
    stack = await selectStack(stackName, config);
    await stack.refresh({ onOutput: () => undefined }).catch(() => undefined);
    const result = await timed("first up (to all nodes healthy)", () =>
      stack.up({
        onOutput: (line) => {
          engineOutput += line;
          process.stdout.write(line);
        },
      }),
    );
    expect(result.summary.result).toBe("succeeded");
    outputs = await clusterOutputs(stack);
  });

  afterAll(async () => {
    if (stack && !destroyed) {
      await stack.destroy({ onOutput: () => undefined }).catch((e: unknown) => console.error("cleanup destroy failed", e));
    }
    console.log("e2e timings (s):", JSON.stringify(timings));
  });

  it("says which docker provider it used, and every node reports a cluster of 3", async () => {
    // The engine names the plugin it took from PATH: here, offline, the stand-in.
    expect(engineOutput).toContain(`using pulumi-resource-docker from $PATH at ${repoRoot}/offline/provider/bin/pulumi-resource-docker`);
    expect(dockerNodes(outputs).map((n) => n.id)).toEqual(["kc-0", "kc-1", "kc-2"]);
    await expectClusterOf(outputs, 3);
    const memory = await Promise.all(dockerNodes(outputs).map((n) => memoryMiB(n.container)));
    console.log("memory per node (MiB):", memory.join(", "));
  });

  it("logs in through the load balancer; every node accepts the token; refresh works on another node", async () => {
    const viaLb = await clientFor(outputs, outputs.loadBalancerUrl);
    const browser = new Browser(outputs.publicUrl, outputs.loadBalancerUrl);
    const user = outputs.testUsers[0];
    const login = await openLoginPage(browser, viaLb, outputs.redirectUri);
    const redirect = await submitCredentials(browser, login, user.username, user.password);
    const tokens = await redeemCode(viaLb, login, redirect);
    expect(await browser.cookie("KEYCLOAK_IDENTITY")).toBeTruthy();
    const home = await authSessionNode(browser);
    expect(dockerNodes(outputs).map((n) => n.nodeName)).toContain(home);

    for (const node of dockerNodes(outputs)) {
      const response = await fetch(`${node.httpUrl}/realms/${outputs.realm}/protocol/openid-connect/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(response.status, `userinfo on ${node.id}`).toBe(200);
      expect(((await response.json()) as { preferred_username: string }).preferred_username).toBe(user.username);
    }

    const other = dockerNodes(outputs).find((n) => n.nodeName !== home) ?? dockerNodes(outputs)[1];
    const direct = await clientFor(outputs, other.httpUrl);
    const refreshed = await client.refreshTokenGrant(direct, tokens.refresh_token ?? "");
    expect(refreshed.access_token).toBeTruthy();
  });

  it("a second up changes nothing", async () => {
    const result = await timed("second up (no changes)", () => stack.up({ onOutput: () => undefined }));
    expect(changes(result.summary.resourceChanges)).toEqual({});
  });

  it("a log-level change replaces the nodes one at a time, each back in one cluster before the next goes; no session lost", async () => {
    const sessions = await logInEveryone(outputs);
    const before = dockerNodes(outputs).map((n) => n.container);

    await setConfig(stack, { "keycloak.logLevel": "info,org.infinispan.CLUSTER:debug" });
    const { result, steps, seen } = await upUnderProbes(stack, outputs, sessions, "log-level change (rolling)");

    // Every node replaced; each gate waited again.
    expect(changes(result.summary.resourceChanges)).toEqual({ replace: 3, update: 3 });
    expectOneAtATime(steps);
    expect(seen.lost).toEqual([]);
    expect(seen.failures).toEqual([]);
    expect(seen.checks).toBeGreaterThan(sessions.length * 3);
    outputs = await clusterOutputs(stack);
    expect(dockerNodes(outputs).map((n) => n.container)).toEqual(before);
    await expectClusterOf(outputs, 3);
  });

  it("a realm change (one more test user, a new redirect URI) replaces no node; the new user logs in with the new URI", async () => {
    const redirectUri = `${outputs.publicUrl}/keycloak-cluster/callback-2`;
    await setConfig(stack, { "realm.testUsers": 7, "realm.redirectUri": redirectUri });
    const result = await timed("realm change", () => stack.up({ onOutput: () => undefined }));
    // Only the realm sync: no node, no gate, no load balancer.
    expect(changes(result.summary.resourceChanges)).toEqual({ update: 1 });
    outputs = await clusterOutputs(stack);
    expect(outputs.redirectUri).toBe(redirectUri);
    const user = outputs.testUsers.find((u) => u.username === "user-7");
    expect(user, "user-7 in the testUsers output").toBeDefined();
    const viaLb = await clientFor(outputs, outputs.loadBalancerUrl);
    const browser = new Browser(outputs.publicUrl, outputs.loadBalancerUrl);
    const login = await openLoginPage(browser, viaLb, redirectUri);
    const redirect = await submitCredentials(browser, login, user?.username ?? "", user?.password ?? "");
    expect(redirect.href.startsWith(redirectUri)).toBe(true);
    expect((await redeemCode(viaLb, login, redirect)).access_token).toBeTruthy();
  });

  it("database.passwordRotation: PostgreSQL's role gets a new password first, then the nodes one at a time; no session lost; the old password stops working", async () => {
    const sessions = await logInEveryone(outputs);
    const old = await dbPasswordOf(dockerNodes(outputs)[0].container);
    expect(await databaseAccepts(old)).toBe(true);

    await setConfig(stack, { "database.passwordRotation": 1 });
    const { result, steps, seen } = await upUnderProbes(stack, outputs, sessions, "database password rotation (rolling)");

    // The password (an update, not a replacement), the role, three gates; the nodes and the
    // idle-transaction guard (its password) replaced; the database container untouched.
    expect(changes(result.summary.resourceChanges)).toEqual({ replace: 4, update: 5 });
    expect(steps).not.toContain("start replace keycloak-db");
    const role = steps.indexOf("end update keycloak-db-role");
    const firstNode = steps.findIndex((step) => step.endsWith(" keycloak-kc-0"));
    const guard = steps.findIndex((step) => step.endsWith(" keycloak-db-guard"));
    expect(role, `the role before the first node in ${steps.join(", ")}`).toBeGreaterThanOrEqual(0);
    expect(firstNode).toBeGreaterThan(role);
    expect(guard, "the guard gets the new password after the role").toBeGreaterThan(role);
    expectOneAtATime(steps);
    expect(seen.lost).toEqual([]);
    expect(seen.failures).toEqual([]);

    outputs = await clusterOutputs(stack);
    const passwords = await Promise.all(dockerNodes(outputs).map((n) => dbPasswordOf(n.container)));
    expect(new Set(passwords).size).toBe(1);
    expect(passwords[0]).not.toBe(old);
    expect(await databaseAccepts(passwords[0])).toBe(true);
    expect(await databaseAccepts(old)).toBe(false);
    await expectClusterOf(outputs, 3);
  });

  it("3 → 4 nodes adds one node and replaces none", async () => {
    await setConfig(stack, { "keycloak.nodes": 4 });
    const result = await timed("scale 3 → 4", () => stack.up({ onOutput: () => undefined }));
    // The node and its gate; the three gates learn the longer node list (an update that only waits). No node is touched.
    expect(changes(result.summary.resourceChanges)).toEqual({ create: 2, update: 3 });
    outputs = await clusterOutputs(stack);
    expect(dockerNodes(outputs)).toHaveLength(4);
    await expectClusterOf(outputs, 4);
  });

  it("destroy leaves no container, network or volume of the stack", async () => {
    const result = await timed("destroy", () => stack.destroy({ onOutput: () => undefined }));
    destroyed = true;
    expect(result.summary.result).toBe("succeeded");
    const state = await stack.exportStack();
    expect((state.deployment as { resources?: unknown[] }).resources ?? []).toEqual([]);
    expect(await leftovers(prefix)).toEqual([]);
  });
});
