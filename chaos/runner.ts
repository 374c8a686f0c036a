/**
 * How a run goes: steady state → sessions spread over every node → per round: choose victims,
 * write the restore record, break them, check the fault happened, check what must hold on
 * every survivor and through the load balancer, restore, wait for the steady state, check
 * again. Restore runs in a real `finally`. The runner emits events and never prints.
 */
import { ClusterOutputs, NodeEndpoint } from "../components/shared/outputs";
import { NodeDriver, expectedState } from "./drivers/driver";
import { ChaosEvent, CheckName, EventSink, ExitCode, FaultKind, RunConfig, Verdict } from "./events";
import { CacheOwners, lossPossible, planRounds, RoundPlan } from "./plan";
import { describeError } from "./pool";
import { ClusterProbes, CheckResult, LoadBalancer, Route } from "./probes/probes";
import { RestoreFile } from "./restore";
import { awaitSteadyState } from "./steady-state";

/** The run's choices that reports show come from RunConfig; the rest tunes the run. */
export interface RunOptions extends Pick<RunConfig, "rounds" | "seed" | "fault" | "nodesPerFault" | "sessions" | "dryRun" | "allowLoss"> {
  /** Logins in progress and unredeemed codes per node, per round. */
  readonly inFlightPerNode: number;
  /** Continuous traffic through the load balancer during each round. */
  readonly trafficPerSecond: number;
  readonly steadyTimeoutMs: number;
  readonly restoreTimeoutMs: number;
  readonly faultTimeoutMs: number;
  readonly maxDelayMs: number;
}

export interface RunnerDeps {
  readonly outputs: ClusterOutputs;
  readonly source: string;
  readonly probes: ClusterProbes;
  readonly driverFor: (node: NodeEndpoint) => NodeDriver;
  readonly sink: EventSink;
  readonly restoreFile: RestoreFile;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  /** Aborted on SIGINT/SIGTERM: the run stops at the next step and restores. */
  readonly signal?: AbortSignal;
}

export interface RunResult {
  readonly verdict: Verdict;
  readonly exitCode: number;
  readonly lost: readonly string[];
  readonly message?: string;
}

class Aborted extends Error {}

/** Checks made on every survivor and through the load balancer while the victims are down. */
const PerRouteChecks: readonly CheckName[] = ["userinfo", "refresh", "sso-cookie"];
/** Checks after the restore, on every node and through the load balancer. */
const AfterChecks: readonly CheckName[] = ["userinfo", "refresh"];

