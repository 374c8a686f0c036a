/**
 * A rolling update's gate: after a node is created or replaced, `pulumi up` waits here until
 * every running node is ready and reports the same cluster, of every running node, before the
 * next node may go. A node that does not join stops the update with the sizes it saw, so the
 * nodes not yet replaced keep serving. A dynamic resource: it reads the nodes' management ports
 * from where `pulumi up` runs.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseClusterSize } from "../keycloak/metrics";
import { HealthPaths } from "../keycloak/settings";

export interface GateNode {
  readonly id: string;
  /** The node's readiness and metrics URLs on its management port. */
  readonly readyUrl: string;
  readonly metricsUrl: string;
}

/** A node's gate URLs from its management URL, e.g. http://127.0.0.1:9000. */
export function gateNode(id: string, managementUrl: string): GateNode {
  return { id, readyUrl: `${managementUrl}${HealthPaths.ready}`, metricsUrl: `${managementUrl}${HealthPaths.metrics}` };
}

export interface ClusterGateArgs {
  /** The node this gate follows: its position among `nodes`. */
  readonly index: number;
  /** Changes when the node is replaced (its container or pod id): the gate then waits again. */
  readonly generation: pulumi.Input<string>;
  /** Every node of the cluster, running or not yet created. */
  readonly nodes: readonly GateNode[];
  /** False for local caches (cache mode local): then ready is enough, there is no cluster to wait for. */
  readonly clustered: boolean;
  readonly timeoutSeconds: number;
}

/** What one node's management port answered. */
export interface NodeView {
  readonly id: string;
  readonly ready: boolean;
  readonly clusterSize?: number;
}

export type Verdict = { readonly formed: true; readonly size: number } | { readonly formed: false; readonly seen: string };

/**
 * Formed when the gated node is ready and every ready node reports a cluster of all the ready
 * nodes, and at least `index + 1` of them are ready (the nodes before it exist by then). With
 * `clustered` false, the node being ready is enough.
 */
export function clusterVerdict(views: readonly NodeView[], index: number, clustered = true): Verdict {
  const ready = views.filter((v) => v.ready);
  const seen = views.map((v) => `${v.id}=${v.ready ? `ready, cluster size ${v.clusterSize ?? "?"}` : "not ready"}`).join("; ");
  const formed =
    views[index]?.ready === true && (!clustered || (ready.length >= index + 1 && ready.every((v) => v.clusterSize === ready.length)));
  return formed ? { formed: true, size: ready.length } : { formed: false, seen };
}

interface GateInputs {
  readonly index: number;
  readonly generation: string;
  readonly nodes: readonly GateNode[];
  readonly clustered: boolean;
  readonly timeoutSeconds: number;
}

interface GateOutputs extends GateInputs {
  readonly clusterSize: number;
  readonly waitedSeconds: number;
}

async function view(node: GateNode): Promise<NodeView> {
  try {
    const ready = await fetch(node.readyUrl, { signal: AbortSignal.timeout(3000) });
    await ready.arrayBuffer();
    const metrics = await fetch(node.metricsUrl, { signal: AbortSignal.timeout(3000) });
    const clusterSize = metrics.ok ? parseClusterSize(await metrics.text()) : undefined;
    return { id: node.id, ready: ready.status === 200, clusterSize };
  } catch {
    return { id: node.id, ready: false };
  }
}

/** Polls every 2 s until the cluster is formed; throws with what it saw when the time is up. */
export async function awaitCluster(inputs: GateInputs, look: (node: GateNode) => Promise<NodeView> = view): Promise<GateOutputs> {
  const started = Date.now();
  const deadline = started + inputs.timeoutSeconds * 1000;
  for (;;) {
    const verdict = clusterVerdict(await Promise.all(inputs.nodes.map(look)), inputs.index, inputs.clustered);
    if (verdict.formed) {
      return { ...inputs, clusterSize: verdict.size, waitedSeconds: Math.round((Date.now() - started) / 1000) };
    }
    if (Date.now() >= deadline) {
      const node = inputs.nodes[inputs.index]?.id ?? `node ${inputs.index}`;
      throw new Error(
        `${node} did not ${inputs.clustered ? "form one cluster with the running nodes" : "become ready"} within ${inputs.timeoutSeconds} s (${verdict.seen}); ` +
          `the update stops here, before any further node is replaced: see the node's log for the JGroups view`,
      );
    }
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

const provider: pulumi.dynamic.ResourceProvider<GateInputs, GateOutputs> = {
  async create(inputs) {
    return { id: `gate-${inputs.index}`, outs: await awaitCluster(inputs) };
  },
  async update(_id, _olds, news) {
    return { outs: await awaitCluster(news) };
  },
  async diff(_id, olds, news) {
    const changes =
      olds.generation !== news.generation || olds.clustered !== news.clustered || JSON.stringify(olds.nodes) !== JSON.stringify(news.nodes);
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
};

export class ClusterGate extends pulumi.dynamic.Resource {
  declare public readonly clusterSize: pulumi.Output<number>;

  constructor(name: string, args: ClusterGateArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, clusterSize: undefined, waitedSeconds: undefined }, opts, "keycloak-cluster", "ClusterGate");
  }
}
