/**
 * `npm run chaos`: one place turns errors into exit codes. Everything is validated (options,
 * outputs, blast radius, production guard) before any node is touched.
 */
import path from "node:path";
import { ClusterOutputs, NodeEndpoint } from "../components/shared/outputs";
import { parseClusterOutputs, plainOutputs, readOutputsFile } from "./cluster-outputs";
import { DockerDriver } from "./drivers/docker";
import { NodeDriver } from "./drivers/driver";
import { ExitCode } from "./events";
import { CliOptions, parseOptions, Usage, UsageError } from "./options";
import { blastRadiusProblems, CacheOwners } from "./plan";
import { describeError } from "./pool";
import { KeycloakProbes } from "./probes/keycloak";
import { createReporters } from "./report/index";
import { RestoreFile, restoreAll } from "./restore";
import { runChaos } from "./runner";

export interface Output {
  write(text: string): void;
}

export interface CliDeps {
  readonly stdout: Output & { readonly isTTY?: boolean };
  readonly stderr: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly loadStack: (stack: string) => Promise<ClusterOutputs>;
  readonly driverFor: (node: NodeEndpoint) => NodeDriver;
  readonly signal?: AbortSignal;
}

/** Drivers by handle kind; the kubernetes and aws drivers come with their targets. */
export function defaultDriverFor(): (node: NodeEndpoint) => NodeDriver {
  const docker = new DockerDriver();
  return (node) => {
    if (node.driver.kind === "docker") {
      return docker;
    }
    throw new UsageError([`node ${node.id}: no ${node.driver.kind} driver yet (only docker is built)`]);
  };
}

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
  const restoreFile = new RestoreFile(
    path.resolve(deps.cwd, options.restoreFile ?? `.chaos/restore-${options.outputsFile ? path.basename(options.outputsFile, ".json") : options.stack}.json`),
  );

  if (options.restore) {
    const { restored, failed } = await restoreAll(restoreFile, deps.driverFor);
    deps.stdout.write(restored.length || failed.length ? `restored: ${restored.join(", ") || "none"}\n` : `nothing to restore (${restoreFile.file})\n`);
    for (const f of failed) {
      deps.stderr.write(`could not restore ${f}\n`);
    }
    return failed.length ? ExitCode.error : ExitCode.passed;
  }

  let outputs: ClusterOutputs;
  try {
    outputs = options.outputsFile ? await readOutputsFile(path.resolve(deps.cwd, options.outputsFile)) : await deps.loadStack(options.stack);
  } catch (error) {
    deps.stderr.write(`cannot read the cluster from ${source}: ${describeError(error)}\n`);
    return ExitCode.aborted;
  }
  const problems = blastRadiusProblems({
    nodes: outputs.nodes.length,
    nodesPerFault: options.nodesPerFault,
    volatileSessions: outputs.sessionMode === "volatile",
    owners: CacheOwners,
    allowLoss: options.allowLoss,
  });
  if (outputs.environment === "production" && !options.yes) {
    problems.push(`${source} is a production stack: add --yes to break its nodes`);
  }
  try {
    outputs.nodes.forEach((n) => deps.driverFor(n));
  } catch (error) {
    problems.push(...(error instanceof UsageError ? error.problems : [describeError(error)]));
  }
  if (problems.length) {
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
  let exitCode: number = ExitCode.error;
  try {
    const result = await runChaos(options, {
      outputs,
      source,
      probes: new KeycloakProbes(outputs),
      driverFor: deps.driverFor,
      sink: reporters.sink,
      restoreFile,
      sleep: (ms) => new Promise((ok) => setTimeout(ok, ms)),
      signal: deps.signal,
    });
    exitCode = result.exitCode;
  } finally {
    const { files } = await reporters.finish();
    if (!options.json) {
      deps.stdout.write(`reports: ${files.join(", ")}\n`);
    }
  }
  return exitCode;
}

if (require.main === module) {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping after the current step and restoring every stopped node…\n`);
      controller.abort();
    });
  }
  const cwd = process.cwd();
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd,
    loadStack: (stack) => loadStackOutputs(stack, path.resolve(__dirname, "..")),
    driverFor: defaultDriverFor(),
    signal: controller.signal,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`internal error: ${describeError(error)}\n`);
      process.exit(ExitCode.error);
    },
  );
}
