import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CliDeps, main } from "../../chaos/cli";
import { lockPath } from "../../chaos/lock";
import { parseOptions, UsageError } from "../../chaos/options";
import { recordPath, RestoreFile } from "../../chaos/restore";
import { ClusterOutputs } from "../../components/shared/outputs";
import { FakeDriver, FakeProbes, fakeCluster, fakeOutputs } from "./fakes";

function capture() {
  const out: string[] = [];
  return { write: (s: string) => void out.push(s), text: () => out.join("") };
}

async function deps(overrides: Partial<ClusterOutputs> = {}, nodes = 3) {
  const outputs = fakeOutputs(nodes, overrides);
  const cluster = fakeCluster(outputs);
  const stdout = capture();
  const stderr = capture();
  const cwd = await mkdtemp(path.join(tmpdir(), "chaos-cli-"));
  const exitHandlers: (() => void)[] = [];
  const d: CliDeps = {
    stdout,
    stderr,
    env: {},
    cwd,
    loadStack: async () => outputs,
    createDriver: () => new FakeDriver(cluster, outputs),
    createProbes: (o) => new FakeProbes(o, cluster),
    health: async (node) => (cluster.states.get(node.id) === "running" ? { ready: true, clusterSize: nodes } : { ready: false }),
    sleep: async () => undefined,
    restoreWaitMs: 50,
    onExit: (handler) => {
      exitHandlers.push(handler);
      return () => exitHandlers.splice(exitHandlers.indexOf(handler), 1);
    },
  };
  const record = new RestoreFile(recordPath(path.join(cwd, ".chaos"), outputs.clusterId));
  return { d, stdout, stderr, cluster, cwd, outputs, record, exitHandlers };
}

describe("options", () => {
  it("reports every bad option at once", () => {
    expect(() => parseOptions(["--rounds", "0", "--fault", "explode", "--sessions", "x", "--stack", "a", "--outputs", "b.json"])).toThrow(
      new UsageError([
        '--fault must be one of stop, kill, pause, delete, force-delete, terminate, got "explode"',
        "--stack and --outputs exclude each other: give one",
        '--rounds must be a whole number from 1 to 100, got "0"',
        '--sessions must be a whole number from 1 to 10000, got "x"',
      ]),
    );
  });

  it("has defaults: dev stack, 3 rounds, the driver's own fault, one node per fault", () => {
    expect(parseOptions([])).toMatchObject({ stack: "dev", rounds: 3, fault: undefined, nodesPerFault: 1, sessions: 30, dryRun: false });
  });

  it("holds each fault for --hold seconds (0 by default, at most 600)", () => {
    expect(parseOptions([]).holdMs).toBe(0);
    expect(parseOptions(["--hold", "60"]).holdMs).toBe(60_000);
    expect(() => parseOptions(["--hold", "601"])).toThrow(UsageError);
  });

  it("refuses an unknown flag", () => {
    expect(() => parseOptions(["--victims", "2"])).toThrow(/Unknown option '--victims'/);
  });
});

describe("a run through the CLI", () => {
  it("uses the driver's default fault and clears the lock afterwards", async () => {
    const { d, cluster, cwd, outputs } = await deps();
    expect(await main(["--rounds", "1", "--report-dir", "r"], d)).toBe(0);
    expect(cluster.calls.filter((c) => c.startsWith("inject"))).toEqual([expect.stringMatching(/^inject kill kc-\d$/)]);
    await expect(readFile(lockPath(path.join(cwd, ".chaos"), outputs.clusterId))).rejects.toThrow(/ENOENT/);
  });

  it("leaves the journal of what it saw when the process dies mid-run", async () => {
    const { d, cwd, exitHandlers, outputs, cluster } = await deps();
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((ok) => (release = ok));
    const probes = new FakeProbes(outputs, cluster);
    probes.createSessions = async () => {
      await blocked;
      return { perNode: {}, loggedIn: 0 };
    };
    const running = main(["--rounds", "1", "--report-dir", "r"], { ...d, createProbes: () => probes });
    for (let i = 0; i < 200 && exitHandlers.length === 0; i++) {
      await new Promise((ok) => setTimeout(ok, 5));
    }
    expect(exitHandlers, "main registered no exit handler").toHaveLength(1);
    await new Promise((ok) => setTimeout(ok, 20));
    exitHandlers[0]();
    const journal = JSON.parse(await readFile(path.join(cwd, "r", "chaos-journal.json"), "utf8")) as {
      complete: boolean;
      events: { type: string }[];
    };
    expect(journal.complete).toBe(false);
    expect(journal.events.map((e) => e.type)).toContain("steady-state");
    release();
    await running;
    expect(exitHandlers).toEqual([]);
  });
});

