/**
 * The nodes' user data, rendered by a pure function: at boot each instance reads its own id,
 * private address and zone from the instance metadata (IMDSv2), its secrets from Secrets
 * Manager, and runs Keycloak in Docker with HOST networking and exactly the settings the shared
 * Keycloak module produces, so it advertises the instance's private address (never a Docker
 * bridge address), names itself after the instance and tells Infinispan its machine and zone.
 * Last, the cluster gate (join-gate.ts) keeps the instance out of service until it has joined.
 */
import { CacheConfig, cacheConfigPath } from "../keycloak/cache-config";
import { InstanceField, NodeValue } from "../keycloak/node-value";
import { CacheMode, ClusterSpec, DatabaseMode } from "../keycloak/model";
import { NodeEnvVar, KeycloakPorts, nodeEnvironment, RealmImportDir, SecretEnv, startCommand } from "../keycloak/settings";
import { idleGuardLines } from "./idle-guard";
import { joinGateLines, JoinGateSeconds } from "./join-gate";
import { shellQuote } from "./shell";

/** Shell variables the script fills from IMDSv2, by instance field. */
export const InstanceVariables: Readonly<Record<InstanceField, string>> = {
  "instance-id": "INSTANCE_ID",
  "local-ipv4": "LOCAL_IPV4",
  "placement/availability-zone": "ZONE",
};

/** How one node is identified on EC2: all from the instance, at boot. */
export function instanceNodeContext(dbUrl: string) {
  return {
    nodeName: NodeValue.instance("instance-id"),
    bindAddress: NodeValue.instance("local-ipv4"),
    advertisedAddress: NodeValue.instance("local-ipv4"),
    machine: NodeValue.instance("instance-id"),
    rack: NodeValue.instance("placement/availability-zone"),
    dbUrl,
  };
}

/** The environment every node runs with (values from the instance still unresolved). */
export function instanceEnvironment(spec: ClusterSpec, dbUrl: string): NodeEnvVar[] {
  return nodeEnvironment(spec, instanceNodeContext(dbUrl));
}

/** One instance's values, for stand-ins that are not EC2 instances. */
export type InstanceValues = Readonly<Record<InstanceField, string>>;

/** The environment with an instance's values filled in (what the script writes on that instance). */
export function resolveEnvironment(env: readonly NodeEnvVar[], instance: InstanceValues): Record<string, string> {
  return Object.fromEntries(
    env.map(({ name, value }) => {
      switch (value.source) {
        case "literal":
          return [name, value.value];
        case "instance":
          return [name, instance[value.field]];
        case "pod":
          throw new Error(`internal error: ${name} comes from a pod field, which an instance cannot supply`);
      }
    }),
  );
}

export interface UserDataInputs {
  readonly region: string;
  /** The database's JDBC URL. */
  readonly dbUrl: string;
  /** Secrets Manager: the RDS-managed secret (JSON with `password`) or a plain-text secret with the password. */
  readonly dbPasswordSecret: { readonly arn: string; readonly json: boolean };
  /** Secrets Manager: the bootstrap admin password (plain text). */
  readonly adminPasswordSecretArn: string;
  /** Secrets Manager: the realm import document. */
  readonly realmSecretArn: string;
  /** CloudWatch Logs group the container's output goes to (the awslogs log driver). */
  readonly logGroup: string;
  /** The load balancer's target group: its healthy targets are the peers the cluster gate waits for. */
  readonly targetGroupArn: string;
}

/** `KEY=value` lines for Docker's --env-file, as printf arguments: literals quoted, instance values from variables. */
function envFileArguments(env: readonly NodeEnvVar[]): string[] {
  return env.map(({ name, value }) => {
    switch (value.source) {
      case "literal":
        return shellQuote(`${name}=${value.value}`);
      case "instance":
        return `"${name}=\${${InstanceVariables[value.field]}}"`;
      case "pod":
        throw new Error(`internal error: ${name} comes from a pod field, which an instance cannot supply`);
    }
  });
}

/** Where the instance keeps the cache configuration file (mounted read-only into the node). */
function hostCacheConfig(file: CacheConfig): string {
  return `/opt/keycloak-cluster/conf/${file.fileName}`;
}

