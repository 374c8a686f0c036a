import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CliDeps, main } from "../../chaos/cli";
import { parseOptions, UsageError } from "../../chaos/options";
import { RestoreFile } from "../../chaos/restore";
import { FakeDriver, fakeCluster, fakeOutputs } from "./fakes";

function capture() {
  const out: string[] = [];
  return { write: (s: string) => void out.push(s), text: () => out.join("") };
}

async function deps(overrides: Partial<Parameters<typeof fakeOutputs>[1]> = {}, nodes = 3) {
  const outputs = fakeOutputs(nodes, overrides);
  const cluster = fakeCluster(outputs);
  const stdout = capture();
  const stderr = capture();
  const cwd = await mkdtemp(path.join(tmpdir(), "chaos-cli-"));
  const d: CliDeps = { stdout, stderr, env: {}, cwd, loadStack: async () => outputs, driverFor: () => new FakeDriver(cluster) };
  return { d, stdout, stderr, cluster, cwd, outputs };
}

describe("options", () => {
  it("reports every bad option at once", () => {
    expect(() => parseOptions(["--rounds", "0", "--fault", "explode", "--sessions", "x", "--stack", "a", "--outputs", "b.json"])).toThrow(
      new UsageError([
        '--fault must be one of stop, kill, pause, got "explode"',
        "--stack and --outputs exclude each other: give one",
        '--rounds must be a whole number from 1 to 100, got "0"',
        '--sessions must be a whole number from 1 to 10000, got "x"',
      ]),
    );
  });

  it("has defaults: dev stack, 3 rounds, kill, one node per fault", () => {
    expect(parseOptions([])).toMatchObject({ stack: "dev", rounds: 3, fault: "kill", nodesPerFault: 1, sessions: 30, dryRun: false });
  });

  it("refuses an unknown flag", () => {
    expect(() => parseOptions(["--victims", "2"])).toThrow(/Unknown option '--victims'/);
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
    expect(stderr.text()).toContain("--nodes-per-fault 3 would stop every node of 3; at most 2 (nodes - 1)");
    expect(cluster.calls).toEqual([]);
  });

  it("as many volatile owners as nodes per fault, without --allow-loss", async () => {
    const { d, stderr } = await deps({ sessionMode: "volatile" });
    expect(await main(["--nodes-per-fault", "2"], d)).toBe(2);
    expect(stderr.text()).toContain("Add --allow-loss to run it anyway");
  });

  it("a production stack without --yes", async () => {
    const { d, stderr, cluster } = await deps({ environment: "production" });
    expect(await main([], d)).toBe(2);
    expect(stderr.text()).toContain("stack dev is a production stack: add --yes to break its nodes");
    expect(cluster.calls).toEqual([]);
  });

  it("an outputs file of the wrong shape", async () => {
    const { d, stderr, cwd } = await deps();
    await writeFile(path.join(cwd, "out.json"), JSON.stringify({ schemaVersion: 1, nodes: [] }));
    expect(await main(["--outputs", "out.json"], d)).toBe(2);
    expect(stderr.text()).toContain("does not have the keycloak-cluster output shape");
    expect(stderr.text()).toContain("clientSecret");
  });
});

describe("--restore", () => {
  it("restores what a killed run left broken and clears the record", async () => {
    const { d, cluster, cwd, outputs, stdout } = await deps();
    cluster.states.set("kc-1", "stopped");
    const file = new RestoreFile(path.join(cwd, ".chaos/restore-dev.json"));
    await file.write("earlier run", [{ node: outputs.nodes[1], fault: "kill" }]);
    expect(await main(["--restore"], d)).toBe(0);
    expect(cluster.states.get("kc-1")).toBe("running");
    expect(stdout.text()).toContain("restored: kc-1");
    expect(await file.read()).toBeUndefined();
  });

  it("says when there is nothing to restore", async () => {
    const { d, stdout } = await deps();
    expect(await main(["--restore"], d)).toBe(0);
    expect(stdout.text()).toContain("nothing to restore");
  });
});

describe("--help", () => {
  it("documents every option and the exit codes", async () => {
    const { d, stdout } = await deps();
    expect(await main(["--help"], d)).toBe(0);
    for (const flag of ["--stack", "--outputs", "--rounds", "--seed", "--fault", "--nodes-per-fault", "--allow-loss", "--sessions", "--dry-run", "--report-dir", "--json", "--restore", "--yes"]) {
      expect(stdout.text()).toContain(flag);
    }
    expect(stdout.text()).toContain("Exit codes: 0 passed, 1 sessions lost or checks failed, 2 aborted");
  });
});
