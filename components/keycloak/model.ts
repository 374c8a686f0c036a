/**
 * The target-independent cluster model. Every target (docker, kubernetes, openshift, aws)
 * consumes a validated {@link ClusterSpec} together with its own typed settings; only stacks/
 * turns stack configuration into them.
 */
import type { CacheConfig } from "./cache-config";
import type { SecretText } from "../shared/secret";

/** Where the cluster runs. */
export const Target = {
  Docker: "docker",
  Kubernetes: "kubernetes",
  OpenShift: "openshift",
  Aws: "aws",
} as const;
export type Target = (typeof Target)[keyof typeof Target];

/**
 * Where user and client sessions live.
 * - persistent: Keycloak's default since 26.0; sessions are also written to the database.
 * - volatile: `--features-disabled=persistent-user-sessions`; the distributed cache is the only copy.
 */
export const SessionMode = {
  Persistent: "persistent",
  Volatile: "volatile",
} as const;
export type SessionMode = (typeof SessionMode)[keyof typeof SessionMode];

/**
 * Keycloak's cache mechanism. `local` gives every node its own caches: it exists here only to
 * demonstrate the failure this project catches, and needs an explicit acknowledgement.
 */
export const CacheMode = {
  Ispn: "ispn",
  Local: "local",
} as const;
export type CacheMode = (typeof CacheMode)[keyof typeof CacheMode];

/** How nodes find each other. `jdbc-ping` (through the shared database) is Keycloak's default since 26.1. */
export const Discovery = {
  JdbcPing: "jdbc-ping",
  Kubernetes: "kubernetes",
} as const;
export type Discovery = (typeof Discovery)[keyof typeof Discovery];

/** Whether a stack is a disposable development stack or production (chaos then needs `--yes`). */
export const Environment = {
  Dev: "dev",
  Production: "production",
} as const;
export type Environment = (typeof Environment)[keyof typeof Environment];

/** Who runs the database. */
export const DatabaseMode = {
  /** The stack runs PostgreSQL: a container (docker), a StatefulSet (kubernetes, openshift), RDS (aws). */
  Managed: "managed",
  /** The stack connects to a PostgreSQL it does not run (JDBC URL and a secret password). */
  External: "external",
} as const;
export type DatabaseMode = (typeof DatabaseMode)[keyof typeof DatabaseMode];

/** CPU and memory of one container or pod. */
export interface ResourceAmount {
  /** CPU cores (fractions allowed). */
  readonly cpus: number;
  /** Memory in MiB. */
  readonly memoryMb: number;
}

/**
 * Requests and limits. A target uses what it has: Kubernetes both, Docker only limits; AWS sizes
 * nodes by instance type instead.
 */
export interface ResourceSpec {
  /** What the scheduler reserves (kubernetes, openshift). */
  readonly requests?: ResourceAmount;
  /** The most a node may use (docker, kubernetes, openshift). */
  readonly limits?: ResourceAmount;
}

export interface KeycloakSpec {
  /** Keycloak version, e.g. 26.7.3. */
  readonly version: string;
  /** Container image for the Keycloak nodes. */
  readonly image: string;
  /**
   * True when `image` was built (`kc.sh build`) with exactly this cluster's build options, so
   * the nodes run `start --optimized`; false runs plain `start`, which re-augments at every start.
   */
  readonly optimizedImage: boolean;
  /** Number of Keycloak nodes. */
  readonly nodes: number;
  readonly sessionMode: SessionMode;
  readonly cacheMode: CacheMode;
  readonly discovery: Discovery;
  /** Public base URL, e.g. https://sso.example.com. Fixes the issuer on every node. */
  readonly publicUrl: string;
  /** Bootstrap admin user name (its password is generated). */
  readonly adminUsername: string;
  /** Requests and limits for each node, where the target has them. */
  readonly resources: ResourceSpec;
  /** Keycloak's `log-level`: a level, or comma-separated `category:level` pairs. */
  readonly logLevel: string;
  /** The user's own cache configuration file, on every node (`cache-config-file`); unset: Keycloak's. */
  readonly cacheConfig?: CacheConfig;
  /**
   * Most database connections one node's pool opens (`db-pool-max-size`; Keycloak's own default is
   * 100). Every node together must fit the database's connection limit, or a node that restarts or
   * rejoins cannot connect while the survivors' pools are full.
   */
  readonly dbPoolMaxSize: number;
  /**
   * Keycloak's mutual TLS between nodes (`cache-embedded-mtls-enabled`, on by default). Off, the
   * cluster traffic is plain TCP and any host on the nodes' network could join: see the README
   * before turning it off (a frozen node stalls TLS connection setup, see stacks/cache/).
   */
  readonly clusterTls: boolean;
}

/** PostgreSQL run by the stack. */
export interface ManagedDatabaseSpec {
  readonly mode: typeof DatabaseMode.Managed;
  /** Database name. */
  readonly name: string;
  /** Database user (its password is generated). */
  readonly username: string;
  /** Requests and limits of the database container or pod, where the target has them. */
  readonly resources: ResourceSpec;
  /** Size of its volume (kubernetes, openshift, aws). */
  readonly storageGb: number;
  /** PostgreSQL's `max_connections`: every node's pool must fit in it. */
  readonly maxConnections: number;
  /**
   * A session of the cluster's role whose transaction has been idle this long (a frozen node's) is
   * ended, so that its row locks do not stall the survivors; Keycloak's database lock is never
   * ended. 0: never (components/keycloak/settings.ts, idleTransactionGuard).
   */
  readonly idleInTransactionSeconds: number;
  /**
   * Generation of the generated password: raising it (an explicit rotation) gives a new password,
   * set on PostgreSQL's role first and then on the nodes, one at a time.
   */
  readonly passwordRotation: number;
}

/** PostgreSQL the stack does not run. */
export interface ExternalDatabaseSpec {
  readonly mode: typeof DatabaseMode.External;
  /** JDBC URL every node connects to, e.g. jdbc:postgresql://db.internal:5432/keycloak. */
  readonly jdbcUrl: string;
  readonly username: string;
  /** From a secret stack setting; stays secret all the way. */
  readonly password: SecretText;
}

export type DatabaseSpec = ManagedDatabaseSpec | ExternalDatabaseSpec;

export interface LoadBalancerSpec {
  /** Cookie affinity (sticky sessions) on or off. Chaos must pass with it off. */
  readonly affinity: boolean;
}

export interface RealmSpec {
  /** Realm imported at first start. */
  readonly name: string;
  /** Confidential client used by the chaos command. */
  readonly clientId: string;
  /** Redirect URI registered for that client. */
  readonly redirectUri: string;
  /** Number of test users (`user-1` … `user-N`) with generated passwords. */
  readonly testUsers: number;
}

/** The validated, target-independent model of one cluster. */
export interface ClusterSpec {
  readonly environment: Environment;
  readonly keycloak: KeycloakSpec;
  readonly database: DatabaseSpec;
  readonly loadBalancer: LoadBalancerSpec;
  readonly realm: RealmSpec;
}
