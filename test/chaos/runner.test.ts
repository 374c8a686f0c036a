import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planRounds } from "../../chaos/plan";
import { RestoreFile } from "../../chaos/restore";
import { RunOptions, runChaos } from "../../chaos/runner";
import { FakeDriver, FakeProbes, Recorder, fakeCluster, fakeOutputs } from "./fakes";

const options: RunOptions = {
  rounds: 3, seed: 42, fault: "kill", nodesPerFault: 1, sessions: 12, dryRun: false, allowLoss: false, inFlightPerNode: 2,
  trafficPerSecond: 5, steadyTimeoutMs: 0, restoreTimeoutMs: 0, faultTimeoutMs: 0, maxDelayMs: 0,
};

async function setup(opts: { nodes?: number; persistent?: boolean } = {}) {
  const outputs = fakeOutputs(opts.nodes ?? 3, opts.persistent === false ? { sessionMode: "volatile" } : {});
  const cluster = fakeCluster(outputs);
  const probes = new FakeProbes(outputs, cluster, opts.persistent ?? true);
  const recorder = new Recorder();
  const restoreFile = new RestoreFile(path.join(await mkdtemp(path.join(tmpdir(), "chaos-")), "restore.json"));
  const driver = new FakeDriver(cluster);
  const deps = { outputs, source: "test", probes, driverFor: () => driver, sink: recorder, restoreFile, sleep: async () => undefined };
  return { outputs, cluster, probes, recorder, restoreFile, deps };
}

// Fault verification polls until the deadline; give it one pass.
const run = (o: Partial<RunOptions>) => ({ ...options, faultTimeoutMs: 50, ...o });

describe("a run on a healthy cluster", () => {
  it("passes, restores every victim, clears the restore record and reports sessions per victim", async () => {
    const { deps, cluster, recorder, restoreFile } = await setup();
    const result = await runChaos(run({}), deps);
    expect(result).toMatchObject({ verdict: "passed", exitCode: 0, lost: [] });
    expect([...cluster.states.values()]).toEqual(["running", "running", "running"]);
    expect(await restoreFile.read()).toBeUndefined();
    const rounds = recorder.of("round-start");
    expect(rounds).toHaveLength(3);
    expect(Object.values(rounds[0].sessionsOnVictims)).toEqual([4]);
    expect(recorder.of("fault").filter((f) => f.action === "verified").every((f) => f.ok)).toBe(true);
    // Checks during the fault run on both survivors and through the load balancer.
    const during = recorder.of("check").filter((c) => c.round === 1 && c.phase === "during" && c.check === "userinfo").map((c) => c.node);
    expect(during).toHaveLength(3);
    expect(during).toContain("lb");
    expect(during).not.toContain(rounds[0].victims[0]);
  });

  it("the same seed gives the same victims", async () => {
    const a = await setup();
    const b = await setup();
    await runChaos(run({ seed: 7 }), a.deps);
    await runChaos(run({ seed: 7 }), b.deps);
    expect(a.recorder.of("round-start").map((r) => r.victims)).toEqual(b.recorder.of("round-start").map((r) => r.victims));
  });

  it("a dry run touches nothing", async () => {
    const { deps, cluster } = await setup();
    const result = await runChaos(run({ dryRun: true }), deps);
    expect(result.exitCode).toBe(0);
    expect(cluster.calls).toEqual([]);
  });
});

describe("aborts before touching anything", () => {
  it("when the nodes do not form one cluster (exit 2)", async () => {
    const { deps, cluster } = await setup();
    cluster.reportedSize = () => 1;
    const result = await runChaos(run({}), deps);
    expect(result.exitCode).toBe(2);
    expect(result.message).toBe("steady state not reached before any fault: the nodes do not form one cluster: cluster size kc-0=1, kc-1=1, kc-2=1, expected 3 on every node");
    expect(cluster.calls).toEqual([]);
  });

  it("when a previous run left a restore record", async () => {
    const { deps, cluster, restoreFile, outputs } = await setup();
    await restoreFile.write("earlier", [{ node: outputs.nodes[1], fault: "kill" }]);
    const result = await runChaos(run({}), deps);
    expect(result.exitCode).toBe(2);
    expect(result.message).toContain("a previous run left kc-1 broken");
    expect(cluster.calls).toEqual([]);
  });
});

