/**
 * `npm run chaos` end to end on Docker stacks deployed through the real engine:
 * (a) persistent sessions, rounds of a killed node and of a graceful stop: 0 lost, all reports;
 * (d) negative control: cache mode local: exit 2 at the steady state;
 * (e) a frozen node (docker pause) on a cluster with the shipped fast-failure-detection cache file.
 * The volatile-session cases (one node broken per round: 0 lost; two of three at once: the run
 * fails naming the lost sessions) run on the Kubernetes stack (kubernetes.e2e.test.ts), which
 * makes the same claims with real pods. One cluster at a time (2 cores).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chaos, leftovers, localImages, removeLeftovers, reportsDir, selectStack, StackConfig } from "./harness";

const ports = { "docker.loadBalancerPort": 38080, "docker.nodeHttpBasePort": 38180, "docker.nodeManagementBasePort": 39100 };
const deployed: Stack[] = [];

async function deploy(name: string, config: StackConfig): Promise<Stack> {
  const stack = await selectStack(name, { ...ports, "keycloak.nodes": 3, "realm.testUsers": 6, ...config });
  deployed.push(stack);
  await stack.up({ onOutput: () => undefined });
  return stack;
}

async function destroy(stack: Stack): Promise<void> {
  await stack.destroy({ onOutput: () => undefined });
  deployed.splice(deployed.indexOf(stack), 1);
  expect(await leftovers(`kc-${stack.name}`)).toEqual([]);
}

beforeAll(() => removeLeftovers("kc-e2e-chaos-"));

afterAll(async () => {
  for (const stack of deployed) {
    await stack.destroy({ onOutput: () => undefined }).catch((e: unknown) => console.error("cleanup destroy failed", e));
  }
});

describe("chaos on a persistent-session cluster", () => {
  it("(a) a killed node, then a graceful stop: exit 0, 0 sessions lost, sessions on every node, all reports written", async () => {
    const stack = await deploy("e2e-chaos-persistent", localImages("persistent"));
    const run = await chaos(
      ["--stack", stack.name, "--rounds", "2", "--seed", "11", "--sessions", "30", "--fault", "kill"],
      reportsDir("a"),
    );
    expect(run.code).toBe(0);
    const end = run.journal.events.find((e) => e.type === "run-end");
    expect(end).toMatchObject({ verdict: "passed", lost: [] });
    const created = run.journal.events.find((e) => e.type === "sessions" && e.round === undefined);
    expect(created && created.type === "sessions" ? Object.values(created.perNode).every((n) => n > 0) : false).toBe(true);
    expect(run.journal.events.filter((e) => e.type === "fault" && e.action === "verified" && e.ok)).toHaveLength(2);
    for (const file of ["chaos-journal.json", "chaos-junit.xml", "chaos-report.html"]) {
      expect((await readFile(path.join(reportsDir("a"), file), "utf8")).length).toBeGreaterThan(100);
    }
    const stop = await chaos(
      ["--stack", stack.name, "--rounds", "1", "--seed", "12", "--sessions", "12", "--fault", "stop"],
      reportsDir("a-stop"),
    );
    expect(stop.code).toBe(0);
    await destroy(stack);
  });
});

describe("chaos on a cluster with fast failure detection (stacks/cache/fast-failure-detection.xml)", () => {
  it("(e) a frozen node (pause): every logged-in session keeps working on every survivor and through the load balancer, none lost; the failover window is reported", async () => {
    const stack = await deploy("e2e-chaos-fastfd", {
      ...localImages("persistent"),
      "keycloak.cacheConfigFile": "stacks/cache/fast-failure-detection.xml",
    });
    const run = await chaos(
      ["--stack", stack.name, "--rounds", "1", "--seed", "13", "--sessions", "12", "--fault", "pause"],
      reportsDir("e"),
    );
    const events = run.journal.events;
    const failover = events.find((e) => e.type === "failover");
    const traffic = events.find((e) => e.type === "traffic");
    console.log(`pause with fast failure detection: ${JSON.stringify({ failover, traffic })}`);
    // With Keycloak's defaults (failure detection after 32-49 s), userinfo and refresh on a survivor
    // answer 500 for the sessions the frozen node owns until Infinispan's 15 s remote timeout.
    const sessionChecks = events.filter(
      (e) => e.type === "check" && e.phase === "during" && ["userinfo", "refresh", "sso-cookie"].includes(e.check),
    );
    expect(sessionChecks.length).toBe(9);
    expect(sessionChecks.filter((c) => c.type === "check" && c.passed < c.total)).toEqual([]);
    expect(events.find((e) => e.type === "run-end")).toMatchObject({ lost: [] });
    expect(failover?.type === "failover" ? Object.values(failover.firstCleanCheckMs).every((ms) => ms !== null) : false).toBe(true);
    // Not asserted, still open (issue 19): a login in progress or a code redeemed during the view
    // change can fail, and requests the load balancer already sent to the frozen node time out
    // until its health check takes the node out; the run's verdict says so.
    console.log(`verdict of the pause round: exit ${run.code}`);
    await destroy(stack);
  });
});

describe("chaos on nodes that never formed one cluster", () => {
  it("(d) cache mode local stops at the steady state with exit 2, saying the nodes do not form one cluster", async () => {
    const stack = await deploy("e2e-chaos-local", {
      ...localImages("persistent"),
      "keycloak.cacheMode": "local",
      "keycloak.acknowledgeLocalCache": true,
    });
    const d = await chaos(["--stack", stack.name, "--rounds", "1", "--seed", "1"], reportsDir("d"));
    expect(d.code).toBe(2);
    expect(d.stdout).toContain("the nodes do not form one cluster");
    expect(d.journal.events.some((e) => e.type === "fault")).toBe(false);
    await destroy(stack);
  });
});