describe("refusals before any node is touched (exit 2)", () => {
  it("bad options", async () => {
    const { d, stderr, cluster } = await deps();
    expect(await main(["--rounds", "-1"], d)).toBe(2);
    expect(stderr.text()).toContain("invalid options");
    expect(cluster.calls).toEqual([]);
  });

  it("more nodes per fault than nodes - 1", async () => {
    const { d, stderr, cluster } = await deps();
    expect(await main(["--nodes-per-fault", "3"], d)).toBe(2);
    expect(stderr.text()).toContain("--nodes-per-fault 3 would break every node of 3; at most 2 (nodes - 1)");
    expect(cluster.calls).toEqual([]);
  });

  it("as many nodes per fault as cache owners, without --allow-loss, even with persistent sessions", async () => {
    const { d, stderr } = await deps();
    expect(await main(["--nodes-per-fault", "2"], d)).toBe(2);
    expect(stderr.text()).toContain(
      "--nodes-per-fault 2: 2 nodes break at once and each distributed cache entry has 2 owners: logins in progress and unredeemed authorization codes (sessions are also in the database) can be lost. Add --allow-loss to run it anyway",
    );
  });

  it("a fault the target's driver cannot inject", async () => {
    const { d, stderr, cluster } = await deps();
    expect(await main(["--fault", "force-delete"], d)).toBe(2);
    expect(stderr.text()).toContain("--fault force-delete is not a fault the docker driver can inject; use one of: kill, stop, pause");
    expect(cluster.calls).toEqual([]);
  });

  it("a production stack without --yes", async () => {
    const { d, stderr, cluster } = await deps({ environment: "production" });
    expect(await main([], d)).toBe(2);
    expect(stderr.text()).toContain("stack dev is a production stack: add --yes to break its nodes");
    expect(cluster.calls).toEqual([]);
  });

  it("an outputs file of the wrong shape", async () => {
    const { d, stderr, cwd } = await deps();
    await writeFile(path.join(cwd, "out.json"), JSON.stringify({ schemaVersion: 2, nodes: [] }));
    expect(await main(["--outputs", "out.json"], d)).toBe(2);
    expect(stderr.text()).toContain("does not have the keycloak-cluster output shape");
    expect(stderr.text()).toContain("clientSecret");
  });

  it("an outputs file written without --show-secrets", async () => {
    const { d, stderr, cwd, outputs } = await deps();
    await writeFile(
      path.join(cwd, "out.json"),
      JSON.stringify({ ...outputs, clientSecret: "[secret]", testUsers: "[secret]", adminPassword: "[secret]" }),
    );
    expect(await main(["--outputs", "out.json"], d)).toBe(2);
    expect(stderr.text()).toContain(
      `out.json was written without --show-secrets (clientSecret, testUsers, adminPassword read "[secret]"); write it again with: pulumi stack output --json --show-secrets > FILE`,
    );
  });

  it("another run holding the cluster's lock", async () => {
    const { d, stderr, cluster, cwd, outputs } = await deps();
    const lock = lockPath(path.join(cwd, ".chaos"), outputs.clusterId);
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(
      lock,
      JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname(), what: "chaos run on stack dev", since: "earlier" }),
    );
    expect(await main([], d)).toBe(2);
    expect(stderr.text()).toContain(`another chaos run holds this cluster (chaos run on stack dev, pid ${process.pid}`);
    expect(cluster.calls).toEqual([]);
    expect(await readFile(lock, "utf8")).toContain("earlier");
  });

  it("a lock left by a process that is gone is taken over", async () => {
    const { d, cwd, outputs } = await deps();
    const lock = lockPath(path.join(cwd, ".chaos"), outputs.clusterId);
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import("node:os")).hostname() }));
    expect(await main(["--rounds", "1", "--report-dir", "r"], d)).toBe(0);
  });
});

