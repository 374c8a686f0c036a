/** What a node's management port says about the cluster: readiness and cluster size. */
import { parseClusterSize } from "../../components/keycloak/metrics";
import { FetchLike } from "../oidc/routing";

export interface NodeHealth {
  readonly ready: boolean;
  /** `vendor_cluster_size` from /metrics; undefined when the node did not answer. */
  readonly clusterSize?: number;
  readonly error?: string;
}

export async function nodeHealth(managementUrl: string, timeoutMs = 5000, fetchImpl: FetchLike = fetch): Promise<NodeHealth> {
  try {
    const ready = await fetchImpl(`${managementUrl}/health/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    await ready.arrayBuffer();
    const metrics = await fetchImpl(`${managementUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    const clusterSize = metrics.ok ? parseClusterSize(await metrics.text()) : undefined;
    return { ready: ready.status === 200, clusterSize };
  } catch (error) {
    return { ready: false, error: error instanceof Error ? error.message : String(error) };
  }
}