export async function runChaos(options: RunOptions, deps: RunnerDeps): Promise<RunResult> {
  const { outputs, probes, sink } = deps;
  const now = deps.now ?? (() => new Date());
  const at = () => now().toISOString();
  const emit = (event: ChaosEvent) => sink.emit(event);
  const nodeIds = outputs.nodes.map((n) => n.id);
  const byId = new Map(outputs.nodes.map((n) => [n.id, n]));
  const plans = planRounds(options.seed, nodeIds, options.rounds, options.nodesPerFault, options.maxDelayMs);
  const lost = new Set<string>();
  let failed: string | undefined;
  const fail = (why: string) => (failed ??= why);
  const guard = () => {
    if (deps.signal?.aborted) {
      throw new Aborted("interrupted");
    }
  };
  const end = (verdict: Verdict, message?: string): RunResult => {
    const result = { verdict, exitCode: ExitCode[verdict], lost: [...lost], message };
    emit({ type: "run-end", at: at(), ...result });
    return result;
  };

  emit({ type: "run-start", at: at(), config: runConfig(options, deps) });
  if (lossPossible(outputs.sessionMode === "volatile", options.nodesPerFault)) {
    emit({ type: "log", at: at(), level: "warn", message: `${options.nodesPerFault} nodes stop at once and volatile sessions have ${CacheOwners} cache owners: sessions can be lost (--allow-loss)` });
  }
  const pending = await deps.restoreFile.read();
  if (pending) {
    return end("aborted", `a previous run left ${pending.faults.map((f) => f.node.id).join(", ")} broken (${deps.restoreFile.file}); run with --restore first`);
  }

  const before = await awaitSteadyState(outputs, probes, options.steadyTimeoutMs, deps.sleep);
  emit({ type: "steady-state", at: at(), phase: "before", ...before });
  if (!before.ok) {
    return end("aborted", `steady state not reached before any fault: ${before.message}`);
  }
  const loginProblem = await probes.loginProblem();
  if (loginProblem) {
    return end("aborted", `steady state not reached: a login through the load balancer fails (${loginProblem})`);
  }
  if (options.dryRun) {
    for (const plan of plans) {
      emit({ type: "log", at: at(), level: "info", message: `round ${plan.round}: would ${options.fault} ${plan.victims.join(", ")} after ${plan.delayMs} ms` });
    }
    return end("passed", "dry run: nothing was touched");
  }

  const check = async (name: CheckName, route: Route, survivors: readonly string[], round: number, phase: "during" | "after") => {
    guard();
    const result: CheckResult = await probes.check(name, route, survivors);
    emit({ type: "check", at: at(), round, phase, check: name, node: route, passed: result.passed, total: result.total, failures: result.failures, durationMs: result.durationMs });
    if (result.passed < result.total) {
      fail(`${name} failed on ${route} in round ${round} (${result.total - result.passed} of ${result.total})`);
    }
    return result;
  };

  /** One round; false when the cluster did not come back and the run must stop. */
  const runRound = async (plan: RoundPlan): Promise<boolean> => {
    const { round, victims } = plan;
    const survivors = nodeIds.filter((id) => !victims.includes(id));
    emit({ type: "round-start", at: at(), round, victims, sessionsOnVictims: Object.fromEntries(victims.map((v) => [v, probes.sessionsOn(v).length])) });
    let t0 = performance.now();
    const fixtures = await probes.prepareRound(nodeIds, options.inFlightPerNode);
    emit({ type: "sessions", at: at(), round, perNode: {}, loggedIn: fixtures.logouts, inProgress: fixtures.inProgress, codes: fixtures.codes });
    emit({ type: "timing", at: at(), round, phase: "prepare", ms: Math.round(performance.now() - t0) });
    await deps.sleep(plan.delayMs);
    guard();

    const faults = victims.map((id) => ({ node: byId.get(id) as NodeEndpoint, fault: options.fault }));
    await deps.restoreFile.write(deps.source, faults);
    const traffic = probes.startTraffic(options.trafficPerSecond, options.faultTimeoutMs + options.restoreTimeoutMs + 600_000);
    try {
      await Promise.all(faults.map(async ({ node, fault }) => {
        emit({ type: "fault", at: at(), round, node: node.id, kind: fault, action: "inject", ok: true });
        await deps.driverFor(node).inject(node, fault);
      }));
      if (await faultsVerified(round)) {
        await checksDuringFault(round, survivors);
      }
    } finally {
      const stats = await traffic.stop();
      emit({ type: "traffic", at: at(), round, ...stats });
      await restoreVictims(faults, round, deps, emit, at);
    }

    t0 = performance.now();
    const after = await awaitSteadyState(outputs, probes, options.restoreTimeoutMs, deps.sleep);
    emit({ type: "steady-state", at: at(), phase: "after", round, ...after });
    emit({ type: "timing", at: at(), round, phase: "recovery", ms: Math.round(performance.now() - t0) });
    if (!after.ok) {
      // The restore record stays for --restore; no further round breaks more nodes.
      fail(`round ${round}: steady state not back after the restore: ${after.message}`);
      return false;
    }
    await deps.restoreFile.clear();
    for (const route of [...nodeIds, LoadBalancer]) {
      for (const name of AfterChecks) {
        await check(name, route, nodeIds, round, "after");
      }
    }
    return true;

    async function faultsVerified(r: number): Promise<boolean> {
      const verified = await verifyFaults(faults.map((f) => f.node), options, deps);
      for (const v of verified) {
        emit({ type: "fault", at: at(), round: r, node: v.id, kind: options.fault, action: "verified", ok: v.ok, message: v.message });
        if (v.ok) {
          emit({ type: "node-state", at: at(), node: v.id, state: "down" });
        }
      }
      const notInjected = verified.filter((v) => !v.ok);
      emit({
        type: "check", at: at(), round: r, phase: "during", check: "fault-injected", node: victims.join("+"), passed: verified.length - notInjected.length, total: verified.length,
        failures: notInjected.map((v) => ({ subject: v.id, detail: v.message ?? "" })), durationMs: 0,
      });
      if (notInjected.length) {
        fail(`the fault was not injected on ${notInjected.map((v) => v.id).join(", ")}`);
      }
      return notInjected.length === 0;
    }
  };

  const checksDuringFault = async (round: number, survivors: readonly string[]) => {
    const t0 = performance.now();
    const userinfo: CheckResult[] = [];
    for (const route of [...survivors, LoadBalancer]) {
      for (const name of PerRouteChecks) {
        const result = await check(name, route, survivors, round, "during");
        if (name === "userinfo") {
          userinfo.push(result);
        }
      }
    }
    await check("login-in-progress", survivors[0], survivors, round, "during");
    await check("code-exchange", survivors[0], survivors, round, "during");
    await check("logout-propagation", survivors[0], survivors, round, "during");
    // Lost: rejected on every surviving node and through the load balancer.
    for (const subject of userinfo[0]?.failedSubjects ?? []) {
      if (userinfo.every((r) => r.failedSubjects.includes(subject))) {
        lost.add(subject);
      }
    }
    emit({ type: "timing", at: at(), round, phase: "checks during fault", ms: Math.round(performance.now() - t0) });
  };

  try {
    const created = await probes.createSessions(options.sessions, nodeIds);
    emit({ type: "sessions", at: at(), perNode: created.perNode, loggedIn: created.loggedIn, inProgress: 0, codes: 0 });
    for (const plan of plans) {
      guard();
      if (!(await runRound(plan))) {
        break;
      }
    }
  } catch (error) {
    if (error instanceof Aborted) {
      return end("aborted", "interrupted; every stopped node was restored");
    }
    return end("error", describeError(error));
  }
  if (lost.size) {
    return end("failed", `${lost.size} session(s) lost: ${[...lost].slice(0, 20).join(", ")}${lost.size > 20 ? ", …" : ""}`);
  }
  return failed ? end("failed", failed) : end("passed");
}

