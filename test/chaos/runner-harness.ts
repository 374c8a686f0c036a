/** The runner's tests' shared setup: options, fakes and seeds. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { planRounds } from "../../chaos/plan";
import { RestoreFile } from "../../chaos/restore";
import { RunOptions } from "../../chaos/runner";
import { FakeDriver, FakeProbes, Recorder, fakeCluster, fakeOutputs } from "./fakes";

export const options: RunOptions = {
  rounds: 3,
  seed: 42,
  fault: "kill",
  nodesPerFault: 1,
  sessions: 12,
  dryRun: false,
  allowLoss: false,
  inFlightPerNode: 2,
  trafficPerSecond: 5,
  holdMs: 0,
  steadyTimeoutMs: 0,
  restoreTimeoutMs: 1000,
  faultTimeoutMs: 50,
  maxDelayMs: 0,
};

export async function setup(opts: { nodes?: number; persistent?: boolean } = {}) {
  const outputs = fakeOutputs(opts.nodes ?? 3, opts.persistent === false ? { sessionMode: "volatile" } : {});
  const cluster = fakeCluster(outputs);
  const probes = new FakeProbes(outputs, cluster, opts.persistent ?? true);
  const recorder = new Recorder();
  const restoreFile = new RestoreFile(path.join(await mkdtemp(path.join(tmpdir(), "chaos-")), "restore.json"));
  const driver = new FakeDriver(cluster, outputs);
  const deps = { outputs, source: "test", probes, driver, sink: recorder, restoreFile, sleep: async () => undefined };
  return { outputs, cluster, probes, recorder, restoreFile, deps };
}

export const run = (o: Partial<RunOptions>): RunOptions => ({ ...options, ...o });
export const ids3 = ["kc-0", "kc-1", "kc-2"];
/** A seed whose first round's victims are exactly `victims`. */
export const seedFor = (victims: string[], nodes = ids3) =>
  Array.from({ length: 500 }, (_, i) => i).find((s) => planRounds(s, nodes, 1, victims.length, 0)[0].victims.join() === victims.join()) ??
  -1;
