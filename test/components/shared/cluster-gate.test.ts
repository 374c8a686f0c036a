/** The rolling update's gate: when a replaced node counts as back in the cluster, and what it says when it is not. */
import { describe, expect, it } from "vitest";
import { awaitCluster, clusterVerdict, gateNode, NodeView } from "../../../components/shared/cluster-gate";

const ready = (id: string, clusterSize: number): NodeView => ({ id, ready: true, clusterSize });
const down = (id: string): NodeView => ({ id, ready: false });

describe("clusterVerdict", () => {
  it("is formed when every ready node reports a cluster of all the ready nodes", () => {
    expect(clusterVerdict([ready("kc-0", 3), ready("kc-1", 3), ready("kc-2", 3)], 1)).toEqual({ formed: true, size: 3 });
  });

  it("on the first up, counts the nodes created so far", () => {
    expect(clusterVerdict([ready("kc-0", 2), ready("kc-1", 2), down("kc-2")], 1)).toEqual({ formed: true, size: 2 });
    expect(clusterVerdict([ready("kc-0", 1), down("kc-1"), down("kc-2")], 0)).toEqual({ formed: true, size: 1 });
  });

  it("is not formed while the gated node is not ready, or fewer nodes than the ones before it are up", () => {
    expect(clusterVerdict([ready("kc-0", 2), down("kc-1"), ready("kc-2", 2)], 1).formed).toBe(false);
    expect(clusterVerdict([down("kc-0"), ready("kc-1", 1), down("kc-2")], 1).formed).toBe(false);
  });

  it("is not formed when a node sees another view: the replaced node alone, or the others without it", () => {
    expect(clusterVerdict([ready("kc-0", 1), ready("kc-1", 2), ready("kc-2", 2)], 0)).toEqual({
      formed: false,
      seen: "kc-0=ready, cluster size 1; kc-1=ready, cluster size 2; kc-2=ready, cluster size 2",
    });
    expect(clusterVerdict([ready("kc-0", 3), ready("kc-1", 3), { id: "kc-2", ready: true }], 2).formed).toBe(false);
  });

  it("with local caches (no cluster by design), waits for the node to be ready only", () => {
    const local = [
      { id: "kc-0", ready: true },
      { id: "kc-1", ready: true },
    ];
    expect(clusterVerdict(local, 1, false)).toEqual({ formed: true, size: 2 });
    expect(clusterVerdict([{ id: "kc-0", ready: true }, down("kc-1")], 1, false).formed).toBe(false);
  });
});

describe("awaitCluster", () => {
  const inputs = {
    index: 1,
    generation: "c1",
    nodes: [gateNode("kc-0", "http://127.0.0.1:9000"), gateNode("kc-1", "http://127.0.0.1:9001")],
    clustered: true,
    timeoutSeconds: 0,
  };

  it("reads each node's readiness and metrics URLs on its management port", () => {
    expect(inputs.nodes[1]).toEqual({
      id: "kc-1",
      readyUrl: "http://127.0.0.1:9001/health/ready",
      metricsUrl: "http://127.0.0.1:9001/metrics",
    });
  });

  it("returns the cluster size once formed", async () => {
    const out = await awaitCluster(inputs, async (node) => ready(node.id, 2));
    expect(out).toMatchObject({ clusterSize: 2, index: 1, generation: "c1" });
  });

  it("stops the update with what it saw when the node does not join in time", async () => {
    await expect(awaitCluster(inputs, async (node) => ready(node.id, 1))).rejects.toThrow(
      "kc-1 did not form one cluster with the running nodes within 0 s (kc-0=ready, cluster size 1; kc-1=ready, cluster size 1); the update stops here, before any further node is replaced",
    );
  });
});
