/**
 * One round: fixtures for the round, the restore record written, the faults injected (every
 * one settled before anything is restored), the fault verified as the target sees it, the checks
 * on every survivor and through the load balancer, then the restore (first thing in the
 * `finally`), the steady state again, and the checks after the restore.
 */
import { FaultTarget } from "./drivers/driver";
import { CheckName, TrafficStats } from "./events";
import { CheckSeen, failoverOf } from "./failover";
import { RoundPlan } from "./plan";
import { describeError } from "./pool";
import { CheckResult, LoadBalancer, Traffic } from "./probes/probes";
import { RunContext } from "./run-context";
import { awaitSteadyState } from "./steady-state";

/** Checks made on every survivor and through the load balancer while the victims are down. */
const PerRouteChecks: readonly CheckName[] = ["userinfo", "refresh", "sso-cookie"];
/** Checks that consume the round's fixtures, once, on a survivor. */
const InFlightChecks: readonly CheckName[] = ["login-in-progress", "code-exchange", "logout-propagation"];
/** Checks after the restore, on every node and through the load balancer. */
const AfterChecks: readonly CheckName[] = ["userinfo", "refresh"];

/** One round; false when the cluster did not come back and the run must stop. */
export async function runRound(run: RunContext, plan: RoundPlan): Promise<boolean> {
  const { deps, options } = run;
  const { round, victims } = plan;
  const ids = run.nodes.map((n) => n.id);
  const survivors = ids.filter((id) => !victims.includes(id));
  run.emit({
    type: "round-start",
    at: run.at(),
    round,
    victims,
    sessionsOnVictims: Object.fromEntries(victims.map((v) => [v, deps.probes.sessionsOn(v).length])),
  });

  const t0 = performance.now();
  const fixtures = await deps.probes.prepareRound(ids, options.inFlightPerNode).finally(() => run.notes());
  run.emit({
    type: "sessions",
    at: run.at(),
    round,
    perNode: {},
    loggedIn: fixtures.logouts,
    inProgress: fixtures.inProgress,
    codes: fixtures.codes,
  });
  run.timing(round, "prepare", t0);
  await deps.sleep(plan.delayMs);
  run.guard();

  const targets = await Promise.all(victims.map((id) => deps.driver.prepare(run.node(id), options.fault)));
  const traffic = await deps.probes.startTraffic(options.trafficPerSecond, options.faultTimeoutMs + options.restoreTimeoutMs + 600_000);
  let restored = false;
  let seen: readonly CheckSeen[] | undefined;
  let faultAt = "";
  let stats: TrafficStats | undefined;
  try {
    // The record names every victim BEFORE anything breaks, so a killed run can be undone.
    await deps.restoreFile.write(
      { source: deps.source, clusterId: run.outputs.clusterId, clusterSize: run.outputs.clusterSize, driver: run.outputs.driver },
      targets,
    );
    try {
      faultAt = run.at();
      if ((await inject(run, round, targets)) && (await verify(run, round, targets))) {
        const verifiedAt = performance.now();
        seen = await checksDuringFault(run, round, survivors);
        await hold(run, round, verifiedAt);
      }
    } finally {
      restored = await restore(run, round, targets);
    }
  } finally {
    stats = await stopTraffic(run, round, traffic);
  }
  if (seen) {
    run.emit(failoverOf(round, faultAt, seen, stats, run.at()));
  }
  if (!restored) {
    run.fail(`round ${round}: could not restore ${[...run.unrestored.keys()].join(", ")}; run npm run chaos -- --restore`);
    return false;
  }
  return afterRestore(run, round);
}

/** Injects every fault and waits until each one settled; false when any was refused. */
async function inject(run: RunContext, round: number, targets: readonly FaultTarget[]): Promise<boolean> {
  const settled = await Promise.allSettled(
    targets.map(async (target) => {
      run.emit({ type: "fault", at: run.at(), round, node: target.node, kind: target.fault, action: "inject", ok: true });
      await run.deps.driver.inject(target);
    }),
  );
  settled.forEach((result, i) => {
    if (result.status === "rejected") {
      const { node, fault } = targets[i];
      run.emit({
        type: "fault",
        at: run.at(),
        round,
        node,
        kind: fault,
        action: "inject",
        ok: false,
        message: describeError(result.reason),
      });
      run.fail(`could not ${fault} ${node}: ${describeError(result.reason)}`);
    }
  });
  return settled.every((r) => r.status === "fulfilled");
}

/** A fault counts when the target's runtime shows it and the node's management port stops answering ready. */
async function verify(run: RunContext, round: number, targets: readonly FaultTarget[]): Promise<boolean> {
  const { deps, options } = run;
  const deadline = performance.now() + options.faultTimeoutMs;
  const verified = await Promise.all(
    targets.map(async (target) => {
      const node = run.node(target.node);
      let last = "";
      while (performance.now() < deadline) {
        const [seen, health] = await Promise.all([deps.driver.observe(target), deps.probes.health(node)]);
        if (seen.happened && !health.ready) {
          return { id: target.node, ok: true };
        }
        last = `${seen.detail}; management port ${health.ready ? "still ready" : "not ready"}`;
        await deps.sleep(500);
      }
      return { id: target.node, ok: false, message: `fault not observed within ${options.faultTimeoutMs / 1000}s: ${last}` };
    }),
  );
  for (const v of verified) {
    run.emit({ type: "fault", at: run.at(), round, node: v.id, kind: options.fault, action: "verified", ok: v.ok, message: v.message });
    if (v.ok) {
      run.emit({ type: "node-state", at: run.at(), node: v.id, state: "down" });
    }
  }
  const missed = verified.filter((v) => !v.ok);
  run.emit({
    type: "check",
    at: run.at(),
    round,
    phase: "during",
    check: "fault-injected",
    node: targets.map((t) => t.node).join("+"),
    passed: verified.length - missed.length,
    total: verified.length,
    failures: missed.map((v) => ({ subject: v.id, detail: v.message ?? "" })),
    durationMs: 0,
  });
  if (missed.length) {
    run.fail(`the fault was not injected on ${missed.map((v) => v.id).join(", ")}`);
  }
  return missed.length === 0;
}

