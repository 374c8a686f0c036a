/**
 * Plain functions that build the Docker target's container arguments from the model. The
 * component wires them together; the unit tests exercise them through Pulumi mocks.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, Resources } from "../keycloak/model";
import {
  HealthPaths,
  KeycloakPorts,
  RealmImportDir,
  SecretEnv,
  envList,
  jdbcUrl,
  nodeEnvironment,
  readinessCheckCommand,
  startCommand,
} from "../keycloak/settings";
import { haproxyConfig } from "../shared/haproxy";

/** Docker-specific settings; everything else comes from the model. */
export interface DockerTargetSpec {
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
}

export const PostgresPort = 5432;
export const LoadBalancerListenPort = 8080;
/** Docker's embedded DNS server on user-defined networks. */
export const DockerDns = "127.0.0.11:53";

/** Names of the Docker objects, derived from the prefix. */
export function dockerNames(prefix: string) {
  return {
    network: `${prefix}-net`,
    dbVolume: `${prefix}-pgdata`,
    db: `${prefix}-db`,
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

function limits(resources: Resources) {
  return { memory: resources.memoryMb, cpus: String(resources.cpus) };
}

function published(target: DockerTargetSpec, internal: number, external: number): docker.types.input.ContainerPort {
  return { internal, external, ip: target.bindAddress, protocol: "tcp" };
}

export interface ContainerInputs {
  readonly image: pulumi.Input<string>;
  readonly network: pulumi.Input<string>;
}

export function postgresArgs(
  spec: ClusterSpec,
  target: DockerTargetSpec,
  inputs: ContainerInputs & { readonly volume: pulumi.Input<string>; readonly password: pulumi.Output<string> },
): docker.ContainerArgs {
  const names = dockerNames(target.namePrefix);
  const db = spec.database;
  return {
    name: names.db,
    image: inputs.image,
    hostname: names.db,
    restart: "unless-stopped",
    envs: pulumi.secret(
      pulumi.all([inputs.password]).apply(([password]) => [
        `POSTGRES_DB=${db.name}`,
        `POSTGRES_USER=${db.username}`,
        `POSTGRES_PASSWORD=${password}`,
      ]),
    ),
    volumes: [{ volumeName: inputs.volume, containerPath: "/var/lib/postgresql/data" }],
    networksAdvanced: [{ name: inputs.network, aliases: [names.db] }],
    healthcheck: {
      tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-U", db.username, "-d", db.name],
      interval: "3s",
      timeout: "3s",
      retries: 10,
      startPeriod: "60s",
    },
    ...limits(db.resources),
    labels: labels(target.namePrefix, "database"),
    wait: true,
    waitTimeout: target.readyTimeoutSeconds,
  };
}

export interface NodeSecrets {
  readonly dbPassword: pulumi.Output<string>;
  readonly adminPassword: pulumi.Output<string>;
  /** The realm import document (JSON text). */
  readonly realmJson: pulumi.Output<string>;
}

export function keycloakNodeArgs(
  spec: ClusterSpec,
  target: DockerTargetSpec,
  index: number,
  inputs: ContainerInputs & NodeSecrets,
): docker.ContainerArgs {
  const names = dockerNames(target.namePrefix);
  const nodeName = names.node(index);
  const env = nodeEnvironment(spec, {
    nodeName,
    dbUrl: jdbcUrl(names.db, PostgresPort, spec.database.name),
  });
  const ports = nodeHostPorts(target, index);
  return {
    name: nodeName,
    image: inputs.image,
    hostname: nodeName,
    command: startCommand(spec),
    restart: "unless-stopped",
    envs: pulumi.secret(
      pulumi.all([inputs.dbPassword, inputs.adminPassword]).apply(([dbPassword, adminPassword]) => [
        ...envList(env),
        `${SecretEnv.dbPassword}=${dbPassword}`,
        `${SecretEnv.adminPassword}=${adminPassword}`,
      ]),
    ),
    uploads: [{ file: `${RealmImportDir}/${spec.realm.name}-realm.json`, content: inputs.realmJson }],
    networksAdvanced: [{ name: inputs.network, aliases: [nodeName, names.nodesAlias] }],
    ports: [
      published(target, KeycloakPorts.http, ports.http),
      published(target, KeycloakPorts.management, ports.management),
    ],
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

/** The address the host reaches published ports on (a wildcard bind is reached on loopback). */
export function hostAddress(target: DockerTargetSpec): string {
  return target.bindAddress === "0.0.0.0" ? "127.0.0.1" : target.bindAddress;
}

/** Direct URLs of node `index` on the host. */
export function nodeUrls(target: DockerTargetSpec, index: number) {
  const ports = nodeHostPorts(target, index);
  const host = hostAddress(target);
  return { httpUrl: `http://${host}:${ports.http}`, managementUrl: `http://${host}:${ports.management}` };
}
