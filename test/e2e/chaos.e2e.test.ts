/**
 * `npm run chaos` end to end on Docker stacks deployed through the real engine:
 * (a) persistent sessions, rounds of a killed node and of a graceful stop: 0 lost, all reports;
 * (d) negative control: cache mode local: exit 2 at the steady state;
 * (e) a frozen node (docker pause) on a cluster with the dev stack's tuned failover, holding row
 *     locks of every session (test/e2e/frozen-transaction.ts): it passes; the guard ends the lock.
 * The volatile-session cases (one node broken per round: 0 lost; two of three at once: the run
 * fails naming the lost sessions) run on the Kubernetes stack (kubernetes.e2e.test.ts), which
 * makes the same claims with real pods. One cluster at a time (2 cores).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { beforeAll, describe, expect, it } from "vitest";
import {
  chaos,
  ChaosPorts,
  containerLog,
  leftovers,
  localImages,
  removeLeftovers,
  reportsDir,
  saveContainerLogs,
  selectStack,
  StackConfig,
  TunedFailover,
} from "./harness";
import { lockRowsWhenPaused } from "./frozen-transaction";

/**
 * Deploys a 3-node stack, runs the case, then saves its containers' logs (reports/e2e/<case>/nodes)
 * and destroys it, pass or fail: the cases share published ports, so a failed case must not leave
 * its stack up for the next one.
 */
async function withStack(name: string, logsDir: string, config: StackConfig, body: (stack: Stack) => Promise<void>): Promise<void> {
  const stack = await selectStack(name, { ...ChaosPorts, "keycloak.nodes": 3, "realm.testUsers": 6, ...config });
  try {
    await stack.up({ onOutput: () => undefined });
    await body(stack);
  } finally {
    const logs = await saveContainerLogs(`kc-${name}`, path.join(logsDir, "nodes")).catch((e: unknown) => {
      console.error(`saving the containers' logs of ${name} failed`, e);
      return [];
    });
    console.log(`${name}: ${logs.length} container log(s) in ${path.join(logsDir, "nodes")}`);
    await stack.destroy({ onOutput: () => undefined });
  }
  expect(await leftovers(`kc-${stack.name}`)).toEqual([]);
}

beforeAll(() => removeLeftovers("kc-e2e-chaos-"));

describe("chaos on a persistent-session cluster", () => {
  it("(a) a killed node, then a graceful stop: exit 0, 0 sessions lost, sessions on every node, all reports written", async () => {
    await withStack("e2e-chaos-persistent", reportsDir("a"), localImages("persistent"), async (stack) => {
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
    });
  });
});

describe("chaos on the dev stack's tuned failover (fast failure detection, cluster TLS off)", () => {
  it("(e) a frozen node (pause) holding row locks of every session: the round passes, every check on every survivor and through the load balancer, none lost; the guard ends the frozen transaction; the settings and the failover window are reported", async () => {
    await withStack("e2e-chaos-fastfd", reportsDir("e"), { ...localImages("persistent"), ...TunedFailover }, async (stack) => {
      const prefix = `kc-${stack.name}`;
      const frozen = lockRowsWhenPaused(prefix, { name: "keycloak", username: "keycloak" }, 10 * 60_000, 60_000);
      const run = await chaos(
        ["--stack", stack.name, "--rounds", "1", "--seed", "13", "--sessions", "12", "--fault", "pause"],
        reportsDir("e"),
      ).finally(() => frozen.stop());
      const locks = await frozen.stop();
      const events = run.journal.events;
      const failover = events.find((e) => e.type === "failover");
      const traffic = events.find((e) => e.type === "traffic");
      console.log(`pause with the tuned failover: ${JSON.stringify({ failover, traffic })}`);
      console.log(`the frozen transaction (locked ${locks.lockedAt ? new Date(locks.lockedAt).toISOString() : "never"}): ${locks.output}`);
      // The locks were taken, and the guard (not the commit at the end) ended their session.
      expect(locks.output).toContain("locked");
      const guardLog = await containerLog(`${prefix}-db-guard`);
      expect(guardLog).toContain(`(pid ${locks.pid}): its transaction was idle`);
      expect(locks.output).toMatch(/terminating connection due to administrator command|server closed the connection unexpectedly/);
      // With Keycloak's defaults a survivor answers 500 until Infinispan's 15 s remote timeout and,
      // with the cluster's TLS, the survivors split from each other (stacks/cache/fast-failure-detection.xml).
      const checks = events.filter((e) => e.type === "check" && e.phase === "during");
      expect(checks.map((c) => (c.type === "check" ? c.check : "")).sort()).toEqual(
        [
          ...["userinfo", "refresh", "sso-cookie"].flatMap((c) => [c, c, c]),
          "code-exchange",
          "fault-injected",
          "login-in-progress",
          "logout-propagation",
        ].sort(),
      );
      expect(events.find((e) => e.type === "run-start")).toMatchObject({
        config: { failoverSettings: { cacheStack: "jdbc-ping-fast-fd", clusterTls: false, safeRetryAfterSeconds: 4 } },
      });
      expect(checks.filter((c) => c.type === "check" && c.passed < c.total)).toEqual([]);
      expect(failover?.type === "failover" ? Object.values(failover.firstCleanCheckMs).every((ms) => ms !== null) : false).toBe(true);
      expect(events.find((e) => e.type === "run-end")).toMatchObject({ verdict: "passed", lost: [] });
      expect(run.code).toBe(0);
    });
  });
});

describe("chaos on nodes that never formed one cluster", () => {
  it("(d) cache mode local stops at the steady state with exit 2, saying the nodes do not form one cluster", async () => {
    const local = { ...localImages("persistent"), "keycloak.cacheMode": "local", "keycloak.acknowledgeLocalCache": true };
    await withStack("e2e-chaos-local", reportsDir("d"), local, async (stack) => {
      const d = await chaos(["--stack", stack.name, "--rounds", "1", "--seed", "1"], reportsDir("d"));
      expect(d.code).toBe(2);
      expect(d.stdout).toContain("the nodes do not form one cluster");
      expect(d.journal.events.some((e) => e.type === "fault")).toBe(false);
    });
  });
});
