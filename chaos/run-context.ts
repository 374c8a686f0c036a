/**
 * What the phases of a run share: its options and dependencies, the events it emits, the checks
 * it makes, and what it has found so far (lost sessions, the first failure, nodes it could not
 * restore). The runner and a round both work through it; neither prints.
 */
import { ClusterOutputs } from "../components/shared/outputs";
import { LiveNode, NodeDriver } from "./drivers/driver";
import { ChaosEvent, CheckName, EventSink, RunConfig } from "./events";
import { CheckResult, ClusterProbes, Route } from "./probes/probes";
import { RestoreFile } from "./restore";

/** The run's choices that reports show come from RunConfig; the rest tunes the run. */
export interface RunOptions extends Pick<RunConfig, "rounds" | "seed" | "fault" | "nodesPerFault" | "sessions" | "dryRun" | "allowLoss"> {
  /** Logins in progress and unredeemed codes per node, per round. */
  readonly inFlightPerNode: number;
  /** Continuous traffic through the load balancer during each round. */
  readonly trafficPerSecond: number;
  /** Each fault is kept at least this long after it is verified (the checks first, then a wait). */
  readonly holdMs: number;
  readonly steadyTimeoutMs: number;
  readonly restoreTimeoutMs: number;
  readonly faultTimeoutMs: number;
  readonly maxDelayMs: number;
}

export interface RunnerDeps {
  readonly outputs: ClusterOutputs;
  readonly source: string;
  readonly probes: ClusterProbes;
  readonly driver: NodeDriver;
  readonly sink: EventSink;
  readonly restoreFile: RestoreFile;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  /** Aborted on SIGINT/SIGTERM: the run stops at the next step and restores. */
  readonly signal?: AbortSignal;
}

/** Thrown at the next step after an interrupt. */
export class Aborted extends Error {}

export class RunContext {
  readonly lost = new Set<string>();
  /** Nodes the run broke and could not restore, with why. */
  readonly unrestored = new Map<string, string>();
  /** The nodes as the driver last reported them. */
  nodes: readonly LiveNode[] = [];
  private firstFailure?: string;
  private sinkError?: unknown;

  constructor(
    readonly options: RunOptions,
    readonly deps: RunnerDeps,
  ) {}

  get outputs(): ClusterOutputs {
    return this.deps.outputs;
  }

  get failure(): string | undefined {
    return this.firstFailure;
  }

  at(): string {
    return (this.deps.now ?? (() => new Date()))().toISOString();
  }

  /** Emits an event; a reporter that throws never stops the run (or a restore). */
  emit(event: ChaosEvent): void {
    try {
      this.deps.sink.emit(event);
    } catch (error) {
      this.sinkError ??= error;
    }
  }

  /** The first error a reporter threw, if any. */
  get reporterError(): unknown {
    return this.sinkError;
  }

  /** Records why the run fails; the first reason is the one reported. */
  fail(why: string): void {
    this.firstFailure ??= why;
  }

  /** Stops the run at this step when it was interrupted. */
  guard(): void {
    if (this.deps.signal?.aborted) {
      throw new Aborted("interrupted");
    }
  }

  node(id: string): LiveNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) {
      throw new Error(`internal error: no node ${id} among ${this.nodes.map((n) => n.id).join(", ")}`);
    }
    return node;
  }

  /** Runs one check, reports it, and fails the run when anything in it failed. */
  async check(name: CheckName, route: Route, survivors: readonly string[], round: number, phase: "during" | "after"): Promise<CheckResult> {
    this.guard();
    const result = await this.deps.probes.check(name, route, survivors).catch((error: unknown) => {
      this.notes();
      throw error;
    });
    this.emit({
      type: "check",
      at: this.at(),
      round,
      phase,
      check: name,
      node: route,
      passed: result.passed,
      total: result.total,
      failures: result.failures,
      durationMs: result.durationMs,
    });
    this.notes();
    if (result.passed < result.total) {
      this.fail(`${name} failed on ${route} in round ${round} (${result.total - result.passed} of ${result.total})`);
    }
    return result;
  }

  /** Reports what the probes noted since the last call (warnings: nothing failed, but the reader should know). */
  notes(): void {
    for (const message of this.deps.probes.takeNotes()) {
      this.emit({ type: "log", at: this.at(), level: "warn", message });
    }
  }

  timing(round: number, phase: string, started: number): void {
    this.emit({ type: "timing", at: this.at(), round, phase, ms: Math.round(performance.now() - started) });
  }
}
