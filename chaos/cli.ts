/**
 * `npm run chaos`: one place turns errors into exit codes. Everything is validated (options,
 * outputs, the fault against the driver, blast radius, production guard, the cluster's lock)
 * before any node is touched.
 */
import path from "node:path";
import { ClusterOutputs } from "../components/shared/outputs";
import { parseClusterOutputs, plainOutputs, readOutputsFile } from "./cluster-outputs";
import { LiveNode, NodeDriver } from "./drivers/driver";
import { createDriver } from "./drivers/index";
import { ExitCode, FaultKind } from "./events";
import { acquireLock, Lock, LockedError, lockPath } from "./lock";
import { CliOptions, parseOptions, Usage, UsageError } from "./options";
import { blastRadiusProblems, CacheOwners } from "./plan";
import { describeError } from "./pool";
import { NodeHealth, nodeHealth } from "./probes/cluster";
import { KeycloakProbes } from "./probes/keycloak";
import { ClusterProbes } from "./probes/probes";
import { createReporters } from "./report/index";
import { realSleep } from "./poll";
import { recordPath, RestoreFile, RestoreRecordError } from "./restore";
import { runChaos } from "./runner";
import { awaitSteadyState } from "./steady-state";

export interface Output {
  write(text: string): void;
}

export interface CliDeps {
  readonly stdout: Output & { readonly isTTY?: boolean };
  readonly stderr: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly loadStack: (stack: string) => Promise<ClusterOutputs>;
  readonly createDriver: (handle: ClusterOutputs["driver"]) => NodeDriver;
  /** The probes of a run (default: OpenID Connect against Keycloak). */
  readonly createProbes?: (outputs: ClusterOutputs) => ClusterProbes;
  /** A node's readiness and cluster size (default: its management port). */
  readonly health?: (node: LiveNode) => Promise<NodeHealth>;
  readonly signal?: AbortSignal;
  /** Registers a last-moment handler (process exit); returns its removal. */
  readonly onExit?: (handler: () => void) => () => void;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long `--restore` waits for the steady state. */
  readonly restoreWaitMs?: number;
}

/** Where restore records and locks live, in the working directory. */
export const StateDir = ".chaos";

/** Reads a stack's outputs through the Automation API (the pulumi CLI must be on PATH). */
export async function loadStackOutputs(stack: string, workDir: string): Promise<ClusterOutputs> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
  const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir });
  return parseClusterOutputs(plainOutputs(await selected.outputs()), `stack ${stack}`);
}

export async function main(argv: readonly string[], deps: CliDeps): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    deps.stderr.write(`${describeError(error)}\n`);
    return ExitCode.aborted;
  }
  if (options.help) {
    deps.stdout.write(`${Usage}\n`);
    return ExitCode.passed;
  }
  const source = options.outputsFile ? `file ${options.outputsFile}` : `stack ${options.stack}`;
  let outputs: ClusterOutputs;
  try {
    outputs = options.outputsFile
      ? await readOutputsFile(path.resolve(deps.cwd, options.outputsFile))
      : await deps.loadStack(options.stack);
  } catch (error) {
    const hint = options.restore ? "; or name the record with --restore-file" : "";
    deps.stderr.write(`cannot read the cluster from ${source}: ${describeError(error)}${hint}\n`);
    return ExitCode.aborted;
  }
  const state = path.resolve(deps.cwd, StateDir);
  const restoreFile = new RestoreFile(
    options.restoreFile ? path.resolve(deps.cwd, options.restoreFile) : recordPath(state, outputs.clusterId),
  );
  let lock: Lock;
  try {
    lock = await acquireLock(lockPath(state, outputs.clusterId), `${options.restore ? "chaos --restore" : "chaos run"} on ${source}`);
  } catch (error) {
    deps.stderr.write(`${describeError(error)}\n`);
    return error instanceof LockedError ? ExitCode.aborted : ExitCode.error;
  }
  try {
    return options.restore ? await restore(restoreFile, deps) : await run(options, outputs, source, restoreFile, deps);
  } finally {
    await lock.release();
  }
}

/** Everything that can refuse the run, all at once. */
function refusals(options: CliOptions, outputs: ClusterOutputs, source: string, driver: NodeDriver | undefined): string[] {
  const problems = blastRadiusProblems({
    nodes: outputs.clusterSize,
    nodesPerFault: options.nodesPerFault,
    volatileSessions: outputs.sessionMode === "volatile",
    owners: CacheOwners,
    allowLoss: options.allowLoss,
  });
  if (outputs.environment === "production" && !options.yes) {
    problems.push(`${source} is a production stack: add --yes to break its nodes`);
  }
  if (driver && options.fault !== undefined && !(driver.faults as readonly FaultKind[]).includes(options.fault)) {
    problems.push(`--fault ${options.fault} is not a fault the ${driver.kind} driver can inject; use one of: ${driver.faults.join(", ")}`);
  }
  return problems;
}

