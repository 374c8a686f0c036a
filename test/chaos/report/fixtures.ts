/**
 * A realistic event sequence for the reporters: 3 nodes, 2 rounds of one killed node.
 * Round 1 holds; in round 2 the victim's 4 sessions are lost (userinfo and refresh fail on
 * every survivor and through the load balancer, during and after), so the verdict is failed.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ChaosEvent, CheckFailure, CheckName, RunConfig } from "../../../chaos/events";

export const Start = Date.parse("2025-03-01T10:00:00.000Z");

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "chaos-report-"));
}

export interface Synthetic {
  readonly events: ChaosEvent[];
  readonly config: RunConfig;
  readonly lost: readonly string[];
}

export function syntheticRun(nodeIds: readonly string[] = ["kc-0", "kc-1", "kc-2"]): Synthetic {
  let clock = Start;
  /** Each event one second after the previous one. */
  const at = () => new Date((clock += 1000)).toISOString();
  const events: ChaosEvent[] = [];
  const config: RunConfig = {
    source: "stack dev",
    clusterId: "docker/kc-dev",
    target: "docker",
    sessionMode: "volatile",
    cacheMode: "ispn",
    failoverSettings: {
      cacheStack: "jdbc-ping-fast-fd",
      cacheConfigFile: "fast-failure-detection.xml",
      clusterTls: false,
      healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, fall: 2 },
      safeRetryAfterSeconds: 4,
    },
    clusterSize: nodeIds.length,
    nodes: nodeIds.map((id) => ({ id, nodeName: `${id}.node` })),
    rounds: 2,
    seed: 42,
    fault: "kill",
    nodesPerFault: 1,
    sessions: 12,
    dryRun: false,
    allowLoss: false,
  };
  const victimsByRound = [nodeIds[1], nodeIds[2]];
  const lost = [1, 2, 3, 4].map((i) => `user-${i}#2 on ${victimsByRound[1]}`);
  const lostFailures: CheckFailure[] = lost.map((subject) => ({ subject, detail: "401 user_session_not_found" }));
  const ready = () => nodeIds.map((id) => ({ id, ready: true, clusterSize: nodeIds.length }));
  const check = (round: number, phase: "during" | "after", name: CheckName, node: string, failures: CheckFailure[] = []) =>
    events.push({
      type: "check",
      at: at(),
      round,
      phase,
      check: name,
      node,
      passed: 12 - failures.length,
      total: 12,
      failures,
      durationMs: 250,
    });

  events.push({ type: "run-start", at: new Date(clock).toISOString(), config });
  events.push({ type: "steady-state", at: at(), phase: "before", ok: true, nodes: ready() });
  events.push({
    type: "sessions",
    at: at(),
    perNode: Object.fromEntries(nodeIds.map((id) => [id, 4])),
    loggedIn: 12,
    inProgress: 0,
    codes: 0,
  });
  for (const round of [1, 2]) {
    const victim = victimsByRound[round - 1];
    const survivors = nodeIds.filter((id) => id !== victim);
    const losing = round === 2;
    events.push({ type: "round-start", at: at(), round, victims: [victim], sessionsOnVictims: { [victim]: 4 } });
    events.push({ type: "sessions", at: at(), round, perNode: {}, loggedIn: 3, inProgress: 6, codes: 6 });
    events.push({ type: "timing", at: at(), round, phase: "prepare", ms: 1200 });
    const faultAt = at();
    events.push({ type: "fault", at: faultAt, round, node: victim, kind: "kill", action: "inject", ok: true });
    events.push({ type: "fault", at: at(), round, node: victim, kind: "kill", action: "verified", ok: true });
    events.push({ type: "node-state", at: at(), node: victim, state: "down" });
    events.push({
      type: "check",
      at: at(),
      round,
      phase: "during",
      check: "fault-injected",
      node: victim,
      passed: 1,
      total: 1,
      failures: [],
      durationMs: 0,
    });
    for (const route of [...survivors, "lb"]) {
      for (const name of ["userinfo", "refresh", "sso-cookie"] as const) {
        check(round, "during", name, route, losing && name !== "sso-cookie" ? lostFailures : []);
      }
    }
    for (const name of ["login-in-progress", "code-exchange", "logout-propagation"] as const) {
      check(round, "during", name, survivors[0]);
    }
    events.push({ type: "timing", at: at(), round, phase: "checks during fault", ms: 4100 });
    // Traffic from 2 s before the fault, 10 requests a second; in round 2 seconds 3 and 4 fail in part.
    const perSecond = Array.from({ length: 10 }, (_, second) => ({
      second,
      requests: 10,
      errors: losing && second === 3 ? 4 : losing && second === 4 ? 3 : 0,
      p50: 12,
      p95: losing && second === 3 ? 2400 : 48,
    }));
    const trafficStart = Date.parse(faultAt) - 2000;
    events.push({
      type: "traffic",
      at: at(),
      round,
      requests: 100,
      errors: losing ? 7 : 0,
      latencyMs: { p50: 12, p95: 48, max: 310 },
      startedAt: new Date(trafficStart).toISOString(),
      perSecond,
      ...(losing ? { lastErrorAt: new Date(trafficStart + 4900).toISOString() } : {}),
    });
    events.push({
      type: "failover",
      at: at(),
      round,
      faultAt,
      lastFailedRequestMs: losing ? 2900 : null,
      firstCleanCheckMs: Object.fromEntries([...survivors, "lb"].map((route, i) => [route, losing ? null : 3000 + 3000 * i])),
    });
    events.push({ type: "fault", at: at(), round, node: victim, kind: "kill", action: "restore", ok: true });
    events.push({ type: "fault", at: at(), round, node: victim, kind: "kill", action: "restored", ok: true });
    events.push({ type: "node-state", at: at(), node: victim, state: "up" });
    events.push({ type: "steady-state", at: at(), phase: "after", round, ok: true, nodes: ready() });
    events.push({ type: "timing", at: at(), round, phase: "recovery", ms: 21_000 });
    for (const route of [...nodeIds, "lb"]) {
      for (const name of ["userinfo", "refresh"] as const) {
        check(round, "after", name, route, losing && name === "userinfo" ? lostFailures : []);
      }
    }
  }
  events.push({ type: "log", at: at(), level: "warn", message: "kc-2 took 21 s to rejoin" });
  events.push({ type: "run-end", at: at(), verdict: "failed", exitCode: 1, message: `4 session(s) lost: ${lost.join(", ")}`, lost });
  return { events, config, lost };
}

/** Captures what a reporter writes. */
export function captureStream(): { write(s: string): void; text(): string } {
  let text = "";
  return { write: (s: string) => void (text += s), text: () => text };
}
