/**
 * `npm run promote` with the real Pulumi CLI, a local file backend and a passphrase: dev → prod
 * (kubernetes) promotion, a round trip that loses no key, secrets of the destination that still
 * decrypt and are never printed, every refusal leaving the destination byte for byte as it was,
 * and a preview of the promoted destination through the real engine against the local API server.
 */
import { copyFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, PromoteDeps } from "../../stacks/promote/cli";
import { repoRoot, selectStack } from "./harness";
import { kubeconfigFile, startCluster } from "./kube";

const secretValue = "prod-db-secret-value-never-printed";

function capture(tty = false) {
  let out = "";
  return { write: (s: string) => void (out += s), text: () => out, isTTY: tty };
}

function deps(overrides: Partial<PromoteDeps> = {}) {
  const stdout = capture();
  const stderr = capture();
  return {
    stdout,
    stderr,
    deps: { stdout, stderr, workDir: repoRoot, env: process.env, confirm: async () => true, ...overrides },
  };
}

const file = (stack: string) => path.join(repoRoot, `Pulumi.${stack}.yaml`);
let dev: Stack;
let prod: Stack;

beforeAll(async () => {
  startCluster("api-only");
  process.env.KUBECONFIG = kubeconfigFile();
  copyFileSync(file("dev"), file("e2e-promote-dev"));
  copyFileSync(file("prod"), file("e2e-promote-prod"));
  dev = await selectStack("e2e-promote-dev", {
    "keycloak.sessionMode": "volatile",
    "keycloak.logLevel": "info,org.keycloak.events:debug",
    "realm.testUsers": 6,
  });
  prod = await selectStack("e2e-promote-prod", {
    "database.mode": "external",
    "database.jdbcUrl": "jdbc:postgresql://db.prod.internal:5432/keycloak",
    "kubernetes.namespace": "e2e-promote",
  });
  await prod.removeConfig("keycloak-cluster:database.storageGb", true);
  await prod.setConfig("keycloak-cluster:database.password", { value: secretValue, secret: true }, true);
});

afterAll(async () => {
  for (const stack of [dev, prod]) {
    await stack?.workspace.removeStack(stack.name).catch(() => undefined);
  }
});

