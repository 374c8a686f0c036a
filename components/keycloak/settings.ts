/**
 * The one place that turns the cluster model into Keycloak's settings. Targets consume the
 * result; none of them spells a KC_* name itself.
 */
import { CacheMode, ClusterSpec, SessionMode } from "./model";

/** Container ports every Keycloak node listens on. */
export const KeycloakPorts = {
  /** HTTP traffic (behind the load balancer). */
  http: 8080,
  /** Management interface: health and metrics. Never proxied. */
  management: 9000,
  /** JGroups data traffic between nodes. */
  jgroups: 7800,
  /** JGroups failure detection (jgroups + 50000). */
  jgroupsFailureDetection: 57800,
} as const;

/** Health and metrics paths on the management port. */
export const HealthPaths = {
  live: "/health/live",
  ready: "/health/ready",
  started: "/health/started",
  metrics: "/metrics",
} as const;

/** Where the realm import document goes inside the official image. */
export const RealmImportDir = "/opt/keycloak/data/import";

/** Keycloak option name → value, e.g. { "db": "postgres" }. */
export type KeycloakOptions = Readonly<Record<string, string>>;

/** What a target knows about one node that the model cannot. */
export interface NodeContext {
  /** Stable node name: Infinispan's node name, which also ends every AUTH_SESSION_ID cookie. */
  readonly nodeName: string;
  /** JDBC URL of the database as the node reaches it. */
  readonly dbUrl: string;
  /**
   * Address the other nodes use to reach this one. Needed when nodes sit on different hosts
   * (a bridge address is unreachable from another host); leave unset on one Docker network.
   */
  readonly externalAddress?: string;
  /** Bind address for the cluster transport (defaults to Keycloak's SITE_LOCAL). */
  readonly bindAddress?: string;
}

/**
 * Build options: what `kc.sh build` bakes into an optimized image. Stored in plain text by
 * Keycloak, so never secrets. Session mode is one of them: one image per option set.
 */
export function buildOptions(spec: ClusterSpec): KeycloakOptions {
  const options: Record<string, string> = {
    db: "postgres",
    "health-enabled": "true",
    "metrics-enabled": "true",
  };
  if (spec.keycloak.sessionMode === SessionMode.Volatile) {
    options["features-disabled"] = "persistent-user-sessions";
  }
  return options;
}

/** `kc.sh build` arguments for an image built for this cluster's build options. */
export function buildArgs(spec: ClusterSpec): string[] {
  return toArgs(buildOptions(spec));
}

/** Runtime options for one node (everything but secrets, which go through {@link SecretEnv}). */
export function runtimeOptions(spec: ClusterSpec, node: NodeContext): KeycloakOptions {
  const options: Record<string, string> = {
    "db-url": node.dbUrl,
    "db-username": spec.database.username,
    hostname: spec.keycloak.publicUrl,
    "http-enabled": "true",
    "http-port": String(KeycloakPorts.http),
    "http-management-port": String(KeycloakPorts.management),
    "proxy-headers": "xforwarded",
    cache: spec.keycloak.cacheMode,
    "log-level": spec.keycloak.logLevel,
    "bootstrap-admin-username": spec.keycloak.adminUsername,
    // Infinispan's node name: stable per node, so a session's route names the node.
    "spi-cache-embedded--default--node-name": node.nodeName,
  };
  if (spec.keycloak.cacheMode === CacheMode.Ispn) {
    options["cache-stack"] = spec.keycloak.discovery;
    options["cache-embedded-network-bind-port"] = String(KeycloakPorts.jgroups);
    if (node.bindAddress !== undefined) {
      options["cache-embedded-network-bind-address"] = node.bindAddress;
    }
    if (node.externalAddress !== undefined) {
      options["cache-embedded-network-external-address"] = node.externalAddress;
      options["cache-embedded-network-external-port"] = String(KeycloakPorts.jgroups);
    }
  }
  return options;
}

/** Names of the environment variables that carry secrets; targets supply the values. */
export const SecretEnv = {
  dbPassword: envName("db-password"),
  adminPassword: envName("bootstrap-admin-password"),
} as const;

/**
 * The environment for one node. An optimized image already has the build options; a plain
 * `start` must be given them again (Keycloak then re-augments at start).
 */
export function nodeEnvironment(spec: ClusterSpec, node: NodeContext): Record<string, string> {
  const options = spec.keycloak.optimizedImage
    ? runtimeOptions(spec, node)
    : { ...buildOptions(spec), ...runtimeOptions(spec, node) };
  return toEnv(options);
}

/** The container command (arguments to the image's `kc.sh` entrypoint). */
export function startCommand(spec: ClusterSpec): string[] {
  const command = ["start"];
  if (spec.keycloak.optimizedImage) {
    command.push("--optimized");
  }
  command.push("--import-realm");
  return command;
}

/** `db-url` → `KC_DB_URL`; `spi-a--b--c` → `KC_SPI_A__B__C`. */
export function envName(option: string): string {
  return `KC_${option.replace(/--/g, "__").replace(/-/g, "_").toUpperCase()}`;
}

export function toEnv(options: KeycloakOptions): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [envName(key), value]));
}

export function toArgs(options: KeycloakOptions): string[] {
  return Object.entries(options).map(([key, value]) => `--${key}=${value}`);
}

/** `KEY=value` strings, sorted for stable diffs. */
export function envList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
}

/** PostgreSQL JDBC URL. */
export function jdbcUrl(host: string, port: number, database: string): string {
  return `jdbc:postgresql://${host}:${port}/${database}`;
}

/** The issuer every node reports for a realm (fixed by `hostname`). */
export function issuerUrl(publicUrl: string, realm: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/realms/${realm}`;
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
