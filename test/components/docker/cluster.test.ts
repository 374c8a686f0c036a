import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { OutputNames, SecretOutputs } from "../../../components/shared/outputs";
import { RecordedResource, resolve } from "../../mocks";
import { failProgram, ProgramRun, runProgram } from "../../program";

const Container = "docker:index/container:Container";
const devConfig = {
  target: "docker",
  keycloak: { nodes: 3, sessionMode: "persistent", cacheMode: "ispn", discovery: "jdbc-ping" },
  realm: { name: "chaos", clientId: "chaos-cli", testUsers: 10 },
};

function envOf(container: RecordedResource): Record<string, string> {
  const envs = container.inputs.envs as string[];
  return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("the dev stack under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(devConfig, "dev");
    // Let every registration and output resolve.
    await resolve(run.outputs.nodes as never);
  });

  it("registers the network, PostgreSQL, three Keycloak nodes and the load balancer", () => {
    const names = run.recorder
      .ofType(Container)
      .map((c) => String(c.inputs.name))
      .sort();
    expect(names).toEqual(["kc-dev-db", "kc-dev-db-guard", "kc-dev-kc-0", "kc-dev-kc-1", "kc-dev-kc-2", "kc-dev-lb"]);
    expect(run.recorder.ofType("docker:index/network:Network").map((n) => n.inputs.name)).toEqual(["kc-dev-net"]);
    expect(run.recorder.ofType("docker:index/volume:Volume").map((n) => n.inputs.name)).toEqual(["kc-dev-pgdata"]);
  });

  it("gates each node: the next one waits until it has joined a cluster of every running node", () => {
    const gates = run.recorder.ofType("pulumi-nodejs:dynamic/keycloak-cluster:ClusterGate");
    expect(gates.map((g) => g.name)).toEqual(["keycloak-kc-0-joined", "keycloak-kc-1-joined", "keycloak-kc-2-joined"]);
    expect(gates[1].inputs).toMatchObject({ index: 1, generation: "keycloak-kc-1-id", clustered: true, timeoutSeconds: 600 });
    expect((gates[1].inputs.nodes as { metricsUrl: string }[]).map((n) => n.metricsUrl)).toEqual([
      "http://127.0.0.1:19000/metrics",
      "http://127.0.0.1:19001/metrics",
      "http://127.0.0.1:19002/metrics",
    ]);
  });

  it("hands every docker resource the stack's explicit provider, through opts", () => {
    const [provider] = run.recorder.ofType("pulumi:providers:docker");
    expect(provider.name).toBe("docker");
    const dockerResources = run.recorder.resources.filter((r) => r.type.startsWith("docker:"));
    expect(dockerResources.length).toBeGreaterThan(5);
    for (const resource of dockerResources) {
      expect(
        resource.provider?.startsWith(`${provider.urn}::`),
        `${resource.name} uses ${resource.provider ?? "the default provider"}`,
      ).toBe(true);
    }
  });

  it("gives PostgreSQL a named volume, the stack's connection limit, a health check and no published port", () => {
    const db = run.recorder.named("keycloak-db");
    expect(db.inputs.command).toEqual(["postgres", "-c", "max_connections=200"]);
    expect(db.inputs.volumes).toEqual([{ volumeName: "kc-dev-pgdata", containerPath: "/var/lib/postgresql/data" }]);
    expect(db.inputs.healthcheck).toMatchObject({ tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "keycloak", "-d", "keycloak"] });
    expect(db.inputs.ports).toBeUndefined();
    expect(db.inputs.restart).toBe("unless-stopped");
    expect(envOf(db)).toMatchObject({
      POSTGRES_DB: "keycloak",
      POSTGRES_USER: "keycloak",
      POSTGRES_PASSWORD: "generated-keycloak-db-password",
    });
  });

  it("runs the idle-transaction guard next to PostgreSQL: the database's image, its network, the current password as a secret", () => {
    const db = run.recorder.named("keycloak-db");
    const guard = run.recorder.named("keycloak-db-guard");
    expect(guard.inputs).toMatchObject({ name: "kc-dev-db-guard", image: db.inputs.image, restart: "unless-stopped", memory: 64 });
    expect(guard.inputs.networksAdvanced).toEqual([{ name: "kc-dev-net" }]);
    expect(guard.inputs.command).toEqual(["sh", "-c", expect.stringContaining("psql -X -q -At -v ON_ERROR_STOP=1")]);
    expect(guard.secretInputs).toContain("envs");
    expect(envOf(guard)).toMatchObject({
      PGHOST: "kc-dev-db",
      PGPORT: "5432",
      PGUSER: "keycloak",
      PGDATABASE: "keycloak",
      PGPASSWORD: "generated-keycloak-db-password",
    });
    expect(envOf(guard).KC_GUARD_SQL).toContain("interval '10 seconds'");
    expect(guard.inputs.ports).toBeUndefined();
  });

  it("database.idleInTransactionSeconds 0 runs no guard; another value is the guard's limit", async () => {
    const off = await runProgram({ ...devConfig, database: { idleInTransactionSeconds: 0 } }, "noguard");
    await resolve(off.outputs.nodes as never);
    expect(off.recorder.ofType(Container).map((c) => c.inputs.name)).not.toContain("kc-noguard-db-guard");
    const slow = await runProgram({ ...devConfig, database: { idleInTransactionSeconds: 45 } }, "slowguard");
    await resolve(slow.outputs.nodes as never);
    expect(envOf(slow.recorder.named("keycloak-db-guard")).KC_GUARD_SQL).toContain("interval '45 seconds'");
  });

  it("sets the generated password on PostgreSQL's role in the database container (RolePassword), as a secret", async () => {
    const [role] = run.recorder.ofType("pulumi-nodejs:dynamic/keycloak-cluster:RolePassword");
    expect(role.name).toBe("keycloak-db-role");
    expect(role.inputs).toMatchObject({
      container: "kc-dev-db",
      containerId: "keycloak-db-id",
      username: "keycloak",
      database: "keycloak",
    });
    expect(role.inputs.host).toBeUndefined();
    expect(role.inputs.password).toBe("generated-keycloak-db-password");
    expect(role.secretInputs).toContain("password");
  });

  it("clusters every node over jdbc-ping with distributed caches, its own node name and the fixed issuer", () => {
    for (const index of [0, 1, 2]) {
      const env = envOf(run.recorder.named(`keycloak-kc-${index}`));
      expect(env).toMatchObject({
        KC_CACHE: "ispn",
        KC_CACHE_STACK: "jdbc-ping",
        KC_DB: "postgres",
        KC_DB_URL: "jdbc:postgresql://kc-dev-db:5432/keycloak",
        KC_DB_USERNAME: "keycloak",
        KC_DB_PASSWORD: "generated-keycloak-db-password",
        KC_HEALTH_ENABLED: "true",
        KC_METRICS_ENABLED: "true",
        KC_HOSTNAME: "http://127.0.0.1:8080",
        KC_PROXY_HEADERS: "xforwarded",
        KC_HTTP_MANAGEMENT_PORT: "9000",
        KC_SPI_CACHE_EMBEDDED__DEFAULT__NODE_NAME: `kc-dev-kc-${index}`,
        KC_BOOTSTRAP_ADMIN_USERNAME: "admin",
        KC_BOOTSTRAP_ADMIN_PASSWORD: "generated-keycloak-admin-password",
      });
      expect(env).not.toHaveProperty("KC_FEATURES_DISABLED");
    }
  });

  it("starts plain `start` with no realm file; the realm comes through the load balancer's admin API once node 0 is in", () => {
    const node = run.recorder.named("keycloak-kc-0");
    expect(node.inputs.command).toEqual(["start"]);
    expect(JSON.stringify(node.inputs.uploads ?? [])).not.toContain("realm");
    const sync = run.recorder.ofType("pulumi-nodejs:dynamic/keycloak-cluster:RealmSync");
    expect(sync.map((r) => r.name)).toEqual(["keycloak-realm"]);
    expect(sync[0].inputs).toMatchObject({
      baseUrl: "http://127.0.0.1:8080",
      adminUsername: "admin",
      adminPassword: "generated-keycloak-admin-password",
    });
    const realm = JSON.parse(String(sync[0].inputs.realmJson)) as {
      realm: string;
      clients: { clientId: string; secret: string }[];
      users: unknown[];
    };
    expect(realm.realm).toBe("chaos");
    expect(realm.clients[0]).toMatchObject({ clientId: "chaos-cli", secret: "generated-keycloak-client-secret" });
    expect(realm.users).toHaveLength(10);
  });

  it("publishes each node's HTTP and management ports on 127.0.0.1 only", () => {
    run.recorder.ofType(Container).forEach((c) => {
      for (const port of (c.inputs.ports as { ip: string }[] | undefined) ?? []) {
        expect(port.ip).toBe("127.0.0.1");
      }
    });
    expect(run.recorder.named("keycloak-kc-2").inputs.ports).toEqual([
      { internal: 8080, external: 18082, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 9000, external: 19002, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    expect(run.recorder.named("keycloak-lb").inputs.ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("checks readiness on the management port and waits for a healthy node", () => {
    const node = run.recorder.named("keycloak-kc-1");
    const healthcheck = node.inputs.healthcheck as { tests: string[] };
    expect(healthcheck.tests.slice(0, 3)).toEqual(["CMD", "bash", "-c"]);
    expect(healthcheck.tests[3]).toContain("/dev/tcp/127.0.0.1/9000");
    expect(healthcheck.tests[3]).toContain("GET /health/ready");
    // Healthy on HTTP 200 only; the body says "UP" for single checks even when the node is DOWN.
    expect(healthcheck.tests[3]).toContain("head -n 1 <&3 | grep -q ' 200 '");
    expect(node.inputs.wait).toBe(true);
    expect(node.inputs.restart).toBe("unless-stopped");
  });

  it("puts every container on the private network; nodes share the alias the load balancer resolves", () => {
    for (const c of run.recorder.ofType(Container)) {
      const networks = c.inputs.networksAdvanced as { name: string; aliases: string[] }[];
      expect(networks.map((n) => n.name)).toEqual(["kc-dev-net"]);
    }
    const node = run.recorder.named("keycloak-kc-1").inputs.networksAdvanced as { aliases: string[] }[];
    expect(node[0].aliases).toEqual(["kc-dev-kc-1", "kc-dev-keycloak"]);
  });

  it("configures HAProxy with active health checks on port 9000, retries and no affinity", () => {
    const lb = run.recorder.named("keycloak-lb");
    const upload = (lb.inputs.uploads as { file: string; content: string }[])[0];
    expect(upload.file).toBe("/usr/local/etc/haproxy/haproxy.cfg");
    expect(upload.content).toContain("option httpchk GET /health/ready");
    expect(upload.content).toContain("default-server check port 9000");
    expect(upload.content).toContain("retry-on conn-failure empty-response");
    expect(upload.content).toContain("server-template kc 9 kc-dev-keycloak:8080");
    expect(upload.content).not.toContain("cookie");
  });

  it("passes database and admin passwords and the realm document (client secret, user passwords) as secrets", () => {
    expect(run.recorder.named("keycloak-db").secretInputs).toContain("envs");
    for (const index of [0, 1, 2]) {
      const node = run.recorder.named(`keycloak-kc-${index}`);
      expect(node.secretInputs).toContain("envs");
    }
    expect(run.recorder.named("keycloak-realm").secretInputs).toEqual(expect.arrayContaining(["adminPassword", "realmJson"]));
  });

  it("exports exactly the documented outputs, exactly the secret ones secret", async () => {
    const out = run.outputs;
    expect(Object.keys(out).sort()).toEqual([...OutputNames].sort());
    for (const key of OutputNames) {
      expect((await resolve(out[key] as never)).secret, key).toBe((SecretOutputs as readonly string[]).includes(key));
    }
    expect((await resolve(out.issuerUrl as never)).value).toBe("http://127.0.0.1:8080/realms/chaos");
    expect((await resolve(out.clusterSize as never)).value).toBe(3);
    expect((await resolve(out.clusterId as never)).value).toBe("docker/kc-dev");
    const users = (await resolve(out.testUsers as never)).value as { username: string; password: string }[];
    expect(users).toHaveLength(10);
    expect(users[0].username).toBe("user-1");
    expect((await resolve(out.driver as never)).value).toEqual({
      kind: "docker",
      nodes: [0, 1, 2].map((i) => ({
        id: `kc-${i}`,
        nodeName: `kc-dev-kc-${i}`,
        container: `kc-dev-kc-${i}`,
        httpUrl: `http://127.0.0.1:${18080 + i}`,
        managementUrl: `http://127.0.0.1:${19000 + i}`,
      })),
    });
    expect((await resolve(out.loadBalancerUrl as never)).value).toBe("http://127.0.0.1:8080");
  });
});

describe("node count, session mode and affinity come from config", () => {
  it("registers N nodes", async () => {
    const run = await runProgram({ ...devConfig, keycloak: { nodes: 5 } }, "five");
    await resolve(run.outputs.nodes as never);
    expect(run.recorder.ofType(Container).filter((c) => String(c.inputs.name).includes("-kc-"))).toHaveLength(5);
  });

  it("3 → 4 nodes leaves the existing nodes' and the database's inputs as they were (nothing to replace)", async () => {
    const inputsOf = async (nodes: number) => {
      const run = await runProgram({ ...devConfig, keycloak: { ...devConfig.keycloak, nodes } }, "scale");
      await resolve(run.outputs.nodes as never);
      return ["keycloak-db", "keycloak-kc-0", "keycloak-kc-1", "keycloak-kc-2"].map((name) => run.recorder.named(name).inputs);
    };
    const three = await inputsOf(3);
    expect(await inputsOf(4)).toEqual(three);
  });

  it("database.passwordRotation is the database password's generation, with the way to rotate in its refusal; no other secret rotates", async () => {
    const run = await runProgram({ ...devConfig, database: { passwordRotation: 2 } }, "rotate");
    await resolve(run.outputs.nodes as never);
    const secrets = Object.fromEntries(
      run.recorder.ofType("pulumi-nodejs:dynamic/keycloak-cluster:GeneratedSecret").map((s) => [s.name, s.inputs.rotation]),
    );
    expect(secrets).toEqual({
      "keycloak-admin-password": 0,
      "keycloak-db-password": 2,
      "keycloak-client-secret": 0,
      "keycloak-test-user-seed": 0,
    });
    expect(run.recorder.named("keycloak-db-password").inputs.rotateWith).toBe(
      "raise database.passwordRotation (pulumi config set --path database.passwordRotation <next number>)",
    );
  });

  it("volatile sessions on an optimized image: features-disabled is baked, not passed; start --optimized", async () => {
    const run = await runProgram(
      { keycloak: { sessionMode: "volatile", optimizedImage: true, image: "keycloak-cluster/keycloak:26.7.3-volatile" } },
      "vol",
    );
    await resolve(run.outputs.nodes as never);
    const node = run.recorder.named("keycloak-kc-0");
    expect(node.inputs.command).toEqual(["start", "--optimized"]);
    const env = envOf(node);
    expect(env).not.toHaveProperty("KC_FEATURES_DISABLED");
    expect(env).not.toHaveProperty("KC_DB");
    expect(run.recorder.named("keycloak-keycloak-image").inputs).toMatchObject({
      name: "keycloak-cluster/keycloak:26.7.3-volatile",
      keepLocally: true,
    });
  });

  it("volatile sessions with plain start pass the build option at start", async () => {
    const run = await runProgram({ keycloak: { sessionMode: "volatile" } }, "vol2");
    await resolve(run.outputs.nodes as never);
    expect(envOf(run.recorder.named("keycloak-kc-0"))).toMatchObject({ KC_FEATURES_DISABLED: "persistent-user-sessions" });
  });

  it("turns cookie affinity on in HAProxy", async () => {
    const run = await runProgram({ loadBalancer: { affinity: true } }, "sticky");
    await resolve(run.outputs.nodes as never);
    const upload = (run.recorder.named("keycloak-lb").inputs.uploads as { content: string }[])[0];
    expect(upload.content).toContain("cookie KC_LB_ROUTE insert indirect nocache httponly dynamic");
  });
});

describe("the engine and the database come from config", () => {
  it("deploys to docker:host and records that engine for the chaos driver", async () => {
    const run = await runProgram(devConfig, "remote", { providerConfig: { "docker:host": "tcp://127.0.0.1:2375" } });
    expect(run.recorder.ofType("pulumi:providers:docker")[0].inputs).toMatchObject({ host: "tcp://127.0.0.1:2375" });
    const driver = (await resolve(run.outputs.driver as never)).value as { host?: string };
    expect(driver.host).toBe("tcp://127.0.0.1:2375");
  });

  it("an external database: no database container or volume; its JDBC URL and its secret password reach every node", async () => {
    const run = await runProgram(
      {
        ...devConfig,
        database: { mode: "external", jdbcUrl: "jdbc:postgresql://db.internal:5432/kc", username: "kc", password: "from-config" },
      },
      "ext",
      { secretKeys: ["database"] },
    );
    expect(run.recorder.ofType(Container).map((c) => String(c.inputs.name))).not.toContain("kc-ext-db");
    expect(run.recorder.ofType("docker:index/volume:Volume")).toEqual([]);
    const node = run.recorder.named("keycloak-kc-0");
    expect(envOf(node)).toMatchObject({
      KC_DB_URL: "jdbc:postgresql://db.internal:5432/kc",
      KC_DB_USERNAME: "kc",
      KC_DB_PASSWORD: "from-config",
    });
    expect(node.secretInputs).toContain("envs");
    expect(run.recorder.resources.filter((r) => r.name.endsWith("-db-password"))).toEqual([]);
  });
});

describe("invalid configuration", () => {
  it("reports every problem at once, schema and rules together, and registers nothing", async () => {
    const { error, recorder } = await failProgram({ keycloak: { nodes: 0, cacheMode: "local" }, realm: { name: "master" } }, "bad");
    expect(String(error)).toContain(
      "invalid stack configuration (3 problems):\n" +
        "  - keycloak-cluster:keycloak.nodes: must be a whole number from 1 to 32\n" +
        '  - keycloak-cluster:realm.name: must not be "master": the chaos realm is imported and owned by the stack\n' +
        '  - keycloak-cluster:keycloak.cacheMode: "local" gives every node its own caches',
    );
    expect(recorder.resources).toEqual([]);
  });

  it("rule problems alone also register nothing", async () => {
    const { error, recorder } = await failProgram({ keycloak: { cacheMode: "local" } }, "bad2");
    expect(String(error)).toContain('keycloak-cluster:keycloak.cacheMode: "local" gives every node its own caches');
    expect(recorder.resources).toEqual([]);
  });
});

describe("a docker stack with its own cache configuration file", () => {
  it("uploads the file into every node's conf/ and selects its stack", async () => {
    const run = await runProgram(
      { ...devConfig, keycloak: { ...devConfig.keycloak, cacheConfigFile: "stacks/cache/fast-failure-detection.xml" } },
      "dev",
    );
    await resolve(run.outputs.nodes as never);
    const shipped = readFileSync("stacks/cache/fast-failure-detection.xml", "utf8");
    for (const index of [0, 1, 2]) {
      const node = run.recorder.named(`keycloak-kc-${index}`);
      expect(node.inputs.uploads).toContainEqual({ file: "/opt/keycloak/conf/fast-failure-detection.xml", content: shipped });
      expect(envOf(node)).toMatchObject({ KC_CACHE_CONFIG_FILE: "fast-failure-detection.xml", KC_CACHE_STACK: "jdbc-ping-fast-fd" });
    }
  });
});