/** Writes the cache configuration file (base64: no quoting or heredoc delimiter can break it). */
function cacheConfigLines(spec: ClusterSpec): string[] {
  const file = spec.keycloak.cacheConfig;
  if (!file) {
    return [];
  }
  const target = shellQuote(hostCacheConfig(file));
  return [
    "# The cache configuration file (keycloak.cacheConfigFile), readable by Keycloak's user (1000).",
    "install -d -m 0755 /opt/keycloak-cluster/conf",
    `base64 -d >${target} <<<${shellQuote(Buffer.from(file.content).toString("base64"))}`,
    `chown 1000:0 ${target}`,
    `chmod 0444 ${target}`,
    "",
  ];
}

export function renderUserData(spec: ClusterSpec, inputs: UserDataInputs): string {
  const env = instanceEnvironment(spec, inputs.dbUrl);
  const region = shellQuote(inputs.region);
  const realmFile = `/opt/keycloak-cluster/import/${spec.realm.name}-realm.json`;
  const dbPassword = inputs.dbPasswordSecret.json
    ? `$(secret ${shellQuote(inputs.dbPasswordSecret.arn)} | jq -r .password)`
    : `$(secret ${shellQuote(inputs.dbPasswordSecret.arn)})`;
  const image = shellQuote(spec.keycloak.image);
  const lines = [
    "#!/bin/bash",
    "# keycloak-cluster node (rendered by components/aws/user-data.ts; do not edit on the instance)",
    "set -euo pipefail",
    "umask 077",
    "",
    "# The instance's own identity, from the instance metadata (IMDSv2: a session token first).",
    "imds_token=\"$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')\"",
    'imds() { curl -sf -H "X-aws-ec2-metadata-token: ${imds_token}" "http://169.254.169.254/latest/meta-data/$1"; }',
    ...Object.entries(InstanceVariables).map(([field, variable]) => `${variable}="$(imds ${field})"`),
    "",
    `secret() { aws secretsmanager get-secret-value --region ${region} --secret-id "$1" --query SecretString --output text; }`,
    "",
    "dnf install -y docker jq",
    "systemctl enable --now docker",
    "",
    `# The realm document (client secret, test users), readable by Keycloak's user (1000) only.`,
    "install -d -m 0750 -o 1000 -g 0 /opt/keycloak-cluster/import",
    `secret ${shellQuote(inputs.realmSecretArn)} >${shellQuote(realmFile)}`,
    `chown 1000:0 ${shellQuote(realmFile)}`,
    `chmod 0440 ${shellQuote(realmFile)}`,
    "",
    ...cacheConfigLines(spec),
    "# Every setting from the shared Keycloak module; the instance's values filled in; secrets last.",
    "printf '%s\\n' \\",
    ...envFileArguments(env).map((arg) => `  ${arg} \\`),
    `  "${SecretEnv.dbPassword}=${dbPassword}" \\`,
    `  "${SecretEnv.adminPassword}=$(secret ${shellQuote(inputs.adminPasswordSecretArn)})" \\`,
    "  >/opt/keycloak-cluster/keycloak.env",
    "",
    ...(spec.database.mode === DatabaseMode.Managed ? idleGuardLines(spec.database, inputs.dbUrl, dbPassword) : []),
    "# Host networking: the node binds to and advertises the instance's private address.",
    "docker run -d --name keycloak --restart unless-stopped --network host \\",
    `  --log-driver awslogs --log-opt awslogs-region=${region} --log-opt awslogs-group=${shellQuote(inputs.logGroup)} --log-opt "awslogs-stream=\${INSTANCE_ID}" \\`,
    "  --env-file /opt/keycloak-cluster/keycloak.env \\",
    `  -v /opt/keycloak-cluster/import:${RealmImportDir}:ro \\`,
    ...(spec.keycloak.cacheConfig
      ? [`  -v ${shellQuote(hostCacheConfig(spec.keycloak.cacheConfig))}:${shellQuote(cacheConfigPath(spec.keycloak.cacheConfig))}:ro \\`]
      : []),
    `  ${image} ${startCommand(spec).map(shellQuote).join(" ")}`,
    "",
    ...joinGateLines({
      clustered: spec.keycloak.cacheMode !== CacheMode.Local,
      region: inputs.region,
      targetGroupArn: inputs.targetGroupArn,
      managementPort: KeycloakPorts.management,
      timeoutSeconds: JoinGateSeconds,
      pollSeconds: 10,
    }),
    "",
  ];
  return lines.join("\n");
}
