/**
 * Benchmark: how long a fault is felt, with Keycloak's default cache settings and with the
 * project's tuned ones (stacks/cache/fast-failure-detection.xml, keycloak.clusterTls false), in
 * the same run, on the same machine. For each session mode and each profile it deploys a 3-node
 * Docker stack through the real engine, runs `npm run chaos` once per fault kind (continuous
 * traffic through the load balancer), optionally leaves the cluster idle and counts its view
 * changes, destroys the stack, and prints one table with tuned ÷ default ratios. Both profiles
 * use the same load balancer (components/docker/haproxy.ts). Traffic goes only to 127.0.0.1.
 *   npm run bench:failover -- [--rounds 1] [--faults stop,kill,pause] [--modes persistent,volatile] [--idle-minutes 0]
 * offline/run.sh prepares the Docker engine, the images and the toolchain first.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { chaos, ChaosPorts, localImages, removeLeftovers, repoRoot, selectStack, StackConfig, TunedFailover } from "../test/e2e/harness";
import { cells, FailoverNumbers, failoverNumbers, ratio } from "./failover-summary";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "1" },
    faults: { type: "string", default: "stop,kill,pause" },
    modes: { type: "string", default: "persistent,volatile" },
    "idle-minutes": { type: "string", default: "0" },
    sessions: { type: "string", default: "12" },
  },
});
const rounds = Number(values.rounds);
const faults = values.faults.split(",");
const modes = values.modes.split(",") as ("persistent" | "volatile")[];
const idleMinutes = Number(values["idle-minutes"]);

const Profiles: Record<string, StackConfig> = {
  defaults: {},
  tuned: TunedFailover,
};

/** JGroups views the nodes installed since `since` (ISO time): new and merged views. */
function viewChanges(prefix: string, since: string): number {
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const log = execFileSync("docker", ["logs", "--since", since, `${prefix}-kc-${i}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    count += log.split("\n").filter((line) => /ISPN00009[34]/.test(line)).length;
  }
  return count;
}

async function main() {
  await removeLeftovers("kc-bench-");
  const results = new Map<string, FailoverNumbers>();
  const idle = new Map<string, number>();
  for (const mode of modes) {
    for (const [profile, config] of Object.entries(Profiles)) {
      const name = `bench-${mode.slice(0, 3)}-${profile}`;
      const stack = await selectStack(name, { ...ChaosPorts, "keycloak.nodes": 3, "realm.testUsers": 6, ...localImages(mode), ...config });
      console.log(`\n=== ${mode} / ${profile}: pulumi up ${name}`);
      try {
        await stack.up({ onOutput: () => undefined });
        if (idleMinutes > 0 && mode === "persistent") {
          const since = new Date().toISOString();
          console.log(`=== idle for ${idleMinutes} min, counting view changes`);
          await new Promise((ok) => setTimeout(ok, idleMinutes * 60_000));
          idle.set(profile, viewChanges(`kc-${name}`, since));
        }
        for (const fault of faults) {
          const dir = path.join(repoRoot, "reports", "bench", `${name}-${fault}`);
          const run = await chaos(
            ["--stack", name, "--rounds", String(rounds), "--seed", "13", "--sessions", values.sessions, "--fault", fault],
            dir,
          );
          results.set(`${mode}/${fault}/${profile}`, failoverNumbers(run.journal.events, run.code));
        }
      } finally {
        await stack.destroy({ onOutput: () => undefined });
        await stack.workspace.removeStack(name);
      }
    }
  }
  const head = ["error rate", "last failure", "first clean check", "p95", "failed checks", "lost", "exit"];
  console.log(`\nFailover, 3 nodes, ${rounds} round(s) per fault, traffic through the load balancer (same run, same machine)`);
  console.log(["mode", "fault", "profile", ...head].join(" | "));
  for (const mode of modes) {
    for (const fault of faults) {
      for (const profile of Object.keys(Profiles)) {
        const n = results.get(`${mode}/${fault}/${profile}`);
        console.log([mode, fault, profile, ...(n ? cells(n) : ["not run"])].join(" | "));
      }
      const d = results.get(`${mode}/${fault}/defaults`);
      const t = results.get(`${mode}/${fault}/tuned`);
      if (d && t && d.rounds > 0 && t.rounds > 0) {
        console.log(
          [
            mode,
            fault,
            "tuned ÷ defaults",
            ratio(t.errorRate, d.errorRate),
            ratio(t.windowMs, d.windowMs),
            ratio(t.firstCleanMs, d.firstCleanMs),
            ratio(t.p95Ms, d.p95Ms),
          ].join(" | "),
        );
      }
    }
  }
  for (const [profile, count] of idle) {
    console.log(`idle ${idleMinutes} min, ${profile}: ${count} view change(s) logged by the 3 nodes`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(3);
});
