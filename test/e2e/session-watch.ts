/**
 * Watches sessions while something changes the cluster (a `pulumi up`): every 2 s, userinfo for
 * every session on every node that is ready, and steady userinfo traffic through the load
 * balancer (chaos/probes). A session is lost when a ready node answers 401 for it. Bounded: it
 * stops when told, or after `maxMs`.
 */
import { EngineEvent } from "@pulumi/pulumi/automation";
import { nodeHealth } from "../../chaos/probes/cluster";
import { startTraffic, userinfoRequest } from "../../chaos/probes/traffic";
import { TrafficStats } from "../../chaos/probes/probes";
import { ClusterOutputs } from "../../components/shared/outputs";
import { dockerNodes } from "./harness";

export interface WatchedSession {
  readonly username: string;
  readonly accessToken: string;
}

export interface WatchResult {
  /** Checks of a session on a ready node, and how many answered 200. */
  readonly checks: number;
  readonly passed: number;
  /** "user on kc-1: 401", one per failed check of a session on a ready node. */
  readonly failures: readonly string[];
  /** Usernames a ready node answered 401 for. */
  readonly lost: readonly string[];
  readonly traffic: TrafficStats;
}

export function watchSessions(outputs: ClusterOutputs, sessions: readonly WatchedSession[], maxMs = 20 * 60_000) {
  const userinfo = `/realms/${outputs.realm}/protocol/openid-connect/userinfo`;
  const traffic = startTraffic(
    userinfoRequest(fetch, `${outputs.loadBalancerUrl}${userinfo}`, () => sessions[0].accessToken),
    5,
    maxMs,
  );
  const failures: string[] = [];
  const lost = new Set<string>();
  let checks = 0;
  let passed = 0;
  let stopped = false;
  const started = Date.now();
  const loop = (async () => {
    while (!stopped && Date.now() - started < maxMs) {
      for (const node of dockerNodes(outputs)) {
        if (!(await nodeHealth(node.managementUrl, 2000)).ready) {
          continue;
        }
        for (const session of sessions) {
          const status = await fetch(`${node.httpUrl}${userinfo}`, {
            headers: { authorization: `Bearer ${session.accessToken}` },
            signal: AbortSignal.timeout(5000),
          }).then(
            async (r) => (await r.arrayBuffer(), r.status),
            () => 0,
          );
          checks++;
          if (status === 200) {
            passed++;
          } else {
            failures.push(`${session.username} on ${node.id}: ${status || "no answer"}`);
            if (status === 401) {
              lost.add(session.username);
            }
          }
        }
      }
      await new Promise((ok) => setTimeout(ok, 2000));
    }
  })();
  return {
    async stop(): Promise<WatchResult> {
      stopped = true;
      await loop;
      return { checks, passed, failures, lost: [...lost], traffic: await traffic.stop() };
    },
  };
}

/** The engine's resource steps in the order they started and ended: "start replace keycloak-kc-1". */
export function stepLog(): { readonly steps: string[]; readonly onEvent: (event: EngineEvent) => void } {
  const steps: string[] = [];
  return {
    steps,
    onEvent: (event) => {
      const pre = event.resourcePreEvent?.metadata;
      const done = event.resOutputsEvent?.metadata;
      const step = pre ?? done;
      if (step && step.op !== "same" && !step.type.startsWith("pulumi:")) {
        steps.push(`${pre ? "start" : "end"} ${step.op} ${step.urn.split("::").pop()}`);
      }
    },
  };
}
