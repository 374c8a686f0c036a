/**
 * Benchmark: `start --optimized` on an image built for the cluster's options vs plain `start`
 * (which re-augments at every start), same machine, same database, alternating, same run.
 * Prints each start's time to /health/ready and the ratio of medians. Needs the local images
 * (offline/images.sh) and a Docker engine; talks only to 127.0.0.1 and its own network.
 *   tsx bench/start-mode.ts [repetitions=2]
 */
import Docker from "dockerode";
import { envList } from "../components/docker/containers";
import { ClusterSpec } from "../components/keycloak/model";
import { NodeValue } from "../components/keycloak/node-value";
import { jdbcUrl, nodeEnvironment, SecretEnv, startCommand } from "../components/keycloak/settings";

const docker = new Docker();
const reps = Number(process.argv[2] ?? 2);
const net = "kc-bench-net";
const port = 29990;
const password = "bench-only-password";

const spec = (optimized: boolean): ClusterSpec => ({
  environment: "dev",
  keycloak: {
    version: "26.7.3",
    image: optimized ? "keycloak-cluster/keycloak:26.7.3-persistent" : "keycloak-cluster/keycloak:26.7.3",
    optimizedImage: optimized,
    nodes: 1,
    sessionMode: "persistent",
    cacheMode: "ispn",
    discovery: "jdbc-ping",
    publicUrl: "http://127.0.0.1:8080",
    adminUsername: "admin",
    resources: { limits: { cpus: 2, memoryMb: 1536 } },
    logLevel: "info",
    dbPoolMaxSize: 20,
    clusterTls: true,
  },
  database: {
    mode: "managed",
    name: "keycloak",
    username: "keycloak",
    resources: { limits: { cpus: 1, memoryMb: 512 } },
    storageGb: 1,
    maxConnections: 200,
    passwordRotation: 0,
    idleInTransactionSeconds: 10,
  },
  loadBalancer: { affinity: false },
  realm: { name: "chaos", clientId: "c", redirectUri: "http://127.0.0.1/cb", testUsers: 1 },
});

async function ready(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return true;
    } catch {
      // not yet
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  return false;
}

async function startOnce(optimized: boolean): Promise<number> {
  const s = spec(optimized);
  const env = nodeEnvironment(s, { nodeName: NodeValue.literal("kc-bench"), dbUrl: jdbcUrl("kc-bench-db", 5432, "keycloak") });
  const container = await docker.createContainer({
    name: "kc-bench-kc",
    Image: s.keycloak.image,
    Cmd: startCommand(s).filter((a) => a !== "--import-realm"),
    Env: [...envList(env), `${SecretEnv.dbPassword}=${password}`, `${SecretEnv.adminPassword}=${password}`],
    HostConfig: { NetworkMode: net, PortBindings: { "9000/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] } },
    ExposedPorts: { "9000/tcp": {} },
  });
  const t0 = performance.now();
  try {
    await container.start();
    if (!(await ready(`http://127.0.0.1:${port}/health/ready`, 300_000)))
      throw new Error(`${optimized ? "optimized" : "plain"} start never became ready`);
    return Math.round(performance.now() - t0);
  } finally {
    await container.remove({ force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  await docker.createNetwork({ Name: net, Labels: { "keycloak-cluster.stack": "bench" } });
  const db = await docker.createContainer({
    name: "kc-bench-db",
    Image: "keycloak-cluster/postgres:15",
    Env: ["POSTGRES_DB=keycloak", "POSTGRES_USER=keycloak", `POSTGRES_PASSWORD=${password}`],
    HostConfig: { NetworkMode: net },
  });
  try {
    await db.start();
    await new Promise((ok) => setTimeout(ok, 5000));
    console.log("warm-up (schema creation, not counted):", await startOnce(true), "ms");
    const times = { optimized: [] as number[], plain: [] as number[] };
    for (let i = 0; i < reps; i++) {
      times.optimized.push(await startOnce(true));
      times.plain.push(await startOnce(false));
      console.log(`rep ${i + 1}: optimized ${times.optimized[i]} ms, plain ${times.plain[i]} ms`);
    }
    const ratio = median(times.plain) / median(times.optimized);
    console.log(
      `median to ready: optimized ${median(times.optimized)} ms, plain start ${median(times.plain)} ms; plain/optimized = ${ratio.toFixed(2)}`,
    );
  } finally {
    await db.remove({ force: true });
    await docker.getNetwork(net).remove();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
