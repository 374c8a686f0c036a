/**
 * The EC2 architecture without EC2: the user data's Keycloak settings (rendered by the same
 * functions the launch template uses) on two stand-in instances, Docker containers each with its
 * own network namespace, on a "VPC" network and with an internal "docker0" of its own, against
 * one PostgreSQL. With the rendered settings (bind to and advertise the instance's own address)
 * they form one cluster of 2 and one token is accepted by both. The negative control, the seed's
 * bug (each node advertising its Docker-bridge address, unreachable from the other instance):
 * no cluster, and the chaos steady state says so. The script itself passes shellcheck.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { nodeHealth } from "../../chaos/probes/cluster";
import { KeycloakProbes } from "../../chaos/probes/keycloak";
import { judge } from "../../chaos/steady-state";
import { instanceEnvironment, InstanceValues, renderUserData, resolveEnvironment } from "../../components/aws/user-data";
import { ClusterSpec } from "../../components/keycloak/model";
import { deriveTestUsers, realmImport } from "../../components/keycloak/realm";
import { jdbcUrl, realmImportFile, SecretEnv, startCommand } from "../../components/keycloak/settings";
import { KeycloakVersion } from "../../components/keycloak/version";
import { localKeycloakImage } from "../../offline/local-image";
import { buildTar } from "../../offline/provider/src/tar";
import { eventually } from "./harness";

const docker = new Docker();
const label = { "keycloak-cluster.stack": "e2e-standin" };
const Vpc = { name: "kc-standin-vpc", subnet: "10.231.0.0/24" };
const Bridges = [
  { name: "kc-standin-docker0-a", subnet: "10.232.0.0/24", address: "10.232.0.11" },
  { name: "kc-standin-docker0-b", subnet: "10.233.0.0/24", address: "10.233.0.12" },
];
const Instances: (InstanceValues & { readonly port: number })[] = [
  { "instance-id": "i-0standina", "local-ipv4": "10.231.0.11", "placement/availability-zone": "eu-west-1a", port: 28291 },
  { "instance-id": "i-0standinb", "local-ipv4": "10.231.0.12", "placement/availability-zone": "eu-west-1b", port: 28292 },
];
const password = "stand-in-only-password";
const publicUrl = "http://127.0.0.1:28290";

const spec: ClusterSpec = {
  environment: "dev",
  keycloak: {
    version: KeycloakVersion.pinned.toString(),
    image: localKeycloakImage(KeycloakVersion.pinned.toString(), "persistent"),
    optimizedImage: true,
    nodes: 2,
    sessionMode: "persistent",
    cacheMode: "ispn",
    discovery: "jdbc-ping",
    publicUrl,
    adminUsername: "admin",
    resources: {},
    logLevel: "info",
    dbPoolMaxSize: 20,
    clusterTls: true,
  },
  database: {
    mode: "managed",
    name: "keycloak",
    username: "keycloak",
    resources: {},
    storageGb: 20,
    maxConnections: 200,
    passwordRotation: 0,
    idleInTransactionSeconds: 10,
  },
  loadBalancer: { affinity: false },
  realm: { name: "chaos", clientId: "chaos-cli", redirectUri: `${publicUrl}/cb`, testUsers: 2 },
};
const users = deriveTestUsers("stand-in-seed", 2);
const clientSecret = "stand-in-client-secret";

const filters = JSON.stringify({ label: ["keycloak-cluster.stack=e2e-standin"] });

async function removeContainers(): Promise<void> {
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker.getContainer(c.Id).remove({ force: true });
  }
}

async function removeAll(): Promise<void> {
  await removeContainers();
  for (const n of await docker.listNetworks({ filters })) {
    await docker.getNetwork(n.Id).remove();
  }
}

async function network(name: string, subnet: string, internal: boolean): Promise<void> {
  await docker.createNetwork({ Name: name, Internal: internal, Labels: label, IPAM: { Config: [{ Subnet: subnet }] } });
}

async function postgres(): Promise<string> {
  const name = `kc-standin-db-${Math.random().toString(36).slice(2, 6)}`;
  const db = await docker.createContainer({
    name,
    Image: "keycloak-cluster/postgres:15",
    Labels: label,
    Env: ["POSTGRES_DB=keycloak", "POSTGRES_USER=keycloak", `POSTGRES_PASSWORD=${password}`],
    HostConfig: { NetworkMode: Vpc.name },
    NetworkingConfig: { EndpointsConfig: { [Vpc.name]: { IPAMConfig: { IPv4Address: "10.231.0.5" } } } },
  });
  await db.start();
  await eventually(
    "PostgreSQL accepting connections",
    async () => {
      const exec = await db.exec({ Cmd: ["pg_isready", "-h", "127.0.0.1", "-U", "keycloak"], AttachStdout: true });
      await new Promise<void>((ok) => void exec.start({}).then((stream) => stream.on("end", ok).resume()));
      return (await exec.inspect()).ExitCode === 0;
    },
    60_000,
    1000,
  );
  return name;
}

/** One stand-in instance: the rendered environment, its own values; `advertise` overrides the address it binds to and advertises. */
async function instance(index: number, advertise?: string): Promise<Docker.Container> {
  const values = Instances[index];
  const env = resolveEnvironment(instanceEnvironment(spec, jdbcUrl("10.231.0.5", 5432, "keycloak")), values);
  if (advertise) {
    env.KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS = advertise;
    env.KC_CACHE_EMBEDDED_NETWORK_EXTERNAL_ADDRESS = advertise;
  }
  const name = `kc-standin-${values["instance-id"]}-${Math.random().toString(36).slice(2, 6)}`;
  const container = await docker.createContainer({
    name,
    Image: spec.keycloak.image,
    Labels: label,
    Cmd: startCommand(spec),
    Env: [
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      `${SecretEnv.dbPassword}=${password}`,
      `${SecretEnv.adminPassword}=${password}`,
    ],
    ExposedPorts: { "8080/tcp": {}, "9000/tcp": {} },
    HostConfig: {
      NetworkMode: Vpc.name,
      PortBindings: {
        "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(values.port) }],
        "9000/tcp": [{ HostIp: "127.0.0.1", HostPort: String(values.port + 100) }],
      },
    },
    NetworkingConfig: { EndpointsConfig: { [Vpc.name]: { IPAMConfig: { IPv4Address: values["local-ipv4"] } } } },
  });
  // The instance's own docker0: an address only this instance has.
  await docker
    .getNetwork(Bridges[index].name)
    .connect({ Container: container.id, EndpointConfig: { IPAMConfig: { IPv4Address: Bridges[index].address } } });
  const realm = JSON.stringify(realmImport(spec.realm, { clientSecret, users }));
  // Docker creates the missing folders of an archive unpacked at "/".
  await container.putArchive(buildTar([{ name: realmImportFile(spec.realm.name), content: Buffer.from(realm), mode: 0o644 }]), {
    path: "/",
  });
  await container.start();
  return container;
}