async function run(options: CliOptions, outputs: ClusterOutputs, source: string, restoreFile: RestoreFile, deps: CliDeps): Promise<number> {
  let driver: NodeDriver | undefined;
  const problems: string[] = [];
  try {
    driver = deps.createDriver(outputs.driver);
  } catch (error) {
    problems.push(`${source}: ${describeError(error)}`);
  }
  problems.push(...refusals(options, outputs, source, driver));
  if (problems.length || !driver) {
    deps.stderr.write(`${new UsageError(problems).message}\n`);
    return ExitCode.aborted;
  }
  const reporters = createReporters({
    dir: path.resolve(deps.cwd, options.reportDir),
    json: options.json,
    stream: deps.stdout,
    isTTY: deps.stdout.isTTY ?? false,
    noColor: deps.env.NO_COLOR !== undefined,
  });
  // A process that dies without finishing still leaves the journal of what it saw.
  const unhook = deps.onExit?.(() => reporters.flushSync()) ?? (() => undefined);
  let exitCode: number = ExitCode.error;
  try {
    const result = await runChaos(
      { ...options, fault: options.fault ?? driver.faults[0] },
      {
        outputs,
        source,
        probes: (deps.createProbes ?? ((o) => new KeycloakProbes(o)))(outputs),
        driver,
        sink: reporters.sink,
        restoreFile,
        sleep: deps.sleep ?? realSleep,
        signal: deps.signal,
      },
    );
    exitCode = result.exitCode;
  } finally {
    unhook();
    const { files } = await reporters.finish();
    if (!options.json) {
      deps.stdout.write(`reports: ${files.join(", ")}\n`);
    }
  }
  return exitCode;
}

/** `--restore`: undoes what the record names, then waits until every node is ready with the full cluster size. */
async function restore(file: RestoreFile, deps: CliDeps): Promise<number> {
  let record;
  try {
    record = await file.read();
  } catch (error) {
    deps.stderr.write(`${describeError(error)}\n`);
    return error instanceof RestoreRecordError ? ExitCode.aborted : ExitCode.error;
  }
  if (!record) {
    deps.stdout.write(`nothing to restore (${file.file})\n`);
    return ExitCode.passed;
  }
  const driver = deps.createDriver(record.driver);
  const restored: string[] = [];
  const failed: string[] = [];
  for (const target of record.faults) {
    try {
      await driver.restore(target);
      restored.push(target.node);
    } catch (error) {
      failed.push(`${target.node}: ${describeError(error)}`);
    }
  }
  deps.stdout.write(`restored: ${restored.join(", ") || "none"}\n`);
  if (failed.length) {
    deps.stderr.write(`could not restore ${failed.join("; ")}; the record ${file.file} stays\n`);
    return ExitCode.failed;
  }
  await file.clear();
  const started = performance.now();
  const health = { useNodes: () => undefined, health: deps.health ?? ((node: LiveNode) => nodeHealth(node.managementUrl)) };
  const steady = await awaitSteadyState(
    driver,
    health,
    { clusterSize: record.clusterSize },
    deps.restoreWaitMs ?? 300_000,
    deps.sleep ?? realSleep,
  );
  const took = `${((performance.now() - started) / 1000).toFixed(1)}s`;
  if (!steady.ok) {
    deps.stderr.write(`the nodes were restored, but the steady state is not back after ${took}: ${steady.message}\n`);
    return ExitCode.failed;
  }
  deps.stdout.write(
    `steady state back after ${took}: ${steady.nodes.map((n) => `${n.id} ready, cluster size ${n.clusterSize ?? "?"}`).join("; ")}\n`,
  );
  return ExitCode.passed;
}

if (require.main === module) {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (controller.signal.aborted) {
        process.stderr.write(
          `\n${signal} again: exiting now; nodes still broken are named in the restore record (npm run chaos -- --restore)\n`,
        );
        process.exit(130);
      }
      process.stderr.write(`\n${signal}: stopping after the current step and restoring every broken node… (again to exit at once)\n`);
      controller.abort();
    });
  }
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    loadStack: (stack) => loadStackOutputs(stack, path.resolve(__dirname, "..")),
    createDriver,
    signal: controller.signal,
    onExit: (handler) => {
      process.on("exit", handler);
      return () => process.off("exit", handler);
    },
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`internal error: ${describeError(error)}\n`);
      process.exit(ExitCode.error);
    },
  );
}
