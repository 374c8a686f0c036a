/** The kubernetes startup probe's script, run by bash against management ports on 127.0.0.1. */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { clusterProbeCommand, ProbePeer, probeTimeoutSeconds } from "../../../components/kubernetes/cluster-probe";
import { closedPort, management } from "../management-server";

function probe(
  self: string,
  peers: ProbePeer[],
  hostname = "kc-1",
  clustered = true,
  path = process.env.PATH,
): Promise<{ code: number; output: string }> {
  const [cmd, ...args] = clusterProbeCommand({ clustered, self, peers });
  return new Promise((ok) => {
    execFile(cmd, args, { env: { PATH: path, HOSTNAME: hostname }, timeout: 30_000 }, (error, stdout) =>
      ok({ code: error ? Number(error.code ?? 1) : 0, output: stdout.trim() }),
    );
  });
}

/** Pod kc-1 (started, ready, seeing `clusterSize`) among ready kc-0 and kc-2; kc-1 listed too. */
async function threePods(clusterSize: number): Promise<{ self: string; peers: ProbePeer[] }> {
  const self = await management({ started: 200, ready: 200, clusterSize });
  const peers = [
    { name: "kc-0", address: await management({ ready: 200 }) },
    { name: "kc-1", address: self },
    { name: "kc-2", address: await management({ ready: 200 }) },
  ];
  return { self, peers };
}

describe("the cluster startup probe", () => {
  it("passes when the pod's cluster holds itself and every ready peer; it skips itself among the peers", async () => {
    const { self, peers } = await threePods(3);
    expect(await probe(self, peers)).toEqual({ code: 0, output: "kc-1 is in a cluster of 3; ready peers: kc-0 kc-2" });
  });

  it("fails while the pod sees a cluster smaller than itself and its ready peers (it formed one of its own)", async () => {
    const { self, peers } = await threePods(1);
    const result = await probe(self, peers);
    expect(result).toEqual({ code: 1, output: "kc-1 sees a cluster of 1, but 2 peer(s) are ready: kc-0 kc-2; waiting to join them" });
  });

  it("counts only peers that answer ready: not ready, gone, or frozen peers are not waited for", async () => {
    const self = await management({ started: 200, clusterSize: 2 });
    const peers = [
      { name: "kc-0", address: await management({ ready: 200 }) },
      { name: "kc-2", address: await management({ ready: 503 }) },
      { name: "kc-3", address: await closedPort() },
      { name: "kc-4", address: await management({ hang: true }) },
    ];
    expect(await probe(self, peers)).toEqual({ code: 0, output: "kc-1 is in a cluster of 2; ready peers: kc-0" });
  });

  it("fails until Keycloak reports started, whatever the cluster", async () => {
    const self = await management({ started: 503, clusterSize: 1 });
    expect(await probe(self, [])).toEqual({ code: 1, output: "Keycloak not started yet (/health/started: 503)" });
    expect(await probe(await closedPort(), [])).toEqual({ code: 1, output: "Keycloak not started yet (/health/started: none)" });
  });

  it("with local caches, started is enough", async () => {
    const self = await management({ started: 200 });
    const peers = [{ name: "kc-0", address: await management({ ready: 200 }) }];
    expect(await probe(self, peers, "kc-1", false)).toEqual({ code: 0, output: "" });
    expect((await probe(self, peers, "kc-1", true)).code).toBe(1);
  });

  it("works in an image without coreutils' timeout (only bash and cat here)", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "probe-bin-"));
    for (const tool of ["bash", "cat"]) {
      symlinkSync(
        execFileSync("bash", ["-c", `command -v ${tool}`])
          .toString()
          .trim(),
        path.join(bin, tool),
      );
    }
    const self = await management({ started: 200, clusterSize: 2 });
    const peers = [{ name: "kc-0", address: await management({ ready: 200 }) }];
    expect(await probe(self, peers, "kc-1", true, bin)).toEqual({ code: 0, output: "kc-1 is in a cluster of 2; ready peers: kc-0" });
    const alone = await management({ started: 200, clusterSize: 1 });
    expect((await probe(alone, peers, "kc-1", true, bin)).code).toBe(1);
  });

  it("has time for the pod's own two requests and one per peer", () => {
    expect(probeTimeoutSeconds(3)).toBe(11);
  });
});