describe("promotion between stacks on the real CLI", () => {
  it("a dry run shows the diff and writes nothing", async () => {
    const before = readFileSync(file("e2e-promote-prod"));
    const { stdout, deps: d } = deps();
    expect(await main(["--from", "e2e-promote-dev", "--to", "e2e-promote-prod", "--dry-run"], d)).toBe(0);
    expect(stdout.text()).toContain("promote e2e-promote-dev → e2e-promote-prod:");
    expect(stdout.text()).toMatch(/\+ keycloak.sessionMode\s+added\s+"volatile"/);
    expect(stdout.text()).toMatch(/kept\s+\[secret\]/);
    expect(stdout.text()).not.toContain(secretValue);
    expect(readFileSync(file("e2e-promote-prod"))).toEqual(before);
  });

  it("refuses without a terminal to confirm, and writes nothing", async () => {
    const before = readFileSync(file("e2e-promote-prod"));
    const { stderr, deps: d } = deps();
    expect(await main(["--from", "e2e-promote-dev", "--to", "e2e-promote-prod"], d)).toBe(2);
    expect(stderr.text()).toContain("not on a terminal, so nobody can confirm; review the diff and add --yes");
    expect(readFileSync(file("e2e-promote-prod"))).toEqual(before);
  });

  it("refuses a destination that breaks a rule, names it, and leaves the file byte for byte as it was", async () => {
    await prod.setConfig("keycloak-cluster:keycloak.nodes", { value: "2" }, true);
    const before = readFileSync(file("e2e-promote-prod"));
    const { stderr, deps: d } = deps();
    expect(await main(["--from", "e2e-promote-dev", "--to", "e2e-promote-prod", "--yes"], d)).toBe(2);
    expect(stderr.text()).toContain("e2e-promote-prod: keycloak-cluster:keycloak.nodes: a production stack runs at least 3 nodes");
    expect(stderr.text()).not.toContain(secretValue);
    expect(readFileSync(file("e2e-promote-prod"))).toEqual(before);
    await prod.setConfig("keycloak-cluster:keycloak.nodes", { value: "3" }, true);
  });

  it("an interrupt while writing leaves the destination as it was", async () => {
    const before = readFileSync(file("e2e-promote-prod"));
    const controller = new AbortController();
    controller.abort();
    const { stderr, deps: d } = deps({ signal: controller.signal });
    expect(await main(["--from", "e2e-promote-dev", "--to", "e2e-promote-prod", "--yes"], d)).toBe(1);
    expect(stderr.text()).toContain("nothing was promoted: interrupted");
    expect(readFileSync(file("e2e-promote-prod"))).toEqual(before);
  });

  it("promotes the shared keys, keeps the destination's own, and its secrets still decrypt", async () => {
    const { stdout, deps: d } = deps();
    expect(await main(["--from", "e2e-promote-dev", "--to", "e2e-promote-prod", "--yes", "--json"], d)).toBe(0);
    const plan = JSON.parse(stdout.text()) as { written: boolean; changes: { key: string; kind: string }[] };
    expect(plan.written).toBe(true);
    expect(stdout.text()).not.toContain(secretValue);
    const config = await prod.getAllConfig();
    const keycloak = JSON.parse(config["keycloak-cluster:keycloak"].value) as Record<string, unknown>;
    expect(keycloak).toMatchObject({
      sessionMode: "volatile",
      logLevel: "info,org.keycloak.events:debug",
      nodes: 3,
      hostname: "https://sso.example.com",
    });
    expect(config["keycloak-cluster:target"].value).toBe("kubernetes");
    expect(config["keycloak-cluster:environment"].value).toBe("production");
    expect((JSON.parse(config["keycloak-cluster:database"].value) as { password: string }).password).toBe(secretValue);
    expect(readFileSync(file("e2e-promote-prod"), "utf8")).not.toContain(secretValue);
    // Promoting again changes nothing.
    const again = deps();
    expect(await main(["--from", "e2e-promote-dev", "--to", "e2e-promote-prod", "--yes"], again.deps)).toBe(0);
    expect(again.stdout.text()).toContain("nothing to promote");
  });

  it("a round trip dev → prod → dev loses no key of dev", async () => {
    const before = await dev.getAllConfig();
    const { deps: d } = deps();
    expect(await main(["--from", "e2e-promote-prod", "--to", "e2e-promote-dev", "--yes"], d)).toBe(0);
    const after = await dev.getAllConfig();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const key of Object.keys(before)) {
      expect(JSON.parse(after[key].value.startsWith("{") ? after[key].value : JSON.stringify(after[key].value)), key).toEqual(
        JSON.parse(before[key].value.startsWith("{") ? before[key].value : JSON.stringify(before[key].value)),
      );
    }
  });

  it("the committed aws production stack passes the same validation and rules (dry run: no AWS here)", async () => {
    copyFileSync(file("prod-aws"), file("e2e-promote-aws"));
    const aws = await selectStack("e2e-promote-aws", {});
    try {
      const { stdout, stderr, deps: d } = deps();
      expect(await main(["--from", "e2e-promote-dev", "--to", "e2e-promote-aws", "--dry-run"], d), stderr.text()).toBe(0);
      expect(stdout.text()).toContain("dry run: nothing was written");
    } finally {
      await aws.workspace.removeStack(aws.name);
    }
  });

  it("the promoted destination previews through the real engine against the local API server", async () => {
    const preview = await prod.preview({ onOutput: () => undefined });
    expect(preview.changeSummary.create ?? 0).toBeGreaterThan(10);
  });
});
