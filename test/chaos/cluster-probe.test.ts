import { describe, expect, it } from "vitest";
import { nodeHealth } from "../../chaos/probes/cluster";
import { parseClusterSize } from "../../components/keycloak/metrics";

describe("cluster size from metrics", () => {
  it("reads vendor_cluster_size with or without labels", () => {
    expect(parseClusterSize("# HELP x\nvendor_cluster_size 3.0\n")).toBe(3);
    expect(parseClusterSize('vendor_cluster_size{cache_manager="default"} 2\n')).toBe(2);
    expect(parseClusterSize("vendor_cluster_size_other 9\n")).toBeUndefined();
    expect(parseClusterSize("")).toBeUndefined();
  });

  it("reports a node that does not answer as not ready", async () => {
    const failing = async () => {
      throw new Error("connect ECONNREFUSED");
    };
    expect(await nodeHealth("http://127.0.0.1:1", 100, failing)).toEqual({ ready: false, error: "connect ECONNREFUSED" });
  });

  it("reports readiness and size of a node that answers", async () => {
    const answers = async (url: string | URL) =>
      String(url).endsWith("/metrics") ? new Response("vendor_cluster_size 3\n") : new Response('{"status":"UP"}');
    expect(await nodeHealth("http://127.0.0.1:19000", 100, answers)).toEqual({ ready: true, clusterSize: 3 });
  });
});
