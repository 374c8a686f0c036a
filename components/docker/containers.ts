/**
 * Plain functions that build the Docker target's container arguments from the model. The
 * component wires them together; the unit tests exercise them through Pulumi mocks.
 */
import { cacheConfigPath } from "../keycloak/cache-config";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, ManagedDatabaseSpec, ResourceSpec } from "../keycloak/model";
import { literalValue, NodeValue } from "../keycloak/node-value";
import {
  HealthPaths,
  KeycloakPorts,
  SecretEnv,
  databaseUrl,
  idleTransactionGuard,
  nodeEnvironment,
  postgresCommand,
  startCommand,
} from "../keycloak/settings";
import { haproxyConfig } from "./haproxy";

/** Docker-specific settings; everything else comes from the model. */
export interface DockerTargetSpec {
  /** The engine to deploy to (`docker:host`, e.g. unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host); absent: the provider's default. */
  readonly host?: string;
  /** Prefix of every Docker object's name (containers, network, volume). */
  readonly namePrefix: string;
  /** Host address every published port binds to. Default 127.0.0.1. */
  readonly bindAddress: string;
  /** Host port of the load balancer. */
  readonly loadBalancerPort: number;
  /** Host port of node 0's HTTP port; node i gets this + i. */
  readonly nodeHttpBasePort: number;
  /** Host port of node 0's management port; node i gets this + i. */
  readonly nodeManagementBasePort: number;
  /** Seconds `pulumi up` waits for a container to report healthy. */
  readonly readyTimeoutSeconds: number;
  /** Most nodes the load balancer can hold without a change to its configuration. */
  readonly maxNodes: number;
  /** PostgreSQL image of a managed database. */
  readonly databaseImage: string;
  /** HAProxy image of the load balancer. */
  readonly loadBalancerImage: string;
}

export const LoadBalancerListenPort = 8080;
/** Docker's embedded DNS server on user-defined networks. */
export const DockerDns = "127.0.0.11:53";

/** Names of the Docker objects, derived from the prefix. */
export function dockerNames(prefix: string) {
  return {
    network: `${prefix}-net`,
    dbVolume: `${prefix}-pgdata`,
    db: `${prefix}-db`,
    dbGuard: `${prefix}-db-guard`,
    lb: `${prefix}-lb`,
    node: (index: number) => `${prefix}-kc-${index}`,
    /** Network alias every Keycloak node carries; the load balancer resolves its servers from it. */
    nodesAlias: `${prefix}-keycloak`,
  };
}

/** Host ports of node `index`. */
export function nodeHostPorts(target: DockerTargetSpec, index: number) {
  return { http: target.nodeHttpBasePort + index, management: target.nodeManagementBasePort + index };
}

export function labels(prefix: string, role: string): docker.types.input.ContainerLabel[] {
  return [
    { label: "keycloak-cluster.stack", value: prefix },
    { label: "keycloak-cluster.role", value: role },
  ];
}

/** Docker has limits only (requests are refused by the configuration rules). */
function limits(resources: ResourceSpec) {
  return resources.limits ? { memory: resources.limits.memoryMb, cpus: String(resources.limits.cpus) } : {};
}

function published(target: DockerTargetSpec, internal: number, external: number): docker.types.input.ContainerPort {
  return { internal, external, ip: target.bindAddress, protocol: "tcp" };
}

/**
 * A container health check without curl (the official image has none): GET /health/ready on
 * the management port through bash's /dev/tcp; healthy only on HTTP 200. (The body lists
 * single checks as "UP" even while the overall status is DOWN, so the body is not grepped.)
 */
export function readinessCheckCommand(): string[] {
  const request = `GET ${HealthPaths.ready} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n`;
  return [
    "CMD",
    "bash",
    "-c",
    `exec 3<>/dev/tcp/127.0.0.1/${KeycloakPorts.management} && printf '${request}' >&3 && head -n 1 <&3 | grep -q ' 200 '`,
  ];
}

/** `KEY=value` strings, sorted for stable diffs. Docker takes literal values only. */
export function envList(env: readonly { readonly name: string; readonly value: NodeValue }[]): string[] {
  return env.map((e) => `${e.name}=${literalValue(e.name, e.value)}`);
}

export interface ContainerInputs {
  readonly image: pulumi.Input<string>;
  readonly network: pulumi.Input<string>;
}

export function postgresArgs(
  database: ManagedDatabaseSpec,
  target: DockerTargetSpec,
  inputs: ContainerInputs & { readonly volume: pulumi.Input<string>; readonly password: pulumi.Output<string> },
): docker.ContainerArgs {
  const names = dockerNames(target.namePrefix);
  return {
    name: names.db,
    image: inputs.image,
    hostname: names.db,
    restart: "unless-stopped",
    envs: pulumi.secret(
      inputs.password.apply((password) => [
        `POSTGRES_DB=${database.name}`,
        `POSTGRES_USER=${database.username}`,
        `POSTGRES_PASSWORD=${password}`,
      ]),
    ),
    command: postgresCommand(database),
    volumes: [{ volumeName: inputs.volume, containerPath: "/var/lib/postgresql/data" }],
    networksAdvanced: [{ name: inputs.network, aliases: [names.db] }],
    healthcheck: {
      tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", database.username, "-d", database.name],
      interval: "3s",
      timeout: "3s",
      retries: 10,
      startPeriod: "60s",
    },
    ...limits(database.resources),
    labels: labels(target.namePrefix, "database"),
    wait: true,
    waitTimeout: target.readyTimeoutSeconds,
  };
}

