/** What Keycloak's management port says about the cluster. */

/** Reads the cluster size Infinispan reports (`vendor_cluster_size`) from Prometheus text. */
export function parseClusterSize(metrics: string): number | undefined {
  const line = metrics.split("\n").find((l) => /^vendor_cluster_size(\{[^}]*\})?\s/.test(l));
  if (!line) {
    return undefined;
  }
  const value = Number(line.trim().split(/\s+/).pop());
  return Number.isFinite(value) ? value : undefined;
}