const urls = (i: number) => ({
  httpUrl: `http://127.0.0.1:${Instances[i].port}`,
  managementUrl: `http://127.0.0.1:${Instances[i].port + 100}`,
});
const nodes = Instances.map((values, i) => ({ id: values["instance-id"], nodeName: values["instance-id"], ...urls(i) }));

async function ready(i: number): Promise<void> {
  await eventually(
    `stand-in ${Instances[i]["instance-id"]} ready`,
    async () => (await nodeHealth(urls(i).managementUrl)).ready,
    300_000,
    2000,
  );
}

beforeAll(async () => {
  await removeAll();
  await network(Vpc.name, Vpc.subnet, false);
  for (const bridge of Bridges) {
    await network(bridge.name, bridge.subnet, true);
  }
});

afterEach(async () => {
  await removeContainers();
});

afterAll(async () => {
  await removeAll();
});

describe("the user data", () => {
  it("passes shellcheck", () => {
    const script = renderUserData(spec, {
      region: "eu-west-1",
      dbUrl: "jdbc:postgresql://db.internal:5432/keycloak",
      dbPasswordSecret: { arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds", json: true },
      adminPasswordSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin",
      realmSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:realm",
      logGroup: "/keycloak-cluster/kc-dev",
      targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/kc-nodes/0123456789abcdef",
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), "user-data-")), "user-data.sh");
    writeFileSync(file, script);
    execFileSync("sh", ["-c", "command -v shellcheck"], { stdio: "ignore" });
    const run = spawnSync("shellcheck", ["--shell=bash", "--severity=style", file], { encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});

describe("two stand-in instances with the rendered settings", () => {
  it("form one cluster of 2, and one token is accepted by both", async () => {
    const db = await postgres();
    const a = await instance(0);
    // The first node migrates the empty schema alone (as the group's restart policy would fix otherwise).
    await ready(0);
    const second = await instance(1);
    await ready(1);
    await eventually(
      "a cluster of 2 on both",
      async () => {
        const health = await Promise.all(nodes.map((n) => nodeHealth(n.managementUrl)));
        return judge(nodes, health, { clusterSize: 2 }).ok;
      },
      120_000,
      2000,
    );
    const probes = new KeycloakProbes({
      issuerUrl: `${publicUrl}/realms/chaos`,
      publicUrl,
      clientId: spec.realm.clientId,
      clientSecret,
      redirectUri: spec.realm.redirectUri,
      testUsers: users,
      loadBalancerUrl: nodes[0].httpUrl,
    });
    probes.useNodes(nodes);
    await probes.createSessions(2, [nodes[0].id]);
    for (const node of nodes) {
      expect(
        await probes.check(
          "userinfo",
          node.id,
          nodes.map((n) => n.id),
        ),
        node.id,
      ).toMatchObject({ passed: 2, total: 2 });
    }
    void [a, second, db];
  });
});

describe("the seed's bug: each node advertises its Docker-bridge address", () => {
  it("does not form one cluster, and the chaos steady state says so", async () => {
    const db = await postgres();
    const a = await instance(0, Bridges[0].address);
    await ready(0);
    const b = await instance(1, Bridges[1].address);
    await eventually(
      "the second node started",
      async () => (await nodeHealth(urls(1).managementUrl)).clusterSize !== undefined,
      300_000,
      2000,
    );
    // Give the cluster time it would need to form (it never does).
    await new Promise((ok) => setTimeout(ok, 20_000));
    const health = await Promise.all(nodes.map((n) => nodeHealth(n.managementUrl)));
    expect(health.map((h) => h.clusterSize)).toEqual([1, 1]);
    const steady = judge(nodes, health, { clusterSize: 2 });
    expect(steady.ok).toBe(false);
    expect(steady.message).toMatch(
      /the nodes do not form one cluster: cluster size i-0standina=1, i-0standinb=1, expected 2 on every node|not ready/,
    );
    void [a, b, db];
  });
});