/** The checks while the victims are down; returns each one's route, end and result (for the failover window). */
async function checksDuringFault(run: RunContext, round: number, survivors: readonly string[]): Promise<CheckSeen[]> {
  const t0 = performance.now();
  const userinfo: CheckResult[] = [];
  const seen: CheckSeen[] = [];
  const check = async (name: CheckName, route: string) => {
    const result = await run.check(name, route, survivors, round, "during");
    seen.push({ route, endedAt: run.at(), clean: result.passed >= result.total });
    return result;
  };
  for (const route of [...survivors, LoadBalancer]) {
    for (const name of PerRouteChecks) {
      const result = await check(name, route);
      if (name === "userinfo") {
        userinfo.push(result);
      }
    }
  }
  for (const name of InFlightChecks) {
    await check(name, survivors[0]);
  }
  markLost(run, userinfo);
  run.timing(round, "checks during fault", t0);
  return seen;
}

/** Keeps the fault until `--hold` has passed since it was verified (traffic goes on meanwhile). */
async function hold(run: RunContext, round: number, verifiedAt: number): Promise<void> {
  const left = Math.round(run.options.holdMs - (performance.now() - verifiedAt));
  if (left > 0) {
    run.emit({
      type: "log",
      at: run.at(),
      level: "info",
      message: `round ${round}: holding the fault ${(left / 1000).toFixed(1)} s more (--hold)`,
    });
    await run.deps.sleep(left);
    run.guard();
  }
}

/** Restores every victim, each on its own and bounded in time; clears the record when all are back. Never throws. */
async function restore(run: RunContext, round: number, targets: readonly FaultTarget[]): Promise<boolean> {
  const { deps, options } = run;
  const results = await Promise.all(
    targets.map(async (target) => {
      run.emit({ type: "fault", at: run.at(), round, node: target.node, kind: target.fault, action: "restore", ok: true });
      try {
        await withTimeout(
          deps.driver.restore(target),
          options.restoreTimeoutMs,
          `restore of ${target.node} did not finish within ${options.restoreTimeoutMs / 1000}s`,
        );
        run.unrestored.delete(target.node);
        run.emit({ type: "fault", at: run.at(), round, node: target.node, kind: target.fault, action: "restored", ok: true });
        run.emit({ type: "node-state", at: run.at(), node: target.node, state: "up" });
        return true;
      } catch (error) {
        run.unrestored.set(target.node, describeError(error));
        run.emit({
          type: "fault",
          at: run.at(),
          round,
          node: target.node,
          kind: target.fault,
          action: "restored",
          ok: false,
          message: describeError(error),
        });
        return false;
      }
    }),
  );
  const all = results.every(Boolean);
  if (all) {
    try {
      await deps.restoreFile.clear();
    } catch (error) {
      run.emit({
        type: "log",
        at: run.at(),
        level: "warn",
        message: `every node is restored, but ${deps.restoreFile.file} could not be removed: ${describeError(error)}`,
      });
    }
  }
  return all;
}

/**
 * Lost: refused by userinfo on EVERY route of one pass (every survivor and the load balancer while
 * the fault holds; every node and the load balancer after the restore). Refused on some only is
 * a failed check (the nodes disagree), not a loss. Both passes count: right after a fault a
 * survivor may still serve a session whose owners are gone, until its view of the cluster changes.
 */
function markLost(run: RunContext, userinfo: readonly CheckResult[]): void {
  for (const subject of userinfo[0]?.failedSubjects ?? []) {
    if (userinfo.every((r) => r.failedSubjects.includes(subject))) {
      run.lost.add(subject);
    }
  }
}

async function stopTraffic(run: RunContext, round: number, traffic: Traffic): Promise<TrafficStats | undefined> {
  try {
    const stats = await traffic.stop();
    run.emit({ type: "traffic", at: run.at(), round, ...stats });
    return stats;
  } catch (error) {
    run.emit({
      type: "log",
      at: run.at(),
      level: "warn",
      message: `round ${round}: traffic through the load balancer could not be summed up: ${describeError(error)}`,
    });
    return undefined;
  }
}

async function afterRestore(run: RunContext, round: number): Promise<boolean> {
  const { deps, options, outputs } = run;
  const t0 = performance.now();
  const after = await awaitSteadyState(deps.driver, deps.probes, outputs, options.restoreTimeoutMs, deps.sleep);
  const { live, ...state } = after;
  run.emit({ type: "steady-state", at: run.at(), phase: "after", round, ...state });
  run.timing(round, "recovery", t0);
  if (!after.ok) {
    run.fail(`round ${round}: steady state not back after the restore: ${after.message}`);
    return false;
  }
  run.nodes = live;
  const ids = live.map((n) => n.id);
  const userinfo: CheckResult[] = [];
  for (const route of [...ids, LoadBalancer]) {
    for (const name of AfterChecks) {
      const result = await run.check(name, route, ids, round, "after");
      if (name === "userinfo") {
        userinfo.push(result);
      }
    }
  }
  markLost(run, userinfo);
  return true;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
