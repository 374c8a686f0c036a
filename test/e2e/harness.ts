/**
 * Stacks deployed through the REAL Pulumi engine (CLI + Node.js language host running
 * stacks/index.ts) for end-to-end tests. Run under offline/run.sh, which prepares the machine
 * and puts the toolchain (and, offline, the stand-in docker provider) on PATH.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigMap, LocalWorkspace, OpMap, Stack } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import { parseClusterOutputs, plainOutputs } from "../../chaos/cluster-outputs";
import { ChaosEvent } from "../../chaos/events";
import { KeycloakVersion } from "../../components/keycloak/version";
import { ClusterOutputs } from "../../components/shared/outputs";
import { localKeycloakImage } from "../../offline/local-image";

export const repoRoot = path.resolve(__dirname, "../..");
export const docker = new Docker();

/** Config keys by path (`keycloak.nodes`) without the namespace. */
export type StackConfig = Record<string, string | number | boolean>;

/**
 * Published ports of the chaos cases and the failover benchmark: below the kernel's ephemeral range
 * (32768+), where an outgoing connection of the engine, kubelet or Pulumi can already hold a port and
 * make Docker's publish fail with "address already in use".
 */
export const ChaosPorts: StackConfig = {
  "docker.loadBalancerPort": 28080,
  "docker.nodeHttpBasePort": 28180,
  "docker.nodeManagementBasePort": 29100,
};

/**
 * The project's tuned failover, as the dev stack (Pulumi.dev.yaml) sets it; a unit test keeps the
 * two in step (test/stacks/dev-stack.test.ts).
 */
export const TunedFailover: StackConfig = {
  "keycloak.cacheConfigFile": "stacks/cache/fast-failure-detection.xml",
  "keycloak.clusterTls": false,
};

/** The local images the offline scripts build (no registry here). */
export function localImages(sessionMode: "persistent" | "volatile"): StackConfig {
  const haproxy = execFileSync("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "keycloak-cluster/haproxy"], {
    encoding: "utf8",
  })
    .split("\n")[0]
    .trim();
  if (!haproxy) {
    throw new Error("no local HAProxy image: run offline/images.sh all (npm run test:e2e does)");
  }
  return {
    "keycloak.image": localKeycloakImage(KeycloakVersion.pinned.toString(), sessionMode),
    "keycloak.optimizedImage": true,
    "keycloak.sessionMode": sessionMode,
    "docker.databaseImage": "keycloak-cluster/postgres:15",
    "docker.loadBalancerImage": haproxy,
  };
}

export function requireToolchain(): void {
  for (const bin of ["pulumi", "pulumi-language-nodejs"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    } catch {
      throw new Error(`${bin} is not on PATH: run the end-to-end tests with \`npm run test:e2e\` (offline/run.sh prepares it)`);
    }
  }
}

export async function selectStack(name: string, config: StackConfig): Promise<Stack> {
  requireToolchain();
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: repoRoot });
  await setConfig(stack, config);
  return stack;
}

export async function setConfig(stack: Stack, config: StackConfig): Promise<void> {
  const map: ConfigMap = {};
  for (const [key, value] of Object.entries(config)) {
    map[`keycloak-cluster:${key}`] = { value: String(value) };
  }
  await stack.setAllConfig(map, true);
}

export async function clusterOutputs(stack: Stack): Promise<ClusterOutputs> {
  return parseClusterOutputs(plainOutputs(await stack.outputs()), `stack ${stack.name}`);
}

/** The nodes of a docker stack as its outputs list them. */
export function dockerNodes(outputs: ClusterOutputs) {
  if (outputs.driver.kind !== "docker") {
    throw new Error(`expected a docker stack, got ${outputs.driver.kind}`);
  }
  return outputs.driver.nodes;
}

/** Operations other than "same", e.g. { create: 1 }. */
export function changes(ops: OpMap | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(ops ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0));
}