/**
 * The database's idle-transaction guard (see idleTransactionGuard) in a container of the
 * database's image, connecting to it over the stack's network with the current password (a
 * rotation replaces the container); none when database.idleInTransactionSeconds is 0.
 */
export function guardArgs(
  database: ManagedDatabaseSpec,
  target: DockerTargetSpec,
  inputs: ContainerInputs & { readonly password: pulumi.Output<string> },
): docker.ContainerArgs | undefined {
  const guard = idleTransactionGuard(database);
  if (!guard) {
    return undefined;
  }
  const names = dockerNames(target.namePrefix);
  const env = Object.entries({ ...guard.env, PGHOST: names.db }).map(([name, value]) => `${name}=${value}`);
  return {
    name: names.dbGuard,
    image: inputs.image,
    restart: "unless-stopped",
    command: guard.command,
    envs: pulumi.secret(inputs.password.apply((password) => [...env, `PGPASSWORD=${password}`])),
    networksAdvanced: [{ name: inputs.network }],
    memory: 64,
    labels: labels(target.namePrefix, "database-guard"),
  };
}

export interface NodeSecrets {
  readonly dbPassword: pulumi.Output<string>;
  readonly adminPassword: pulumi.Output<string>;
}

export function keycloakNodeArgs(
  spec: ClusterSpec,
  target: DockerTargetSpec,
  index: number,
  inputs: ContainerInputs & NodeSecrets,
): docker.ContainerArgs {
  const names = dockerNames(target.namePrefix);
  const nodeName = names.node(index);
  // One Docker network: every node reaches the others on its container address; nothing to advertise.
  const env = envList(nodeEnvironment(spec, { nodeName: NodeValue.literal(nodeName), dbUrl: databaseUrl(spec, names.db) }));
  const ports = nodeHostPorts(target, index);
  return {
    name: nodeName,
    image: inputs.image,
    hostname: nodeName,
    // No realm file: RealmSync creates the realm and keeps it in step, so a realm change replaces no node.
    command: startCommand(spec, false),
    restart: "unless-stopped",
    envs: pulumi.secret(
      pulumi
        .all([inputs.dbPassword, inputs.adminPassword])
        .apply(([dbPassword, adminPassword]) => [
          ...env,
          `${SecretEnv.dbPassword}=${dbPassword}`,
          `${SecretEnv.adminPassword}=${adminPassword}`,
        ]),
    ),
    uploads: [
      ...(spec.keycloak.cacheConfig
        ? [{ file: cacheConfigPath(spec.keycloak.cacheConfig), content: spec.keycloak.cacheConfig.content }]
        : []),
    ],
    networksAdvanced: [{ name: inputs.network, aliases: [nodeName, names.nodesAlias] }],
    ports: [published(target, KeycloakPorts.http, ports.http), published(target, KeycloakPorts.management, ports.management)],
    healthcheck: {
      tests: readinessCheckCommand(),
      interval: "5s",
      timeout: "3s",
      retries: 3,
      startPeriod: `${target.readyTimeoutSeconds}s`,
    },
    ...limits(spec.keycloak.resources),
    stopTimeout: 30,
    labels: [...labels(target.namePrefix, "keycloak"), { label: "keycloak-cluster.node", value: String(index) }],
    wait: true,
    waitTimeout: target.readyTimeoutSeconds,
  };
}

export function loadBalancerArgs(spec: ClusterSpec, target: DockerTargetSpec, inputs: ContainerInputs): docker.ContainerArgs {
  const names = dockerNames(target.namePrefix);
  const config = haproxyConfig({
    listenPort: LoadBalancerListenPort,
    nodesDnsName: names.nodesAlias,
    maxNodes: target.maxNodes,
    httpPort: KeycloakPorts.http,
    managementPort: KeycloakPorts.management,
    healthPath: HealthPaths.ready,
    nameserver: DockerDns,
    affinity: spec.loadBalancer.affinity,
  });
  return {
    name: names.lb,
    image: inputs.image,
    hostname: names.lb,
    restart: "unless-stopped",
    uploads: [{ file: "/usr/local/etc/haproxy/haproxy.cfg", content: config }],
    networksAdvanced: [{ name: inputs.network, aliases: [names.lb] }],
    ports: [published(target, LoadBalancerListenPort, target.loadBalancerPort)],
    labels: labels(target.namePrefix, "load-balancer"),
  };
}

/**
 * The address published ports are reached on: the bind address, except a wildcard bind, which
 * is reached on the engine's host (loopback for a local engine, the host of a tcp:// or ssh:// one).
 */
export function hostAddress(target: Pick<DockerTargetSpec, "bindAddress" | "host">): string {
  if (target.bindAddress !== "0.0.0.0") {
    return target.bindAddress;
  }
  const remote = target.host && /^(?:tcp|ssh|https?):\/\//.test(target.host) ? new URL(target.host).hostname : undefined;
  return remote || "127.0.0.1";
}

/** Direct URLs of node `index` on the host. */
export function nodeUrls(target: DockerTargetSpec, index: number) {
  const ports = nodeHostPorts(target, index);
  const host = hostAddress(target);
  return { httpUrl: `http://${host}:${ports.http}`, managementUrl: `http://${host}:${ports.management}` };
}

/** The load balancer's URL on the host. */
export function loadBalancerUrl(target: DockerTargetSpec): string {
  return `http://${hostAddress(target)}:${target.loadBalancerPort}`;
}
