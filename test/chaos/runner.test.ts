import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CheckName } from "../../chaos/events";
import { runChaos } from "../../chaos/runner";
import { Recorder } from "./fakes";
import { run, seedFor, setup } from "./runner-harness";

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
    expect(
      recorder
        .of("fault")
        .filter((f) => f.action === "verified")
        .every((f) => f.ok),
    ).toBe(true);
  });

  it("checks userinfo, refresh and the SSO cookie on EVERY survivor and through the load balancer, never on the victim", async () => {
    const { deps, probes, recorder } = await setup({ nodes: 4 });
    await runChaos(run({ rounds: 2 }), deps);
    const during = recorder.of("check").filter((c) => c.phase === "during");
    for (const start of recorder.of("round-start")) {
      const survivors = ["kc-0", "kc-1", "kc-2", "kc-3"].filter((id) => !start.victims.includes(id));
      for (const check of ["userinfo", "refresh", "sso-cookie"]) {
        const routes = during.filter((c) => c.round === start.round && c.check === check).map((c) => c.node);
        expect(routes.sort(), `${check} in round ${start.round}`).toEqual([...survivors, "lb"].sort());
      }
    }
    expect(probes.ran.length).toBeGreaterThan(0);
  });

  it("what the probes note lands in the journal as a warning, right after the step that saw it, and the run still passes", async () => {
    const { deps, probes, recorder } = await setup();
    probes.notes.push("login of user-1@lb: refused once");
    const check = probes.check.bind(probes);
    probes.check = async (name: CheckName, route: string) => {
      if (name === "login-in-progress") {
        probes.notes.push(`${name}@${route}: refused once`);
      }
      return check(name, route);
    };
    const result = await runChaos(run({ rounds: 1 }), deps);
    expect(result.verdict).toBe("passed");
    const seen = recorder.events.flatMap((e, i) =>
      e.type === "log" ? [{ message: e.message, level: e.level, after: recorder.events[i - 1] }] : [],
    );
    expect(seen.map((s) => [s.level, s.message])).toEqual([
      ["warn", "login of user-1@lb: refused once"],
      ["warn", expect.stringMatching(/^login-in-progress@kc-\d: refused once$/)],
    ]);
    expect(seen[0].after).toMatchObject({ type: "steady-state", phase: "before" });
    expect(seen[1].after).toMatchObject({ type: "check", check: "login-in-progress" });
  });

  it("writes the restore record naming the victim BEFORE the fault is injected", async () => {
    const { deps, cluster, restoreFile } = await setup();
    const seen: (string[] | undefined)[] = [];
    cluster.onInject = async () => {
      seen.push((await restoreFile.read())?.faults.map((f) => f.node));
    };
    await runChaos(run({ rounds: 2 }), deps);
    const victims = cluster.calls.filter((c) => c.startsWith("inject")).map((c) => c.split(" ")[2]);
    expect(seen).toEqual(victims.map((v) => [v]));
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
    expect(result.message).toBe(
      "steady state not reached before any fault: the nodes do not form one cluster: cluster size kc-0=1, kc-1=1, kc-2=1, expected 3 on every node",
    );
    expect(cluster.calls).toEqual([]);
  });

  it("when a previous run left a restore record", async () => {
    const { deps, cluster, restoreFile, outputs } = await setup();
    await restoreFile.write({ source: "earlier", clusterId: outputs.clusterId, clusterSize: 3, driver: outputs.driver }, [
      { node: "kc-1", fault: "kill", ref: { container: "kc-1" } },
    ]);
    const result = await runChaos(run({}), deps);
    expect(result.exitCode).toBe(2);
    expect(result.message).toContain("a previous run left kc-1 broken");
    expect(cluster.calls).toEqual([]);
  });

  it("when the restore record is corrupt: exit 2 naming the file and what to do", async () => {
    const { deps, cluster, restoreFile } = await setup();
    await writeFile(restoreFile.file, '{"version": 2, "faults": [');
    const result = await runChaos(run({}), deps);
    expect(result.exitCode).toBe(2);
    expect(result.message).toBe(
      `the restore record ${restoreFile.file} cannot be read (it is not valid JSON, perhaps cut short). If a chaos run left nodes broken, bring them back by hand (or with pulumi up), then delete the file; if nothing is broken, just delete it`,
    );
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
    expect(recorder.of("log").map((l) => l.message)).toContain(
      "2 nodes break at once and each distributed cache entry has 2 owners: sessions, logins in progress and unredeemed authorization codes can be lost (--allow-loss)",
    );
  });

  it("persistent sessions with as many nodes broken as owners: the report warns that logins in progress can be lost", async () => {
    const { deps, recorder } = await setup();
    await runChaos(run({ nodesPerFault: 2, allowLoss: true, rounds: 1 }), deps);
    expect(recorder.of("log").map((l) => l.message)).toContain(
      "2 nodes break at once and each distributed cache entry has 2 owners: logins in progress and unredeemed authorization codes (sessions are also in the database) can be lost (--allow-loss)",
    );
  });

  it("a session refused by some survivors only is a failed check, not a lost session", async () => {
    const { deps, probes } = await setup();
    probes.refuse = (check, route, session) => check === "userinfo" && route === "kc-0" && session === "s0";
    const result = await runChaos(run({ rounds: 1, seed: seedFor(["kc-2"]) }), deps);
    expect(result.lost).toEqual([]);
    expect(result).toMatchObject({ verdict: "failed", message: "userinfo failed on kc-0 in round 1 (1 of 12)" });
  });

  it("a session refused by every survivor and the load balancer is lost", async () => {
    const { deps, probes } = await setup();
    probes.refuse = (check, _route, session) => check === "userinfo" && session === "s0";
    const result = await runChaos(run({ rounds: 1, seed: seedFor(["kc-2"]) }), deps);
    expect(result.lost).toEqual(["s0"]);
  });

  it("a session a survivor still served right after the fault, but that no node knows after the restore, is lost", async () => {
    const { deps, probes } = await setup();
    let servedOnce = false;
    probes.refuse = (check, _route, session) => {
      if (check !== "userinfo" || session !== "s0") {
        return false;
      }
      // The first userinfo check (the first survivor, right after the fault) still answers 200.
      const refused = servedOnce;
      servedOnce = true;
      return refused;
    };
    const result = await runChaos(run({ rounds: 1, seed: seedFor(["kc-2"]) }), deps);
    expect(result.lost).toEqual(["s0"]);
    expect(result.message).toBe("1 session(s) lost: s0");
  });

  it("a fault that did not happen fails the run", async () => {
    const { deps, cluster } = await setup();
    cluster.noopInject = true;
    const result = await runChaos(run({ rounds: 1 }), deps);
    expect(result.exitCode).toBe(1);
    expect(result.message).toMatch(/^the fault was not injected on kc-\d/);
  });

  it("several injects: one refused, another still in flight: every inject settles before any restore, and all are restored", async () => {
    const { deps, cluster } = await setup({ nodes: 4 });
    const [first, second] = ["kc-1", "kc-3"];
    cluster.failures.inject = first;
    cluster.onInject = async (target) => {
      if (target.node === second) {
        await new Promise((ok) => setTimeout(ok, 30));
        cluster.calls.push(`injected ${second}`);
      }
    };
    const result = await runChaos(
      run({ rounds: 1, nodesPerFault: 2, allowLoss: true, seed: seedFor([first, second], ["kc-0", "kc-1", "kc-2", "kc-3"]) }),
      deps,
    );
    expect(result.message).toBe(`could not kill ${first}: inject failed on ${first}`);
    const firstRestore = cluster.calls.findIndex((c) => c.startsWith("restore"));
    expect(cluster.calls.indexOf(`injected ${second}`)).toBeLessThan(firstRestore);
    expect([...cluster.states.values()].every((s) => s === "running")).toBe(true);
  });

  it("restores before summing up the traffic, even when that throws", async () => {
    const { deps, cluster, probes, recorder } = await setup();
    probes.trafficFails = true;
    let trafficStoppedAtRestore = -1;
    cluster.onRestore = () => {
      trafficStoppedAtRestore = probes.trafficStopped;
    };
    const result = await runChaos(run({ rounds: 1 }), deps);
    expect(trafficStoppedAtRestore).toBe(0);
    expect(probes.trafficStopped).toBe(1);
    expect([...cluster.states.values()].every((s) => s === "running")).toBe(true);
    expect(result.verdict).toBe("passed");
    expect(recorder.of("log").some((l) => l.message.includes("traffic through the load balancer could not be summed up"))).toBe(true);
  });

  it("a reporter that throws does not keep a node down", async () => {
    const { deps, cluster } = await setup();
    const sink = {
      emit: (e: { type: string; action?: string }) => {
        if (e.type === "fault" && e.action === "restore") {
          throw new Error("reporter broke");
        }
      },
    };
    await runChaos(run({ rounds: 1 }), { ...deps, sink });
    expect([...cluster.states.values()].every((s) => s === "running")).toBe(true);
  });

  it("a crashing probe is an internal error, and the victims are still restored", async () => {
    const { deps, cluster } = await setup();
    cluster.failures.check = "refresh";
    const result = await runChaos(run({}), deps);
    expect(result.exitCode).toBe(3);
    expect(result.message).toBe("probe refresh crashed; every node the run broke was restored");
    expect([...cluster.states.values()].every((s) => s === "running")).toBe(true);
  });

  it("an interrupt mid-round stops at the next step: no further check runs, every victim is restored, the record is cleared", async () => {
    const { deps, cluster, recorder, restoreFile } = await setup();
    const controller = new AbortController();
    let checksAtAbort = -1;
    const sink = {
      emit: (e: Parameters<Recorder["emit"]>[0]) => {
        recorder.emit(e);
        if (e.type === "fault" && e.action === "verified") {
          checksAtAbort = recorder.of("check").length;
          controller.abort();
        }
      },
    };
    const result = await runChaos(run({}), { ...deps, sink, signal: controller.signal });
    expect(result).toMatchObject({ verdict: "aborted", exitCode: 2, message: "interrupted; every node the run broke was restored" });
    // The fault-injected check is emitted with the verification; nothing after it.
    expect(recorder.of("check").length).toBe(checksAtAbort + 1);
    expect(recorder.of("round-start")).toHaveLength(1);
    expect([...cluster.states.values()].every((s) => s === "running")).toBe(true);
    expect(await restoreFile.read()).toBeUndefined();
  });

  it("an interrupt whose restore fails says so and keeps the record", async () => {
    const { deps, cluster, restoreFile } = await setup();
    const controller = new AbortController();
    cluster.failures.restore = "kc-0";
    cluster.onInject = () => controller.abort();
    const result = await runChaos(run({ seed: seedFor(["kc-0"]) }), { ...deps, signal: controller.signal });
    expect(result.verdict).toBe("aborted");
    expect(result.message).toBe(
      `interrupted; NOT restored: kc-0 (restore failed on kc-0); the restore record ${restoreFile.file} names them: run npm run chaos -- --restore`,
    );
    expect((await restoreFile.read())?.faults.map((f) => f.node)).toEqual(["kc-0"]);
  });

  it("a restore that fails keeps the restore record for --restore, and no further round breaks more nodes", async () => {
    const { deps, cluster, restoreFile } = await setup();
    cluster.failures.restore = "kc-0";
    const result = await runChaos(run({ rounds: 3, seed: seedFor(["kc-0"]) }), deps);
    expect(result.exitCode).toBe(1);
    expect(result.message).toBe("round 1: could not restore kc-0; run npm run chaos -- --restore");
    expect((await restoreFile.read())?.faults.map((f) => f.node)).toEqual(["kc-0"]);
    expect(cluster.calls.filter((c) => c.startsWith("inject"))).toEqual(["inject kill kc-0"]);
  });
});

describe("properties", () => {
  it("whatever fails and wherever, every node the run broke is running at the end or named in the restore record", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom(undefined, "userinfo", "refresh", "code-exchange", "logout-propagation"),
        fc.constantFrom(undefined, "kc-0", "kc-1"),
        fc.constantFrom(undefined, "kc-0", "kc-1"),
        fc.constantFrom<"stop" | "kill" | "pause">("stop", "kill", "pause"),
        async (nodes, seed, crash, failRestore, failInject, fault) => {
          const { deps, cluster, restoreFile } = await setup({ nodes });
          cluster.failures = { check: crash, restore: failRestore, inject: failInject };
          await runChaos(run({ seed, rounds: 2, fault, nodesPerFault: 1 }), deps);
          const pendingIds = (await restoreFile.read())?.faults.map((f) => f.node) ?? [];
          for (const [id, state] of cluster.states) {
            expect(state === "running" || pendingIds.includes(id), `${id} is ${state}`).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
