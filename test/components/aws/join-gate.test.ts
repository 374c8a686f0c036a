/**
 * The aws cluster gate's lines, run by bash as the user data runs them (set -euo pipefail), with
 * curl against management ports on 127.0.0.1 and a stand-in `aws` CLI that answers from files
 * and records what it was asked.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { heartbeatTimeoutSeconds, joinGateLines, LifecycleHookName } from "../../../components/aws/join-gate";
import { closedPort, management } from "../management-server";

const TargetGroup = "arn:aws:elbv2:eu-west-1:123456789012:targetgroup/kc-nodes/0f";

/** The stand-in CLI: healthy targets from $DIR/healthy (or failing without it), completion recorded in $DIR/completed. */
const FakeAws = `#!/bin/bash
echo "$*" >>"$DIR/calls"
case "$1 $2" in
  "autoscaling describe-auto-scaling-instances") echo kc-nodes-20261201 ;;
  "elbv2 describe-target-health") [[ -f $DIR/healthy ]] || { echo "AccessDenied" >&2; exit 254; }; cat "$DIR/healthy" ;;
  "autoscaling complete-lifecycle-action") echo "$*" >>"$DIR/completed"; [[ ! -f $DIR/no-action ]] || { echo "No active Lifecycle Action found" >&2; exit 254; } ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;

interface Gate {
  code: number;
  output: string;
  completed: string;
  calls: string;
}

/** Runs the gate for instance i-self against `self` (host:port) with the given healthy targets (tab-separated, as the CLI prints them). */
function gate(
  self: string,
  healthy: string[] | undefined,
  opts: { clustered?: boolean; timeoutSeconds?: number; noAction?: boolean; during?: (dir: string) => void } = {},
): Promise<Gate> {
  const dir = mkdtempSync(path.join(tmpdir(), "join-gate-"));
  writeFileSync(path.join(dir, "aws"), FakeAws);
  chmodSync(path.join(dir, "aws"), 0o755);
  if (healthy) {
    writeFileSync(path.join(dir, "healthy"), `${healthy.join("\t")}\n`);
  }
  if (opts.noAction) {
    writeFileSync(path.join(dir, "no-action"), "");
  }
  const lines = joinGateLines({
    clustered: opts.clustered ?? true,
    region: "eu-west-1",
    targetGroupArn: TargetGroup,
    managementPort: Number(self.split(":")[1]),
    timeoutSeconds: opts.timeoutSeconds ?? 2,
    pollSeconds: 0.2,
  });
  const script = ["set -euo pipefail", 'INSTANCE_ID="i-self"', ...lines, 'echo "after the gate"'].join("\n");
  const read = (file: string) => {
    try {
      return readFileSync(path.join(dir, file), "utf8").trim();
    } catch {
      return "";
    }
  };
  setTimeout(() => opts.during?.(dir), 600);
  return new Promise((ok) => {
    execFile("bash", ["-c", script], { env: { PATH: `${dir}:${process.env.PATH}`, DIR: dir }, timeout: 30_000 }, (error, stdout, stderr) =>
      ok({
        code: error ? Number(error.code ?? 1) : 0,
        output: stdout.trim() + stderr.trim(),
        completed: read("completed"),
        calls: read("calls"),
      }),
    );
  });
}

const completion = (result: "CONTINUE" | "ABANDON") =>
  `autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name kc-nodes-20261201 ` +
  `--lifecycle-hook-name ${LifecycleHookName} --instance-id i-self --lifecycle-action-result ${result}`;

describe("the aws cluster gate", () => {
  it("continues once the node's cluster holds itself and every healthy peer, in the instance's own group", async () => {
    const result = await gate(await management({ started: 200, clusterSize: 3 }), ["i-0a", "i-0b"]);
    expect(result.completed).toBe(completion("CONTINUE"));
    expect(result.output).toContain("keycloak-cluster gate: CONTINUE: in a cluster of 3; healthy peers: 2");
    expect(result.output).toContain("after the gate");
    expect(result.calls).toContain(`elbv2 describe-target-health --region eu-west-1 --target-group-arn ${TargetGroup}`);
    expect(result.code).toBe(0);
  });

  it("waits while the node sees a smaller cluster, and continues when it has joined", async () => {
    const answers = { started: 200, clusterSize: 1 };
    const result = await gate(await management(answers), ["i-0a", "i-0b"], {
      timeoutSeconds: 10,
      during: () => (answers.clusterSize = 3),
    });
    expect(result.output).toContain("keycloak-cluster gate: a cluster of 1, but 2 healthy peer(s); waiting");
    expect(result.completed).toBe(completion("CONTINUE"));
  });

  it("abandons the instance at its deadline when it never joins, with the reason", async () => {
    const result = await gate(await management({ started: 200, clusterSize: 1 }), ["i-0a", "i-0b"]);
    expect(result.completed).toBe(completion("ABANDON"));
    expect(result.output).toContain("keycloak-cluster gate: ABANDON: not in the cluster after 2 s: a cluster of 1, but 2 healthy peer(s)");
    expect(result.code).toBe(0);
  });

  it("does not count the instance itself among the healthy targets", async () => {
    const result = await gate(await management({ started: 200, clusterSize: 2 }), ["i-0a", "i-self"]);
    expect(result.completed).toBe(completion("CONTINUE"));
  });

  it("waits for Keycloak to start, whatever the cluster", async () => {
    const starting = await gate(await management({ started: 503, clusterSize: 3 }), []);
    expect(starting.completed).toBe(completion("ABANDON"));
    expect(starting.output).toContain("not in the cluster after 2 s: Keycloak not started yet (/health/started: 503)");
    const down = await gate(await closedPort(), []);
    expect(down.output).toContain("Keycloak not started yet (/health/started: 000)");
  });

  it("never continues on an unknown peer count: a failing target-health call is retried, not read as no peers", async () => {
    const result = await gate(await management({ started: 200, clusterSize: 1 }), undefined);
    expect(result.completed).toBe(completion("ABANDON"));
    expect(result.output).toContain("could not read the target group's health");
  });

  it("with local caches, started is enough, and the load balancer is not asked", async () => {
    const result = await gate(await management({ started: 200, clusterSize: 1 }), ["i-0a"], { clustered: false });
    expect(result.completed).toBe(completion("CONTINUE"));
    expect(result.calls).not.toContain("describe-target-health");
  });

  it("an instance without a pending action (launched before the hook existed) says so and the user data goes on", async () => {
    const result = await gate(await management({ started: 200, clusterSize: 1 }), [], { noAction: true });
    expect(result.output).toContain("no lifecycle action to complete");
    expect(result.output).toContain("after the gate");
    expect(result.code).toBe(0);
  });

  it("the hook's own timeout comes after the gate's deadline", () => {
    expect(heartbeatTimeoutSeconds(900)).toBeGreaterThan(900);
  });
});
