/**
 * `npm run chaos` end to end, on stacks deployed through the real engine:
 * (a) persistent sessions, 3 rounds: 0 lost; (b) volatile sessions, 3 rounds of one killed
 * node: 0 lost; (c) negative control: volatile, two of three killed at once: exit 1 naming the
 * lost sessions; (d) negative control: cache mode local: exit 2 at the steady state.
 * One cluster at a time (2 cores); each is destroyed before the next.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { ChaosEvent } from "../../chaos/events";
import { leftovers, localImages, repoRoot, selectStack, StackConfig } from "./harness";

interface ChaosRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Absent when the run was refused before any report was started. */
  readonly journal: { events: ChaosEvent[] };
}

/** Runs the chaos command as a user would, bounded in time. */
async function chaos(args: string[], reportDir: string): Promise<ChaosRun> {
  const child = spawn(path.join(repoRoot, "node_modules/.bin/tsx"), ["chaos/cli.ts", ...args, "--report-dir", reportDir], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    process.stdout.write(chunk);
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  const timer = setTimeout(() => child.kill("SIGINT"), 25 * 60_000);
  const code = await new Promise<number>((ok) => child.on("exit", (c) => ok(c ?? 3)));
  clearTimeout(timer);
  const journal = await readFile(path.join(reportDir, "chaos-journal.json"), "utf8").then(
    (text) => JSON.parse(text) as { events: ChaosEvent[] },
    () => ({ events: [] }),
  );
  return { code, stdout, stderr, journal };
}

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

afterAll(async () => {
  for (const stack of deployed) {
    await stack.destroy({ onOutput: () => undefined }).catch((e: unknown) => console.error("cleanup destroy failed", e));
  }
});

function reportsDir(name: string): string {
  return path.join(repoRoot, "reports", "e2e", name);
}

describe("chaos on a persistent-session cluster", () => {
  it("(a) 3 rounds of a killed node: exit 0, 0 sessions lost, sessions on every node, all reports written", async () => {
    const stack = await deploy("e2e-chaos-persistent", localImages("persistent"));
    const run = await chaos(
      ["--stack", stack.name, "--rounds", "3", "--seed", "11", "--sessions", "30", "--fault", "kill"],
      reportsDir("a"),
    );
    expect(run.code).toBe(0);
    const end = run.journal.events.find((e) => e.type === "run-end");
    expect(end).toMatchObject({ verdict: "passed", lost: [] });
    const created = run.journal.events.find((e) => e.type === "sessions" && e.round === undefined);
    expect(created && created.type === "sessions" ? Object.values(created.perNode).every((n) => n > 0) : false).toBe(true);
    expect(run.journal.events.filter((e) => e.type === "fault" && e.action === "verified" && e.ok)).toHaveLength(3);
    for (const file of ["chaos-journal.json", "chaos-junit.xml", "chaos-report.html"]) {
      expect((await readFile(path.join(reportsDir("a"), file), "utf8")).length).toBeGreaterThan(100);
    }
    await destroy(stack);
  });
});

describe("chaos on a volatile-session cluster", () => {
  it("(b) 3 rounds of one killed node lose nothing; (c) two of three killed at once lose sessions and name them", async () => {
    const stack = await deploy("e2e-chaos-volatile", localImages("volatile"));
    const b = await chaos(["--stack", stack.name, "--rounds", "3", "--seed", "5", "--sessions", "30", "--fault", "kill"], reportsDir("b"));
    expect(b.code).toBe(0);
    expect(b.journal.events.find((e) => e.type === "run-end")).toMatchObject({ verdict: "passed", lost: [] });

    const refused = await chaos(["--stack", stack.name, "--rounds", "1", "--nodes-per-fault", "2"], reportsDir("c-refused"));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Add --allow-loss to run it anyway");
    expect(refused.journal.events).toEqual([]);

    const c = await chaos(
      [
        "--stack",
        stack.name,
        "--rounds",
        "1",
        "--seed",
        "3",
        "--sessions",
        "30",
        "--fault",
        "kill",
        "--nodes-per-fault",
        "2",
        "--allow-loss",
      ],
      reportsDir("c"),
    );
    expect(c.code).toBe(1);
    const end = c.journal.events.find((e) => e.type === "run-end");
    expect(end?.type === "run-end" ? end.lost.length : 0).toBeGreaterThan(0);
    expect(c.stdout).toMatch(/session\(s\) lost: s\d+:user-\d+@kc-\d/);
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
