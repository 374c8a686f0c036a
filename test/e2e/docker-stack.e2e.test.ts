/**
 * The Docker stack through the real Pulumi engine: up, a cluster of N on every node, a
 * browser-style login, the token accepted by every node, refresh on another node, an
 * idempotent second up, 3 → 4 nodes without replacements, and a destroy that leaves nothing.
 */
import { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as client from "openid-client";
import { Browser } from "../../chaos/oidc/browser";
import { clientFor } from "../../chaos/oidc/client";
import { authSessionNode, openLoginPage, redeemCode, submitCredentials } from "../../chaos/oidc/login";
import { nodeHealth } from "../../chaos/probes/cluster";
import { ClusterOutputs } from "../../components/shared/outputs";
import {
  changes,
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
  ...localImages("persistent"),
  "keycloak.nodes": 3,
  "docker.loadBalancerPort": 28080,
  "docker.nodeHttpBasePort": 28180,
  "docker.nodeManagementBasePort": 29100,
  "realm.testUsers": 3,
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
    const settings = {
      issuerUrl: outputs.issuerUrl,
      publicUrl: outputs.publicUrl,
      clientId: outputs.clientId,
      clientSecret: outputs.clientSecret,
    };
    const viaLb = await clientFor(settings, outputs.loadBalancerUrl);
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
    const direct = await clientFor(settings, other.httpUrl);
    const refreshed = await client.refreshTokenGrant(direct, tokens.refresh_token ?? "");
    expect(refreshed.access_token).toBeTruthy();
  });

  it("a second up changes nothing", async () => {
    const result = await timed("second up (no changes)", () => stack.up({ onOutput: () => undefined }));
    expect(changes(result.summary.resourceChanges)).toEqual({});
  });

  it("3 → 4 nodes adds one node and replaces none", async () => {
    await setConfig(stack, { "keycloak.nodes": 4 });
    const result = await timed("scale 3 → 4", () => stack.up({ onOutput: () => undefined }));
    expect(changes(result.summary.resourceChanges)).toEqual({ create: 1 });
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
