/** The steady state: every node ready and reporting the full cluster size. */
import { ClusterOutputs } from "../components/shared/outputs";
import { NodeHealth } from "./probes/cluster";
import { ClusterProbes } from "./probes/probes";

export interface SteadyState {
  readonly ok: boolean;
  readonly nodes: { readonly id: string; readonly ready: boolean; readonly clusterSize?: number }[];
  readonly message?: string;
}

export function judge(outputs: ClusterOutputs, health: readonly NodeHealth[]): SteadyState {
  const nodes = outputs.nodes.map((n, i) => ({ id: n.id, ready: health[i].ready, clusterSize: health[i].clusterSize }));
  const notReady = nodes.filter((n) => !n.ready).map((n) => n.id);
  if (notReady.length) {
    return { ok: false, nodes, message: `not ready: ${notReady.join(", ")}` };
  }
  if (nodes.some((n) => n.clusterSize !== outputs.clusterSize)) {
    const sizes = nodes.map((n) => `${n.id}=${n.clusterSize ?? "none"}`).join(", ");
    const local = outputs.cacheMode === "local" ? " (cache mode is local: every node keeps its own caches)" : "";
    return { ok: false, nodes, message: `the nodes do not form one cluster: cluster size ${sizes}, expected ${outputs.clusterSize} on every node${local}` };
  }
  return { ok: true, nodes };
}

/** Polls until steady or the time is up; returns the last judgement. */
export async function awaitSteadyState(
  outputs: ClusterOutputs,
  probes: ClusterProbes,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
  intervalMs = 2000,
): Promise<SteadyState> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const state = judge(outputs, await Promise.all(outputs.nodes.map((n) => probes.health(n.id))));
    if (state.ok || performance.now() >= deadline) {
      return state;
    }
    await sleep(intervalMs);
  }
}
