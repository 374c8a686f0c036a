import { describe, expect, it } from "vitest";
import { LiveNode, NodeDriver } from "../../chaos/drivers/driver";
import { awaitSteadyState, judge } from "../../chaos/steady-state";

const node = (i: number): LiveNode => ({
  id: `kc-${i}`,
  nodeName: `kc-${i}`,
  httpUrl: `http://127.0.0.1:${18080 + i}`,
  managementUrl: `http://127.0.0.1:${19000 + i}`,
});
const three = [node(0), node(1), node(2)];
const ready = (size: number) => ({ ready: true, clusterSize: size });

describe("judging the steady state", () => {
  it("holds when every expected node is ready with the full cluster size", () => {
    expect(judge(three, [ready(3), ready(3), ready(3)], { clusterSize: 3 })).toMatchObject({ ok: true });
  });

  it("names the nodes that are not ready", () => {
    expect(judge(three, [ready(3), { ready: false }, ready(3)], { clusterSize: 3 }).message).toBe("not ready: kc-1");
  });

  it("says the nodes do not form one cluster, and why when the cache is local", () => {
    expect(judge(three, [ready(1), ready(1), ready(2)], { clusterSize: 3, cacheMode: "local" }).message).toBe(
      "the nodes do not form one cluster: cluster size kc-0=1, kc-1=1, kc-2=2, expected 3 on every node (cache mode is local: every node keeps its own caches)",
    );
  });

  it("counts the nodes the driver found", () => {
    expect(judge(three.slice(0, 2), [ready(2), ready(2)], { clusterSize: 3 }).message).toBe("2 node(s) found, expected 3");
  });
});

describe("waiting for the steady state", () => {
  it("asks the driver where the nodes are on every look, and tells the probes", async () => {
    let looks = 0;
    const seen: string[][] = [];
    const driver = { kind: "docker", nodes: async () => (++looks < 3 ? three.slice(0, 2) : three) } as unknown as NodeDriver;
    const probes = { useNodes: (nodes: readonly LiveNode[]) => void seen.push(nodes.map((n) => n.id)), health: async () => ready(3) };
    const state = await awaitSteadyState(driver, probes, { clusterSize: 3 }, 10_000, async () => undefined);
    expect(state.ok).toBe(true);
    expect(seen).toEqual([
      ["kc-0", "kc-1"],
      ["kc-0", "kc-1"],
      ["kc-0", "kc-1", "kc-2"],
    ]);
  });

  it("reports a driver that cannot list the nodes", async () => {
    const driver = {
      kind: "kubernetes",
      nodes: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:16443")),
    } as unknown as NodeDriver;
    const state = await awaitSteadyState(
      driver,
      { useNodes: () => undefined, health: async () => ready(3) },
      { clusterSize: 3 },
      0,
      async () => undefined,
    );
    expect(state).toMatchObject({
      ok: false,
      message: "the kubernetes driver cannot list the nodes: connect ECONNREFUSED 127.0.0.1:16443",
    });
  });
});
