/** Command-line options: parsed apart from the command, validated all at once. */
import { parseArgs } from "node:util";
import { FaultKind } from "./events";
import { newSeed } from "./plan";
import { RunOptions } from "./runner";

export interface CliOptions extends Omit<RunOptions, "fault"> {
  /** Absent: the driver's default fault. */
  readonly fault?: FaultKind;
  readonly stack: string;
  readonly outputsFile?: string;
  readonly reportDir: string;
  readonly json: boolean;
  readonly restore: boolean;
  readonly yes: boolean;
  readonly restoreFile?: string;
  readonly help: boolean;
}

export const Usage = `npm run chaos -- [options]

Logs users in over OpenID Connect, stops random Keycloak nodes and proves that login sessions
survive. Reads the cluster from a stack (Automation API) or from a JSON file of
\`pulumi stack output --json --show-secrets\`.

Where the cluster comes from:
  --stack NAME            stack to read (default: dev)
  --outputs FILE          read the outputs from FILE instead of a stack

What to break:
  --rounds N              rounds of fault + checks + restore (default: 3)
  --fault KIND            what breaks a node; each target's driver supports its own:
                            docker: kill (SIGKILL, the default) | stop (graceful) | pause (freeze)
                            kubernetes: delete (with its grace period, the default) | force-delete
                            aws: stop (the default) | terminate
  --nodes-per-fault N     nodes broken together each round (default: 1; at most nodes - 1)
  --allow-loss            allow breaking as many nodes at once as a cache entry has owners (2):
                          logins in progress and unredeemed codes can then be lost (volatile
                          sessions too), and the report says so
  --seed N                seed for victims and timing (default: random; printed in every report)

What must hold:
  --sessions N            logged-in sessions, spread over all nodes (default: 30)
  --in-flight N           logins in progress and unredeemed codes per node per round (default: 2)
  --traffic-rate N        requests per second through the load balancer during a round (default: 10)
  --hold SECONDS          keep each round's fault at least this long after it is verified (the
                          checks run first; traffic continues), then restore (default: 0)

Running:
  --dry-run               check the steady state and print the plan; touch nothing
  --yes                   required for stacks whose environment is production
  --restore               restore the nodes a killed run left broken (reads the restore record),
                          then wait until every node is ready with the full cluster size
  --restore-file FILE     where the restore record lives (default: .chaos/restore-<cluster>.json)
  --report-dir DIR        where reports go (default: reports/chaos-<time>)
  --json                  NDJSON events on stdout instead of text
  -h, --help              this text

Exit codes: 0 passed, 1 sessions lost or checks failed, 2 aborted (steady state or bad input),
3 internal error.`;

export class UsageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid options:\n${problems.map((p) => `  - ${p}`).join("\n")}\n(see --help)`);
    this.name = "UsageError";
  }
}

function wholeNumber(problems: string[], flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) {
    return fallback;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.push(`${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return fallback;
  }
  return value;
}

export function parseOptions(argv: readonly string[], now: Date = new Date()): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        outputs: { type: "string" },
        rounds: { type: "string" },
        fault: { type: "string" },
        "nodes-per-fault": { type: "string" },
        "allow-loss": { type: "boolean" },
        seed: { type: "string" },
        sessions: { type: "string" },
        "in-flight": { type: "string" },
        "traffic-rate": { type: "string" },
        hold: { type: "string" },
        "dry-run": { type: "boolean" },
        yes: { type: "boolean" },
        restore: { type: "boolean" },
        "restore-file": { type: "string" },
        "report-dir": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError([error instanceof Error ? error.message : String(error)]);
  }
  const problems: string[] = [];
  const faults = Object.values(FaultKind) as string[];
  const fault = values.fault;
  if (fault !== undefined && !faults.includes(fault)) {
    problems.push(`--fault must be one of ${faults.join(", ")}, got "${fault}"`);
  }
  if (values.stack !== undefined && values.outputs !== undefined) {
    problems.push("--stack and --outputs exclude each other: give one");
  }
  const options: CliOptions = {
    stack: values.stack ?? "dev",
    outputsFile: values.outputs,
    rounds: wholeNumber(problems, "--rounds", values.rounds, 3, 1, 100),
    seed: wholeNumber(problems, "--seed", values.seed, newSeed(), 0, 0x7fffffff),
    fault: fault as FaultKind | undefined,
    nodesPerFault: wholeNumber(problems, "--nodes-per-fault", values["nodes-per-fault"], 1, 1, 64),
    sessions: wholeNumber(problems, "--sessions", values.sessions, 30, 1, 10000),
    inFlightPerNode: wholeNumber(problems, "--in-flight", values["in-flight"], 2, 0, 100),
    trafficPerSecond: wholeNumber(problems, "--traffic-rate", values["traffic-rate"], 10, 1, 200),
    holdMs: 1000 * wholeNumber(problems, "--hold", values.hold, 0, 0, 600),
    allowLoss: values["allow-loss"] ?? false,
    dryRun: values["dry-run"] ?? false,
    yes: values.yes ?? false,
    restore: values.restore ?? false,
    restoreFile: values["restore-file"],
    reportDir: values["report-dir"] ?? `reports/chaos-${now.toISOString().replace(/[:.]/g, "-")}`,
    json: values.json ?? false,
    help: values.help ?? false,
    steadyTimeoutMs: 60_000,
    restoreTimeoutMs: 300_000,
    faultTimeoutMs: 90_000,
    maxDelayMs: 2_000,
  };
  if (problems.length) {
    throw new UsageError(problems);
  }
  return options;
}
