/** The steady state: the expected number of nodes, every one ready and reporting the full cluster size. */
import { CacheMode } from "../components/keycloak/model";
import { LiveNode, NodeDriver } from "./drivers/driver";
import { NodeHealth } from "./probes/cluster";
import { ClusterProbes } from "./probes/probes";
import { describeError } from "./pool";

export interface SteadyState {
  readonly ok: boolean;
  readonly nodes: { readonly id: string; readonly ready: boolean; readonly clusterSize?: number }[];
  readonly message?: string;
  /** The nodes as the driver found them. */
  readonly live: readonly LiveNode[];
}

export interface Expected {
  readonly clusterSize: number;
  /** Named in the message when it explains a split cluster. */
  readonly cacheMode?: CacheMode;
}

/** What the steady state needs of the probes. */
export type HealthProbes = Pick<ClusterProbes, "useNodes" | "health">;

export function judge(live: readonly LiveNode[], health: readonly NodeHealth[], expected: Expected): SteadyState {
  const nodes = live.map((n, i) => ({ id: n.id, ready: health[i].ready, clusterSize: health[i].clusterSize }));
  if (live.length !== expected.clusterSize) {
    return { ok: false, nodes, live, message: `${live.length} node(s) found, expected ${expected.clusterSize}` };
  }
  const notReady = nodes.filter((n) => !n.ready).map((n) => n.id);
  if (notReady.length) {
    return { ok: false, nodes, live, message: `not ready: ${notReady.join(", ")}` };
  }
  if (nodes.some((n) => n.clusterSize !== expected.clusterSize)) {
    const sizes = nodes.map((n) => `${n.id}=${n.clusterSize ?? "none"}`).join(", ");
    const local = expected.cacheMode === CacheMode.Local ? " (cache mode is local: every node keeps its own caches)" : "";
    return {
      ok: false,
      nodes,
      live,
      message: `the nodes do not form one cluster: cluster size ${sizes}, expected ${expected.clusterSize} on every node${local}`,
    };
  }
  return { ok: true, nodes, live };
}

/** One look: where the driver says the nodes are, and what each one's management port says. */
export async function observeSteadyState(driver: NodeDriver, probes: HealthProbes, expected: Expected): Promise<SteadyState> {
  let live: LiveNode[];
  try {
    live = await driver.nodes();
  } catch (error) {
    return { ok: false, nodes: [], live: [], message: `the ${driver.kind} driver cannot list the nodes: ${describeError(error)}` };
  }
  probes.useNodes(live);
  return judge(live, await Promise.all(live.map((n) => probes.health(n))), expected);
}

/** Polls until steady or the time is up; returns the last judgement. */
export async function awaitSteadyState(
  driver: NodeDriver,
  probes: HealthProbes,
  expected: Expected,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
  intervalMs = 2000,
): Promise<SteadyState> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const state = await observeSteadyState(driver, probes, expected);
    if (state.ok || performance.now() >= deadline) {
      return state;
    }
    await sleep(intervalMs);
  }
}