describe("failures", () => {
  it("volatile sessions with both owners killed at once are lost and named (exit 1); the report says loss was possible", async () => {
    const { deps, recorder } = await setup({ persistent: false });
    const result = await runChaos(run({ nodesPerFault: 2, allowLoss: true, rounds: 1 }), deps);
    expect(result.exitCode).toBe(1);
    expect(result.lost.length).toBe(4);
    expect(result.message).toMatch(/^4 session\(s\) lost: s\d+/);
    expect(recorder.of("log").map((l) => l.message)).toContain("2 nodes stop at once and volatile sessions have 2 cache owners: sessions can be lost (--allow-loss)");
  });

  it("a fault that did not happen fails the run", async () => {
    const { deps, cluster } = await setup();
    cluster.noopInject = true;
    const result = await runChaos(run({ rounds: 1 }), deps);
    expect(result.exitCode).toBe(1);
    expect(result.message).toMatch(/^the fault was not injected on kc-\d/);
  });

  it("a crashing probe is an internal error, and the victims are still restored", async () => {
    const { deps, cluster } = await setup();
    cluster.failures.check = "refresh";
    const result = await runChaos(run({}), deps);
    expect(result.exitCode).toBe(3);
    expect([...cluster.states.values()].every((s) => s === "running")).toBe(true);
  });

  it("an interrupt stops the run and restores", async () => {
    const { deps, cluster, recorder } = await setup();
    const controller = new AbortController();
    const sink = { emit: (e: Parameters<Recorder["emit"]>[0]) => { recorder.emit(e); if (e.type === "fault" && e.action === "verified") controller.abort(); } };
    const result = await runChaos(run({}), { ...deps, sink, signal: controller.signal });
    expect(result).toMatchObject({ verdict: "aborted", exitCode: 2 });
    expect([...cluster.states.values()].every((s) => s === "running")).toBe(true);
  });

  it("a restore that fails keeps the restore record for --restore", async () => {
    const { deps, cluster, restoreFile } = await setup();
    cluster.failures.restore = "kc-0";
    cluster.failures.inject = undefined;
    // A seed whose first victim is kc-0.
    const seed = Array.from({ length: 100 }, (_, i) => i).find((s) => planRounds(s, ["kc-0", "kc-1", "kc-2"], 1, 1, 0)[0].victims[0] === "kc-0") ?? -1;
    const result = await runChaos(run({ rounds: 3, seed }), deps);
    expect(result.exitCode).toBe(1);
    expect(result.message).toContain("round 1: steady state not back after the restore");
    expect((await restoreFile.read())?.faults.map((f) => f.node.id)).toEqual(["kc-0"]);
    // No further round broke more nodes.
    expect(cluster.calls.filter((c) => c.startsWith("inject"))).toEqual(["inject kill kc-0"]);
  });
});

describe("properties", () => {
  it("whatever fails and wherever, every node the run stopped is running at the end or named in the restore record", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom(undefined, "userinfo", "refresh", "code-exchange", "logout-propagation"),
        fc.constantFrom(undefined, "kc-0", "kc-1"),
        fc.constantFrom<"stop" | "kill" | "pause">("stop", "kill", "pause"),
        async (nodes, seed, crash, failRestore, fault) => {
          const { deps, cluster, restoreFile } = await setup({ nodes });
          cluster.failures = { check: crash, restore: failRestore };
          await runChaos(run({ seed, rounds: 2, fault, nodesPerFault: 1 }), deps);
          const record = await restoreFile.read();
          const pendingIds = record?.faults.map((f) => f.node.id) ?? [];
          for (const [id, state] of cluster.states) {
            expect(state === "running" || pendingIds.includes(id), `${id} is ${state}`).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
