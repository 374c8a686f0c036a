/**
 * The one place that turns the cluster model into Keycloak's settings. Targets consume the
 * result; none of them spells a KC_* name itself. Per-node values (the node's name, the address
 * it advertises) may come from the runtime: see {@link NodeValue}.
 */
import { CacheMode, ClusterSpec, DatabaseMode, Discovery, ManagedDatabaseSpec, SessionMode } from "./model";
import { NodeValue } from "./node-value";

/** Container ports every Keycloak node listens on. */
export const KeycloakPorts = {
  /** HTTP traffic (behind the load balancer). */
  http: 8080,
  /** HTTPS traffic, when a target gives the node a certificate. */
  https: 8443,
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

/**
 * How a load balancer (or Kubernetes' readiness probe) checks a node's /health/ready, on every
 * target that allows it: a frozen node is out after `fall` failed checks, about 2-3 s. AWS's
 * target groups cannot go below a 5 s interval and a 2 s timeout (components/aws uses those).
 */
export const ReadinessCheck = { intervalSeconds: 1, timeoutSeconds: 1, fall: 2, rise: 2 } as const;

/**
 * Requests that are safe to repeat (GET and HEAD under /realms/) are sent to another node when
 * the first one has not answered within this time; others are never repeated once sent.
 */
export const RetryAfterSeconds = 4;

/** Where the realm import document goes inside the official image. */
export const RealmImportDir = "/opt/keycloak/data/import";

/** Keycloak's home inside the official image. */
export const KeycloakHome = "/opt/keycloak";

/** PostgreSQL's port. */
export const PostgresPort = 5432;

/** Keycloak option name → value, e.g. { "db": "postgres" }. */
export type KeycloakOptions = Readonly<Record<string, string>>;

/** Options whose value may differ per node and may only be known at run time. */
export type NodeOptions = Readonly<Record<string, NodeValue>>;

/** What a target knows about one node that the model cannot. */
export interface NodeContext {
  /** Infinispan's node name, which also ends every AUTH_SESSION_ID cookie of the node's sessions. */
  readonly nodeName: NodeValue;
  /** JDBC URL of the database as the node reaches it ({@link databaseUrl}). */
  readonly dbUrl: string;
  /**
   * Address the other nodes use to reach this one. Needed when nodes sit on different hosts or
   * in pods (a bridge address is unreachable from another host); unset on one Docker network.
   */
  readonly advertisedAddress?: NodeValue;
  /** Bind address of the cluster transport (defaults to Keycloak's SITE_LOCAL). */
  readonly bindAddress?: NodeValue;
  /** Infinispan topology: the machine, so the two owners of an entry avoid one machine. */
  readonly machine?: NodeValue;
  /** Infinispan topology: the rack (an availability zone on AWS), so owners land in different racks. */
  readonly rack?: NodeValue;
  /** With the `kubernetes` discovery (DNS_PING): the headless Service's DNS name the nodes look each other up by. */
  readonly dnsQuery?: string;
  /** HTTPS on {@link KeycloakPorts.https} as well, with this certificate (a re-encrypting proxy in front). */
  readonly tls?: { readonly certificateFile: string; readonly keyFile: string };
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

/** Runtime options every node shares (everything but secrets and per-node values). */
export function runtimeOptions(spec: ClusterSpec, node: Pick<NodeContext, "dbUrl" | "tls">): KeycloakOptions {
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
    "db-pool-max-size": String(spec.keycloak.dbPoolMaxSize),
  };
  if (spec.keycloak.cacheMode === CacheMode.Ispn) {
    const file = spec.keycloak.cacheConfig;
    // The option wins over the file's transport stack: it names the file's stack when there is one.
    options["cache-stack"] = file?.stack ?? spec.keycloak.discovery;
    options["cache-embedded-network-bind-port"] = String(KeycloakPorts.jgroups);
    if (file) {
      options["cache-config-file"] = file.fileName;
    }
    if (!spec.keycloak.clusterTls) {
      options["cache-embedded-mtls-enabled"] = "false";
    }
  }
  if (node.tls) {
    options["https-port"] = String(KeycloakPorts.https);
    options["https-certificate-file"] = node.tls.certificateFile;
    options["https-certificate-key-file"] = node.tls.keyFile;
  }
  return options;
}

/** Options of one node whose values the target supplies, possibly from the runtime. */
export function nodeOptions(spec: ClusterSpec, node: NodeContext): NodeOptions {
  // Infinispan's node name: stable per node, so a session's route names the node.
  const options: Record<string, NodeValue> = { "spi-cache-embedded--default--node-name": node.nodeName };
  if (spec.keycloak.cacheMode !== CacheMode.Ispn) {
    return options;
  }
  const optional: [string, NodeValue | undefined][] = [
    ["cache-embedded-network-bind-address", node.bindAddress],
    ["cache-embedded-network-external-address", node.advertisedAddress],
    ["spi-cache-embedded--default--machine-name", node.machine],
    ["spi-cache-embedded--default--rack-name", node.rack],
  ];
  for (const [option, value] of optional) {
    if (value !== undefined) {
      options[option] = value;
    }
  }
  if (node.advertisedAddress !== undefined) {
    options["cache-embedded-network-external-port"] = NodeValue.literal(String(KeycloakPorts.jgroups));
  }
  return options;
}

/** Names of the environment variables that carry secrets; targets supply the values. */
export const SecretEnv = {
  dbPassword: envName("db-password"),
  adminPassword: envName("bootstrap-admin-password"),
} as const;

/** One environment variable of a node; its value may come from the runtime. */
export interface NodeEnvVar {
  readonly name: string;
  readonly value: NodeValue;
}

/**
 * The environment of one node, sorted by name (stable diffs). An optimized image already has
 * the build options; a plain `start` must be given them again (Keycloak then re-augments).
 */
export function nodeEnvironment(spec: ClusterSpec, node: NodeContext): NodeEnvVar[] {
  const shared = spec.keycloak.optimizedImage ? runtimeOptions(spec, node) : { ...buildOptions(spec), ...runtimeOptions(spec, node) };
  const env: NodeEnvVar[] = [
    ...Object.entries(shared).map(([option, value]) => ({ name: envName(option), value: NodeValue.literal(value) })),
    ...Object.entries(nodeOptions(spec, node)).map(([option, value]) => ({ name: envName(option), value })),
  ];
  if (spec.keycloak.cacheMode === CacheMode.Ispn && spec.keycloak.discovery === Discovery.Kubernetes && node.dnsQuery !== undefined) {
    // DNS_PING finds the other nodes through a headless Service: a JGroups system property, not a Keycloak option.
    env.push({ name: "JAVA_OPTS_APPEND", value: NodeValue.literal(`-Djgroups.dns.query=${node.dnsQuery}`) });
  }
  return env.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The container command (arguments to the image's `kc.sh` entrypoint). `importRealm`: the node
 * imports the realm file at its first start (an existing realm is skipped); off where the realm
 * is created and kept in step through the admin API instead (RealmSync).
 */
export function startCommand(spec: ClusterSpec, importRealm = true): string[] {
  const command = ["start"];
  if (spec.keycloak.optimizedImage) {
    command.push("--optimized");
  }
  if (importRealm) {
    command.push("--import-realm");
  }
  return command;
}

/** The JDBC URL of the cluster's database: the external one, or the managed one at `host`. */
export function databaseUrl(spec: ClusterSpec, managedHost: string): string {
  return spec.database.mode === DatabaseMode.External ? spec.database.jdbcUrl : jdbcUrl(managedHost, PostgresPort, spec.database.name);
}

/** `db-url` → `KC_DB_URL`; `spi-a--b--c` → `KC_SPI_A__B__C`. */
export function envName(option: string): string {
  return `KC_${option.replace(/--/g, "__").replace(/-/g, "_").toUpperCase()}`;
}

export function toArgs(options: KeycloakOptions): string[] {
  return Object.entries(options).map(([key, value]) => `--${key}=${value}`);
}

/** The managed database's server command (the postgres image's entry point runs it): its connection limit set. */
export function postgresCommand(database: ManagedDatabaseSpec): string[] {
  return ["postgres", "-c", `max_connections=${database.maxConnections}`];
}

/**
 * The managed database's idle-transaction guard: a loop next to PostgreSQL that ends every session
 * of the cluster's role whose transaction has been idle for `idleInTransactionSeconds`. A node
 * frozen in the middle of a transaction (a GC pause, a stalled VM) keeps that transaction's row
 * locks, and every survivor's write of those rows (a session's refresh) waits behind them with no
 * timeout, each wait holding a pool connection, until the survivor's pool is dry. Ending the
 * frozen session releases the locks; the frozen node finds its connection closed when it wakes.
 * PostgreSQL's own `idle_in_transaction_session_timeout` cannot do this: Keycloak keeps its
 * cluster-wide database lock (a row of DATABASECHANGELOGLOCK selected FOR UPDATE) in a transaction
 * left idle on purpose while another connection migrates the schema or imports realms, and ending
 * that one would let a second node migrate at the same time. The guard never ends a session
 * holding a lock on that table. None when the setting is 0.
 */
export function idleTransactionGuard(database: ManagedDatabaseSpec): IdleTransactionGuard | undefined {
  const seconds = database.idleInTransactionSeconds;
  if (seconds === 0) {
    return undefined;
  }
  const sql = [
    "with stale as materialized (",
    " select a.pid, a.client_addr, a.query, now() - a.state_change as idle from pg_stat_activity a",
    " where a.datname = current_database() and a.usename = current_user and a.pid <> pg_backend_pid()",
    " and a.state in ('idle in transaction', 'idle in transaction (aborted)')",
    ` and a.state_change < now() - interval '${seconds} seconds'`,
    " and not exists (select 1 from pg_locks l join pg_class c on c.oid = l.relation where l.pid = a.pid and c.relname = 'databasechangeloglock'))",
    "select format('ended the session of %s (pid %s): its transaction was idle %s s, holding its locks; last statement: %s',",
    " coalesce(host(client_addr), 'local'), pid, round(extract(epoch from idle)), left(translate(query, chr(10) || chr(9), '  '), 160))",
    "from stale where pg_terminate_backend(pid);",
  ].join("\n");
  // psql exits when its connection is lost (the database restarts); the loop then ends on its next
  // write and the container's restart policy starts the guard again.
  const script = [
    "until pg_isready -q; do sleep 1; done",
    `echo "idle-transaction guard: ending transactions of $PGUSER idle for more than ${seconds} s (Keycloak's database lock excepted)"`,
    `while :; do printf '%s\\n' "$${GuardSqlEnv}"; sleep ${IdleGuardIntervalSeconds}; done | psql -X -q -At -v ON_ERROR_STOP=1`,
  ].join("\n");
  return {
    command: ["sh", "-c", script],
    env: { PGDATABASE: database.name, PGUSER: database.username, PGPORT: String(PostgresPort), [GuardSqlEnv]: sql },
  };
}

/** The guard's command and environment; each target adds PGHOST and PGPASSWORD (a secret). */
export interface IdleTransactionGuard {
  readonly command: string[];
  readonly env: Readonly<Record<string, string>>;
}

/** How often the guard looks, in seconds. */
export const IdleGuardIntervalSeconds = 1;
const GuardSqlEnv = "KC_GUARD_SQL";

/** PostgreSQL JDBC URL. */
export function jdbcUrl(host: string, port: number, database: string): string {
  return `jdbc:postgresql://${host}:${port}/${database}`;
}

/** The issuer every node reports for a realm (fixed by `hostname`). */
export function issuerUrl(publicUrl: string, realm: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/realms/${realm}`;
}

/** The realm import file's path inside a node. */
export function realmImportFile(realm: string): string {
  return `${RealmImportDir}/${realm}-realm.json`;
}
