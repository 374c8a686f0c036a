/** The runner's failover reporting: the stack's settings, --hold and each round's failover window. */
import { describe, expect, it } from "vitest";
import { runChaos } from "../../chaos/runner";
import { ids3, run, setup } from "./runner-harness";

describe("failover in a run", () => {
  it("names the stack's failover settings at the start, and says nothing of them for a stack without them", async () => {
    const settings = {
      cacheStack: "jdbc-ping",
      cacheConfigFile: null,
      clusterTls: true,
      healthCheck: { intervalSeconds: 5, timeoutSeconds: 2, fall: 2 },
      safeRetryAfterSeconds: null,
    };
    const tuned = await setup();
    await runChaos(run({ rounds: 1 }), { ...tuned.deps, outputs: { ...tuned.outputs, failoverSettings: settings } });
    expect(tuned.recorder.of("run-start")[0].config.failoverSettings).toEqual(settings);
    const old = await setup();
    await runChaos(run({ rounds: 1 }), old.deps);
    expect(old.recorder.of("run-start")[0].config).not.toHaveProperty("failoverSettings");
  });

  it("--hold keeps the fault after the checks until the hold has passed since it was verified, then restores", async () => {
    const { deps, recorder } = await setup();
    const slept: number[] = [];
    const result = await runChaos(run({ rounds: 1, holdMs: 60_000 }), {
      ...deps,
      sleep: async (ms: number) => {
        slept.push(ms);
      },
    });
    expect(result.verdict).toBe("passed");
    const held = slept.filter((ms) => ms > 50_000 && ms <= 60_000);
    expect(held).toHaveLength(1);
    const events = recorder.events.map((e) => (e.type === "log" ? `log:${e.message}` : e.type === "fault" ? `fault:${e.action}` : e.type));
    const holding = events.findIndex((e) => e.startsWith("log:round 1: holding the fault"));
    const restore = events.indexOf("fault:restore");
    // After the last check of the fault, before the restore.
    expect(events.lastIndexOf("check", restore)).toBeLessThan(holding);
    expect(holding).toBeLessThan(restore);
    const none = await setup();
    await runChaos(run({ rounds: 1 }), none.deps);
    expect(none.recorder.events.some((e) => e.type === "log" && e.message.includes("holding"))).toBe(false);
  });

  it("after each verified fault: the failover window from the round's own checks and traffic, after the traffic event", async () => {
    const { deps, probes, recorder } = await setup();
    let clock = Date.parse("2026-01-01T00:00:00.000Z");
    const now = () => new Date((clock += 100));
    probes.trafficStats = { ...probes.trafficStats, errors: 1, lastErrorAt: "2026-01-01T00:10:00.000Z" };
    await runChaos(run({ rounds: 1 }), { ...deps, now });
    const types = recorder.events.map((e) => e.type);
    expect(types.indexOf("failover")).toBe(types.indexOf("traffic") + 1);
    const [failover] = recorder.of("failover");
    const inject = recorder.of("fault").find((f) => f.action === "inject");
    expect(inject).toBeDefined();
    expect(Date.parse(failover.faultAt)).toBeLessThanOrEqual(Date.parse(inject?.at ?? ""));
    expect(failover.lastFailedRequestMs).toBe(Date.parse("2026-01-01T00:10:00.000Z") - Date.parse(failover.faultAt));
    const survivors = ids3.filter((id) => !recorder.of("round-start")[0].victims.includes(id));
    expect(Object.keys(failover.firstCleanCheckMs).sort()).toEqual([...survivors, "lb"].sort());
    // The first survivor's first check passed: its window ends when that check was reported (one clock tick later at most).
    const firstCheck = recorder.of("check").find((c) => c.phase === "during" && c.node === survivors[0] && c.check === "userinfo");
    const reported = Date.parse(firstCheck?.at ?? "") - Date.parse(failover.faultAt);
    expect(failover.firstCleanCheckMs[survivors[0]]).toBeGreaterThanOrEqual(reported);
    expect(failover.firstCleanCheckMs[survivors[0]]).toBeLessThanOrEqual(reported + 100);
  });

  it("no failover window for a round whose fault was never verified", async () => {
    const { deps, cluster, recorder } = await setup();
    cluster.noopInject = true;
    const result = await runChaos(run({ rounds: 1 }), deps);
    expect(result.verdict).toBe("failed");
    expect(recorder.of("failover")).toHaveLength(0);
  });
});