describe("--restore", () => {
  it("restores what a killed run left broken, clears the record, and waits until every node is ready with the full size", async () => {
    const { d, cluster, outputs, stdout, record } = await deps();
    cluster.states.set("kc-1", "stopped");
    await record.write({ source: "earlier run", clusterId: outputs.clusterId, clusterSize: 3, driver: outputs.driver }, [
      { node: "kc-1", fault: "kill", ref: { container: "kc-1" } },
    ]);
    let polls = 0;
    const health: CliDeps["health"] = async () => (++polls <= 3 ? { ready: false } : { ready: true, clusterSize: 3 });
    expect(await main(["--restore"], { ...d, health, restoreWaitMs: 10_000 })).toBe(0);
    expect(cluster.states.get("kc-1")).toBe("running");
    expect(stdout.text()).toContain("restored: kc-1");
    expect(stdout.text()).toMatch(
      /steady state back after [\d.]+s: kc-0 ready, cluster size 3; kc-1 ready, cluster size 3; kc-2 ready, cluster size 3/,
    );
    expect(polls).toBeGreaterThan(3);
    expect(await record.read()).toBeUndefined();
  });

  it("says when the restored nodes do not come back", async () => {
    const { d, cluster, outputs, stderr, record } = await deps();
    cluster.states.set("kc-1", "stopped");
    await record.write({ source: "earlier run", clusterId: outputs.clusterId, clusterSize: 3, driver: outputs.driver }, [
      { node: "kc-1", fault: "kill", ref: { container: "kc-1" } },
    ]);
    expect(await main(["--restore"], { ...d, health: async () => ({ ready: false }) })).toBe(1);
    expect(stderr.text()).toMatch(/the nodes were restored, but the steady state is not back after [\d.]+s: not ready: kc-0, kc-1, kc-2/);
  });

  it("says when there is nothing to restore", async () => {
    const { d, stdout } = await deps();
    expect(await main(["--restore"], d)).toBe(0);
    expect(stdout.text()).toContain("nothing to restore");
  });

  it("a corrupt record, or a directory in its place: exit 2 with the path and what to do", async () => {
    for (const corrupt of ["truncated", "directory", "shape"] as const) {
      const { d, stderr, record } = await deps();
      await mkdir(path.dirname(record.file), { recursive: true });
      if (corrupt === "directory") {
        await mkdir(record.file);
      } else {
        await writeFile(record.file, corrupt === "truncated" ? '{"version": 2, "fau' : JSON.stringify({ version: 2, faults: "none" }));
      }
      expect(await main(["--restore"], d), corrupt).toBe(2);
      expect(stderr.text()).toContain(`the restore record ${record.file} cannot be read (`);
      expect(stderr.text()).toContain("then delete the file");
      expect(stderr.text()).not.toContain("internal error");
    }
  });
});

describe("--help", () => {
  it("documents every option and the exit codes", async () => {
    const { d, stdout } = await deps();
    expect(await main(["--help"], d)).toBe(0);
    for (const flag of [
      "--stack",
      "--outputs",
      "--rounds",
      "--seed",
      "--fault",
      "--nodes-per-fault",
      "--allow-loss",
      "--sessions",
      "--dry-run",
      "--report-dir",
      "--json",
      "--restore",
      "--yes",
    ]) {
      expect(stdout.text()).toContain(flag);
    }
    expect(stdout.text()).toContain("Exit codes: 0 passed, 1 sessions lost or checks failed, 2 aborted");
  });
});