/** Docker objects that carry this stack's label. */
export async function leftovers(prefix: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`keycloak-cluster.stack=${prefix}`] });
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  return [
    ...containers.map((c) => `container ${c.Names.join(",")}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...volumes.map((v) => `volume ${v.Name}`),
  ];
}

/**
 * Writes the logs (stdout and stderr, with timestamps) of this stack's containers to
 * `dir/<container>.log`, for a failed case's post-mortem; returns the files written.
 */
export async function saveContainerLogs(prefix: string, dir: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`keycloak-cluster.stack=${prefix}`] });
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const c of await docker.listContainers({ all: true, filters })) {
    const file = path.join(dir, `${c.Names[0].replace(/^\//, "")}.log`);
    await writeFile(file, await containerLog(c.Id, { timestamps: true }));
    written.push(file);
  }
  return written;
}

/** The log (stdout and stderr) of one container (name or id), as text. */
export async function containerLog(container: string, opts: { timestamps?: boolean } = {}): Promise<string> {
  const logs = await docker
    .getContainer(container)
    .logs({ stdout: true, stderr: true, timestamps: opts.timestamps ?? false, follow: false });
  return demuxLogs(logs).toString("utf8");
}

/** The text of Docker's multiplexed log stream (8-byte frame headers) of a container without a TTY. */
function demuxLogs(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts);
}

/**
 * Removes the Docker objects an earlier, interrupted run of these tests left behind: those whose
 * keycloak-cluster.stack label starts with `prefix` (only the project labels them). The Pulumi
 * state of that run lives in its own checkout, so nothing else would ever delete them, and their
 * names and published ports would make this run's `pulumi up` fail. Returns what it removed.
 */
export async function removeLeftovers(prefix: string): Promise<string[]> {
  const filters = JSON.stringify({ label: ["keycloak-cluster.stack"] });
  const ours = (labels: Record<string, string> | undefined) => (labels?.["keycloak-cluster.stack"] ?? "").startsWith(prefix);
  const removed: string[] = [];
  for (const c of (await docker.listContainers({ all: true, filters })).filter((c) => ours(c.Labels))) {
    await docker.getContainer(c.Id).remove({ force: true, v: true });
    removed.push(`container ${c.Names.join(",")}`);
  }
  for (const n of (await docker.listNetworks({ filters })).filter((n) => ours(n.Labels))) {
    await docker.getNetwork(n.Id).remove();
    removed.push(`network ${n.Name}`);
  }
  for (const v of ((await docker.listVolumes({ filters })).Volumes ?? []).filter((v) => ours(v.Labels ?? undefined))) {
    await docker.getVolume(v.Name).remove();
    removed.push(`volume ${v.Name}`);
  }
  if (removed.length > 0) {
    console.warn(`removed what an earlier run left behind: ${removed.join("; ")}`);
  }
  return removed;
}

/**
 * The check failures of a run that were blips, not losses: session checks (userinfo, refresh,
 * prompt=none) that failed while the fault held, for subjects that every check after the restore
 * passed. Everything else that failed is in `other`. Seen on real pods: a force-deleted pod's
 * container still runs its shutdown for a moment, and a survivor's request that reaches it then
 * answers 500 (Infinispan ISPN000324: cache 'sessions' is in 'STOPPING' state).
 */
export function checkFailures(events: readonly ChaosEvent[]): { blips: string[]; other: string[] } {
  const checks = events.filter((e) => e.type === "check");
  const failedAfter = new Set(checks.filter((c) => c.phase === "after").flatMap((c) => c.failures.map((f) => f.subject)));
  const sessionCheck = (name: string) => ["userinfo", "refresh", "sso-cookie"].includes(name);
  const blips: string[] = [];
  const other: string[] = [];
  for (const check of checks) {
    for (const failure of check.failures) {
      const line = `round ${check.round} ${check.phase} ${check.check} @${check.node}: ${failure.subject} ${failure.detail}`;
      const blip = check.phase === "during" && sessionCheck(check.check) && !failedAfter.has(failure.subject);
      (blip ? blips : other).push(line);
    }
  }
  return { blips, other };
}

/** Polls until `check` returns true or the time is up. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await new Promise((ok) => setTimeout(ok, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

/** Resident memory of a container in MiB. */
export async function memoryMiB(container: string): Promise<number> {
  const stats = (await docker.getContainer(container).stats({ stream: false })) as {
    memory_stats: { usage: number; stats?: Record<string, number> };
  };
  const cache = stats.memory_stats.stats?.total_inactive_file ?? stats.memory_stats.stats?.inactive_file ?? 0;
  return Math.round((stats.memory_stats.usage - cache) / 1048576);
}

export interface ChaosRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Absent when the run was refused before any report was started. */
  readonly journal: { events: ChaosEvent[] };
}

/** Runs the chaos command as a user would, bounded in time. */
export async function chaos(args: string[], reportDir: string): Promise<ChaosRun> {
  const child = spawn(path.join(repoRoot, "node_modules/.bin/tsx"), ["chaos/cli.ts", ...args, "--report-dir", reportDir], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    process.stdout.write(chunk);
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  const timer = setTimeout(() => child.kill("SIGINT"), 25 * 60_000);
  const code = await new Promise<number>((ok) => child.on("exit", (c) => ok(c ?? 3)));
  clearTimeout(timer);
  const journal = await readFile(path.join(reportDir, "chaos-journal.json"), "utf8").then(
    (text) => JSON.parse(text) as { events: ChaosEvent[] },
    () => ({ events: [] }),
  );
  return { code, stdout, stderr, journal };
}

export function reportsDir(name: string): string {
  return path.join(repoRoot, "reports", "e2e", name);
}
