/**
 * How a run goes, phase by phase: validate → steady state → sessions → rounds → verdict. A round
 * (round.ts) breaks its victims and always restores them. The runner emits events and never prints.
 */
import { ExitCode, RunConfig, Verdict } from "./events";
import { CacheOwners, planRounds, possibleLoss, RoundPlan } from "./plan";
import { describeError } from "./pool";
import { runRound } from "./round";
import { Aborted, RunContext, RunnerDeps, RunOptions } from "./run-context";
import { awaitSteadyState } from "./steady-state";

export type { RunnerDeps, RunOptions } from "./run-context";

export interface RunResult {
  readonly verdict: Verdict;
  readonly exitCode: number;
  readonly lost: readonly string[];
  readonly message?: string;
}

export async function runChaos(options: RunOptions, deps: RunnerDeps): Promise<RunResult> {
  const run = new RunContext(options, deps);
  // The nodes as the driver finds them, for the reports; the steady state looks again.
  announce(run, await deps.driver.nodes().catch(() => []));
  const refusal = (await validate(run)) ?? (await steadyStateBefore(run));
  if (refusal) {
    return end(run, "aborted", refusal);
  }
  const plans = planRounds(
    options.seed,
    run.nodes.map((n) => n.id),
    options.rounds,
    options.nodesPerFault,
    options.maxDelayMs,
  );
  if (options.dryRun) {
    return dryRun(run, plans);
  }
  try {
    await createSessions(run);
    await rounds(run, plans);
  } catch (error) {
    return error instanceof Aborted
      ? end(run, "aborted", `interrupted; ${restoreStatus(run)}`)
      : end(run, "error", `${describeError(error)}; ${restoreStatus(run)}`);
  }
  return verdict(run);
}

function announce(run: RunContext, nodes: readonly { id: string; nodeName: string }[]): void {
  run.emit({ type: "run-start", at: run.at(), config: runConfig(run, nodes) });
  const loss = possibleLoss(run.outputs.sessionMode === "volatile", run.options.nodesPerFault, CacheOwners);
  if (loss) {
    run.emit({ type: "log", at: run.at(), level: "warn", message: `${loss} (--allow-loss)` });
  }
}

/** Refuses to start on a cluster a previous run left broken. */
async function validate(run: RunContext): Promise<string | undefined> {
  let pending;
  try {
    pending = await run.deps.restoreFile.read();
  } catch (error) {
    return describeError(error);
  }
  if (pending) {
    return `a previous run left ${pending.faults.map((f) => f.node).join(", ")} broken (${run.deps.restoreFile.file}); run with --restore first`;
  }
  return undefined;
}

async function steadyStateBefore(run: RunContext): Promise<string | undefined> {
  const { deps, options, outputs } = run;
  const before = await awaitSteadyState(deps.driver, deps.probes, outputs, options.steadyTimeoutMs, deps.sleep);
  const { live, ...state } = before;
  run.emit({ type: "steady-state", at: run.at(), phase: "before", ...state });
  if (!before.ok) {
    return `steady state not reached before any fault: ${before.message}`;
  }
  run.nodes = live;
  const loginProblem = await deps.probes.loginProblem();
  run.notes();
  return loginProblem ? `steady state not reached: a login through the load balancer fails (${loginProblem})` : undefined;
}

function dryRun(run: RunContext, plans: readonly RoundPlan[]): RunResult {
  for (const plan of plans) {
    run.emit({
      type: "log",
      at: run.at(),
      level: "info",
      message: `round ${plan.round}: would ${run.options.fault} ${plan.victims.join(", ")} after ${plan.delayMs} ms`,
    });
  }
  return end(run, "passed", "dry run: nothing was touched");
}

async function createSessions(run: RunContext): Promise<void> {
  const created = await run.deps.probes
    .createSessions(
      run.options.sessions,
      run.nodes.map((n) => n.id),
    )
    .finally(() => run.notes());
  run.emit({ type: "sessions", at: run.at(), perNode: created.perNode, loggedIn: created.loggedIn, inProgress: 0, codes: 0 });
}

async function rounds(run: RunContext, plans: readonly RoundPlan[]): Promise<void> {
  for (const plan of plans) {
    run.guard();
    if (!(await runRound(run, plan))) {
      // The cluster did not come back: no further round breaks more nodes.
      return;
    }
  }
}

/** What became of the nodes the run broke, for a run that ended early. */
function restoreStatus(run: RunContext): string {
  if (run.unrestored.size === 0) {
    return "every node the run broke was restored";
  }
  const nodes = [...run.unrestored].map(([node, why]) => `${node} (${why})`).join(", ");
  return `NOT restored: ${nodes}; the restore record ${run.deps.restoreFile.file} names them: run npm run chaos -- --restore`;
}

function verdict(run: RunContext): RunResult {
  if (run.lost.size) {
    const lost = [...run.lost];
    return end(run, "failed", `${lost.length} session(s) lost: ${lost.slice(0, 20).join(", ")}${lost.length > 20 ? ", …" : ""}`);
  }
  return run.failure ? end(run, "failed", run.failure) : end(run, "passed");
}

function end(run: RunContext, verdict: Verdict, message?: string): RunResult {
  const result = { verdict, exitCode: ExitCode[verdict], lost: [...run.lost], message };
  run.emit({ type: "run-end", at: run.at(), ...result });
  return result;
}

function runConfig(run: RunContext, nodes: readonly { id: string; nodeName: string }[]): RunConfig {
  const { options, outputs } = run;
  return {
    source: run.deps.source,
    clusterId: outputs.clusterId,
    target: outputs.target,
    sessionMode: outputs.sessionMode,
    cacheMode: outputs.cacheMode,
    ...(outputs.failoverSettings ? { failoverSettings: outputs.failoverSettings } : {}),
    clusterSize: outputs.clusterSize,
    nodes: nodes.map((n) => ({ id: n.id, nodeName: n.nodeName })),
    rounds: options.rounds,
    seed: options.seed,
    fault: options.fault,
    nodesPerFault: options.nodesPerFault,
    sessions: options.sessions,
    dryRun: options.dryRun,
    allowLoss: options.allowLoss,
  };
}