function runConfig(options: RunOptions, deps: RunnerDeps): RunConfig {
  const o = deps.outputs;
  return {
    source: deps.source, target: o.target, sessionMode: o.sessionMode, cacheMode: o.cacheMode, clusterSize: o.clusterSize,
    nodes: o.nodes.map((n) => ({ id: n.id, nodeName: n.nodeName })), rounds: options.rounds, seed: options.seed, fault: options.fault,
    nodesPerFault: options.nodesPerFault, sessions: options.sessions, dryRun: options.dryRun, allowLoss: options.allowLoss,
  };
}

/** A fault counts when the runtime shows it and the node's management port stops answering. */
async function verifyFaults(nodes: readonly NodeEndpoint[], options: RunOptions, deps: RunnerDeps) {
  const deadline = performance.now() + options.faultTimeoutMs;
  return Promise.all(nodes.map(async (node) => {
    const want = expectedState(options.fault);
    let last = "";
    while (performance.now() < deadline) {
      const state = await deps.driverFor(node).state(node);
      const health = await deps.probes.health(node.id);
      if (state === want && !health.ready) {
        return { id: node.id, ok: true };
      }
      last = `runtime state ${state} (want ${want}), health ${health.ready ? "ready" : "not ready"}`;
      await deps.sleep(500);
    }
    return { id: node.id, ok: false, message: `fault not observed within ${options.faultTimeoutMs / 1000}s: ${last}` };
  }));
}

/** Restores every victim, each on its own so one failure does not keep the others down. */
async function restoreVictims(
  faults: readonly { node: NodeEndpoint; fault: FaultKind }[],
  round: number,
  deps: RunnerDeps,
  emit: (e: ChaosEvent) => void,
  at: () => string,
): Promise<void> {
  await Promise.all(faults.map(async ({ node, fault }) => {
    emit({ type: "fault", at: at(), round, node: node.id, kind: fault, action: "restore", ok: true });
    try {
      await deps.driverFor(node).restore(node, fault);
      emit({ type: "fault", at: at(), round, node: node.id, kind: fault, action: "restored", ok: true });
      emit({ type: "node-state", at: at(), node: node.id, state: "up" });
    } catch (error) {
      emit({ type: "fault", at: at(), round, node: node.id, kind: fault, action: "restored", ok: false, message: describeError(error) });
    }
  }));
}
