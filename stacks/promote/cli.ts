/**
 * `npm run promote -- --from dev --to prod [--dry-run] [--yes] [--json] [keys...]`: copies the
 * promoted keys (stacks/promote/plan.ts) from one stack to another through the Pulumi CLI (the
 * Automation API reads and writes config; the CLI re-encrypts secrets for the destination),
 * shows the diff, validates the destination as `pulumi up` would plus the production rules, asks
 * unless --yes, and writes all of it or nothing.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigMap, LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { SecretText } from "../../components/shared/secret";
import { formatProblems, Namespace, parseConfig } from "../config";
import { targetContext } from "../load";
import { SecretPaths } from "../schema";
import { flatten, nest, planJson, planPromotion, productionProblems, PromotionError, renderPlan, Settings } from "./plan";

export const Usage = `npm run promote -- --from STACK --to STACK [options] [keys...]

Copies the keys every stack shares (Keycloak version, session and cache modes, log level, realm,
load balancer affinity, database name and user) from one stack to another; per-stack keys
(target and its settings, environment, nodes, hostname, images, resources, the database's mode,
URL and password) are never promoted, and keys only the destination has are kept. The
destination is validated as pulumi up validates it, plus the production rules, before anything
is written; then all is written, or nothing.

  --from STACK    source stack
  --to STACK      destination stack
  keys...         only these promoted keys (default: every promoted key the source sets)
  --dry-run       show the diff and the validation; write nothing
  --yes           write without asking (required when not on a terminal)
  --json          the plan as JSON on stdout (secrets as "[secret]")
  -h, --help      this text

Exit codes: 0 promoted (or dry run passed), 1 the write failed (nothing changed), 2 refused.`;

export interface PromoteDeps {
  readonly stdout: { write(text: string): void; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): void };
  readonly workDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Asks the user; true to go on. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
}

interface Options {
  readonly from: string;
  readonly to: string;
  readonly keys: string[];
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly json: boolean;
  readonly help: boolean;
}

function parse(argv: readonly string[]): Options {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean" },
      yes: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const problems = [
    values.from ? "" : "--from STACK is required",
    values.to ? "" : "--to STACK is required",
    values.from && values.from === values.to ? "--from and --to name the same stack" : "",
  ].filter(Boolean);
  if (problems.length && !values.help) {
    throw new PromotionError(problems);
  }
  return {
    from: values.from ?? "",
    to: values.to ?? "",
    keys: positionals,
    dryRun: values["dry-run"] ?? false,
    yes: values.yes ?? false,
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

/** What `pulumi up` would say of the destination after the promotion. */
function validate(result: Settings, destinationAll: ConfigMap, env: NodeJS.ProcessEnv, stack: string): string[] {
  const values = nest(new Map([...result].filter(([key]) => !key.includes(":"))));
  for (const secretPath of SecretPaths) {
    const setting = result.get(secretPath);
    const [section, field] = secretPath.split(".");
    if (setting?.secret && typeof setting.value === "string") {
      (values[section] as Record<string, unknown>)[field] = new SecretText(setting.value);
    }
  }
  const plain = Object.fromEntries(Object.entries(destinationAll).map(([k, v]) => [k, v.value]));
  const parsed = parseConfig({ values, problems: [] }, targetContext(plain, env, stack));
  const problems = parsed.ok
    ? []
    : formatProblems(parsed.problems)
        .split("\n")
        .slice(1)
        .map((l) => l.replace(/^ {2}- /, ""));
  return [...problems, ...productionProblems(result).map((p) => `${Namespace}:${p}`)];
}

export async function main(argv: readonly string[], deps: PromoteDeps): Promise<number> {
  let options: Options;
  try {
    options = parse(argv);
  } catch (error) {
    deps.stderr.write(`${error instanceof Error ? error.message : String(error)}\n(see --help)\n`);
    return 2;
  }
  if (options.help) {
    deps.stdout.write(`${Usage}\n`);
    return 0;
  }
  const workspace = await LocalWorkspace.create({ workDir: deps.workDir });
  let sourceAll: ConfigMap;
  let destinationAll: ConfigMap;
  try {
    [sourceAll, destinationAll] = await Promise.all([workspace.getAllConfig(options.from), workspace.getAllConfig(options.to)]);
  } catch (error) {
    deps.stderr.write(
      `nothing was promoted: cannot read the stacks' configuration: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`,
    );
    return 2;
  }
  let plan;
  try {
    plan = planPromotion(flatten(sourceAll), flatten(destinationAll), options.keys);
  } catch (error) {
    deps.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const problems = validate(plan.result, destinationAll, deps.env, options.to);
  const report = (written: boolean) =>
    options.json
      ? `${JSON.stringify({ ...planJson(plan, options.from, options.to, options.dryRun, written), problems }, null, 2)}\n`
      : `${renderPlan(plan, options.from, options.to)}\n`;
  if (problems.length) {
    deps.stdout.write(report(false));
    deps.stderr.write(`${new PromotionError(problems.map((p) => `${options.to}: ${p}`)).message}\n`);
    return 2;
  }
  if (options.dryRun || plan.writes.size === 0) {
    deps.stdout.write(report(false));
    if (!options.json) {
      deps.stdout.write(
        options.dryRun ? "dry run: nothing was written\n" : "nothing to promote: the destination already has these values\n",
      );
    }
    return 0;
  }
  if (!options.yes) {
    if (!options.json) {
      deps.stdout.write(report(false));
    }
    if (!deps.stdout.isTTY) {
      deps.stderr.write("nothing was promoted: not on a terminal, so nobody can confirm; review the diff and add --yes\n");
      return 2;
    }
    if (!(await deps.confirm(`write ${plan.writes.size} key(s) to ${options.to}? [y/N] `)) || deps.signal?.aborted) {
      deps.stderr.write("nothing was promoted\n");
      return 2;
    }
  }
  const written = await write(workspace, options.to, plan.writes, deps);
  if (!written.ok) {
    deps.stderr.write(`nothing was promoted: ${written.why}; ${options.to}'s configuration is as it was\n`);
    return 1;
  }
  deps.stdout.write(
    options.json ? report(true) : `${renderPlan(plan, options.from, options.to)}\npromoted ${plan.writes.size} key(s) to ${options.to}\n`,
  );
  return 0;
}

/** One `pulumi config set-all` with the writes; on a failure or an interrupt, the file as it was. */
async function write(
  workspace: LocalWorkspace,
  stack: string,
  writes: ReadonlyMap<string, { value: unknown; secret: boolean }>,
  deps: PromoteDeps,
) {
  const file = path.join(deps.workDir, `Pulumi.${stack}.yaml`);
  const before = await readFile(file).catch(() => undefined);
  const config: ConfigMap = Object.fromEntries(
    [...writes].map(([key, setting]) => [
      `${Namespace}:${key}`,
      { value: typeof setting.value === "string" ? setting.value : JSON.stringify(setting.value), secret: setting.secret },
    ]),
  );
  try {
    await workspace.setAllConfig(stack, config, true);
    if (deps.signal?.aborted) {
      throw new Error("interrupted");
    }
    return { ok: true as const };
  } catch (error) {
    if (before !== undefined) {
      await writeFile(file, before);
    }
    return { ok: false as const, why: error instanceof Error ? error.message.split("\n")[0] : String(error) };
  }
}

if (require.main === module) {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => controller.abort());
  }
  const confirm = async (question: string) => {
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
      rl.close();
    }
  };
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    workDir: path.resolve(__dirname, "../.."),
    env: process.env,
    confirm,
    signal: controller.signal,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(3);
    },
  );
}
