/**
 * Stack configuration → validated model. Decoding problems, schema problems and the rules
 * across fields are all collected (the rules run on whatever passed the schema), flattened to
 * `keycloak-cluster:<path>: <what is wrong and how to fix it>`, and reported at once; nothing is
 * registered when there is any.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AwsTargetSpec } from "../components/aws/spec";
import { DockerTargetSpec } from "../components/docker/containers";
import { CacheMode, ClusterSpec, DatabaseMode, DatabaseSpec, Discovery, ResourceSpec, Target } from "../components/keycloak/model";
import { CacheConfig } from "../components/keycloak/cache-config";
import { KeycloakVersion } from "../components/keycloak/version";
import { CacheConfigKey, loadCacheConfig } from "./cache-file";
import { ConfigInput, Namespace } from "./decode";

export { Namespace };
import { configSchema, LenientConfig, MovedKeys, RawConfig, SharedSections, TargetSections } from "./schema";
import { awsTarget } from "./targets/aws";
import { dockerTarget } from "./targets/docker";
import { KubernetesDeployment, kubernetesTarget, openshiftTarget } from "./targets/kubernetes";
import { Problem, TargetContext, TargetModule } from "./targets/target";

export interface ConfigProblem {
  /** Key path, e.g. `keycloak.nodes`. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** The validated model of one stack: the shared spec and the target's own typed settings. */
export type StackModel =
  | { readonly target: typeof Target.Docker; readonly spec: ClusterSpec; readonly docker: DockerTargetSpec }
  | { readonly target: typeof Target.Kubernetes; readonly spec: ClusterSpec; readonly kubernetes: KubernetesDeployment }
  | { readonly target: typeof Target.OpenShift; readonly spec: ClusterSpec; readonly openshift: KubernetesDeployment }
  | { readonly target: typeof Target.Aws; readonly spec: ClusterSpec; readonly aws: AwsTargetSpec };

export type ParseResult = { readonly ok: true; readonly model: StackModel } | { readonly ok: false; readonly problems: ConfigProblem[] };

/** Oldest Keycloak whose options this project uses (cache-embedded-network-*, bootstrap-admin-*). */
export const MinimumVersion = { major: 26, minor: 4 };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Targets: { readonly [T in Target]: TargetModule<T, any, unknown> } = {
  docker: dockerTarget,
  kubernetes: kubernetesTarget,
  openshift: openshiftTarget,
  aws: awsTarget,
};

/** Parses decoded configuration (top-level keys without the namespace) for a stack. */
export function parseConfig(input: ConfigInput, context: TargetContext): ParseResult {
  const problems: ConfigProblem[] = [...input.problems];
  const problem: Problem = (path, message) => {
    if (!problems.some((p) => p.path === path && p.message === message)) {
      problems.push({ path, message });
    }
  };
  const strict = configSchema.safeParse(input.values);
  if (!strict.success) {
    zodProblems(strict.error).forEach((p) => problem(p.path, p.message));
  }
  const lenient = strict.success ? withOwnSection(strict.data) : lenientParse(input.values);
  // Read and checked once: its problems join the others, its content goes into the model.
  const file = lenient.keycloak?.cacheConfigFile;
  const cacheFile = file === undefined ? undefined : loadCacheConfig(file, context);
  cacheFile?.problems.forEach((p) => problem(CacheConfigKey, p));
  sharedRules(lenient, input.values, problem, context);
  if (lenient.target !== undefined) {
    Targets[lenient.target].rules(lenient, problem, context);
  }
  if (problems.length || !strict.success) {
    return { ok: false, problems };
  }
  return { ok: true, model: buildModel(strict.data, context, cacheFile?.config) };
}

/** Every field that passes its own schema; sections parsed field by field. */
function lenientParse(values: Record<string, unknown>): LenientConfig {
  const result: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const fields = (SharedSections as Record<string, z.ZodRawShape>)[key] ?? (TargetSections as Record<string, z.ZodRawShape>)[key];
    if (fields === undefined) {
      const parsed = (schema as z.ZodType).safeParse(values[key]);
      result[key] = parsed.success ? parsed.data : undefined;
      continue;
    }
    const raw = values[key];
    const object = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const section: Record<string, unknown> = {};
    for (const [field, fieldSchema] of Object.entries(fields)) {
      const parsed = (fieldSchema as z.ZodType).safeParse(object[field]);
      if (parsed.success && parsed.data !== undefined) {
        section[field] = parsed.data;
      }
    }
    result[key] = section;
  }
  return result;
}

/** The configuration with the target's own section present (its defaults, when the stack sets none). */
function withOwnSection(raw: RawConfig): LenientConfig {
  return raw[raw.target] === undefined ? { ...raw, [raw.target]: ownSection(raw) } : raw;
}

function ownSection(raw: RawConfig) {
  return raw[raw.target] ?? configSchema.shape[raw.target].unwrap().parse({});
}

/** True when the user set `section.field` (not a default). */
function isSet(values: Record<string, unknown>, section: string, field: string): boolean {
  const object = values[section];
  return object !== null && typeof object === "object" && (object as Record<string, unknown>)[field] !== undefined;
}

function sharedRules(config: LenientConfig, values: Record<string, unknown>, problem: Problem, context: TargetContext): void {
  const kc = config.keycloak ?? {};
  const target = config.target;
  if (kc.version !== undefined && !KeycloakVersion.of(kc.version).atLeast(MinimumVersion.major, MinimumVersion.minor)) {
    problem(
      "keycloak.version",
      `Keycloak ${kc.version} is too old: this project needs 26.4 or later (the pinned version is ${KeycloakVersion.pinned.toString()})`,
    );
  }
  if (kc.cacheMode === CacheMode.Local && kc.acknowledgeLocalCache === false) {
    problem(
      "keycloak.cacheMode",
      '"local" gives every node its own caches, so the nodes never form one cluster; it exists only to demonstrate that failure. Use "ispn", or also set keycloak.acknowledgeLocalCache to true',
    );
  }
  if (kc.discovery === Discovery.Kubernetes && target !== undefined && target !== Target.Kubernetes && target !== Target.OpenShift) {
    problem("keycloak.discovery", '"kubernetes" (DNS_PING) works only on the kubernetes and openshift targets; use "jdbc-ping"');
  }
  if (kc.cacheConfigFile !== undefined) {
    if (kc.cacheMode === CacheMode.Local) {
      problem(CacheConfigKey, 'applies only to keycloak.cacheMode "ispn" (a local cache has no cluster transport): remove it');
    }
  }
  if (kc.optimizedImage === true && !isSet(values, "keycloak", "image")) {
    problem(
      "keycloak.optimizedImage",
      "the official image is not built for this cluster's build options; set keycloak.image to an image built with `kc.sh build` for them, or set optimizedImage to false",
    );
  }
  if (target !== undefined) {
    for (const key of Object.keys(TargetSections)) {
      const applies = key === target;
      if (!applies && values[key] !== undefined) {
        problem(
          key,
          `${key} settings apply only to target "${key}" (this stack's target is "${target}"); remove them (pulumi config rm ${key})`,
        );
      }
    }
    if (!isSet(values, "keycloak", "hostname") && Targets[target].defaultPublicUrl(config, context) === undefined) {
      problem(
        "keycloak.hostname",
        `the ${target} target needs the public URL of its load balancer: pulumi config set --path keycloak.hostname https://sso.example.com`,
      );
    }
  }
  databaseRules(config, values, problem);
  poolRules(config, values, problem);
}

/** Connections the nodes' pools leave free: JDBC_PING2's short connections, PostgreSQL's own, an operator's psql. */
export const ReservedConnections = 10;
/** `max_connections` the stack gives its managed database unless database.maxConnections says otherwise. */
export const ManagedMaxConnections = 200;
/**
 * How long a transaction of the managed database may sit idle before the guard ends its session
 * (database.idleInTransactionSeconds): well above the idle gaps of Keycloak's own transactions,
 * well below the 30 s a client waits for a blocked refresh.
 */
export const IdleInTransactionSeconds = 10;
/** PostgreSQL's own default `max_connections`: what an external database is assumed to allow unless database.maxConnections says. */
export const PostgresMaxConnections = 100;
/**
 * Connections per node when keycloak.dbPoolMaxSize is not set. A constant, not "what fits": a size
 * that followed the node count would change every node's settings, and so replace every node, when
 * the cluster is scaled. 30 held through a frozen node here (20 did not: requests waiting for it held them all).
 */
export const DefaultPoolMaxSize = 30;

/** The database's connection limit as the stack knows it. */
function maxConnections(config: LenientConfig): number {
  return (
    config.database?.maxConnections ?? (config.database?.mode === DatabaseMode.External ? PostgresMaxConnections : ManagedMaxConnections)
  );
}

function poolRules(config: LenientConfig, values: Record<string, unknown>, problem: Problem): void {
  const nodes = config.keycloak?.nodes;
  if (nodes === undefined) {
    return;
  }
  const limit = maxConnections(config);
  const free = limit - ReservedConnections;
  const pool = config.keycloak?.dbPoolMaxSize ?? DefaultPoolMaxSize;
  if (nodes * pool <= free) {
    return;
  }
  const fits = Math.floor(free / nodes);
  const size = fits >= 1 ? `set keycloak.dbPoolMaxSize to ${fits} or less, or ` : "";
  const needed = nodes * pool + ReservedConnections;
  const raise =
    config.database?.mode === DatabaseMode.External
      ? `raise database.maxConnections to ${needed} (the server's max_connections must allow it)`
      : `raise database.maxConnections to ${needed} (the managed database is started with it)`;
  const chosen = isSet(values, "keycloak", "dbPoolMaxSize");
  problem(
    chosen ? "keycloak.dbPoolMaxSize" : "keycloak.nodes",
    `${nodes} nodes × ${pool} connections${chosen ? "" : " (the default pool)"} = ${nodes * pool}, more than the ${free} the database's limit of ${limit} leaves (${ReservedConnections} are kept free); a node that restarts could not connect while the others' pools are full: ${size}${raise}`,
  );
}

function databaseRules(config: LenientConfig, values: Record<string, unknown>, problem: Problem): void {
  const mode = config.database?.mode;
  if (mode === DatabaseMode.External) {
    for (const field of ["jdbcUrl", "password"] as const) {
      if (!isSet(values, "database", field)) {
        const how =
          field === "password"
            ? "pulumi config set --secret --path database.password <password>"
            : "pulumi config set --path database.jdbcUrl jdbc:postgresql://db.internal:5432/keycloak";
        problem(`database.${field}`, `an external database needs it: ${how}`);
      }
    }
    for (const field of ["name", "resources", "storageGb", "passwordRotation", "idleInTransactionSeconds"] as const) {
      if (isSet(values, "database", field)) {
        problem(
          `database.${field}`,
          `applies only to a managed database (database.mode managed); the external one is named by database.jdbcUrl: remove it (pulumi config rm --path database.${field})`,
        );
      }
    }
  } else if (mode === DatabaseMode.Managed) {
    for (const field of ["jdbcUrl", "password"] as const) {
      if (isSet(values, "database", field)) {
        problem(
          `database.${field}`,
          `applies only to an external database: set database.mode to external, or remove it (pulumi config rm --path database.${field}); a managed database's password is generated`,
        );
      }
    }
  }
}

function buildModel(raw: RawConfig, context: TargetContext, cacheConfig: CacheConfig | undefined): StackModel {
  const module = Targets[raw.target];
  const own = ownSection(raw);
  const kc = raw.keycloak;
  const publicUrl = kc.hostname ?? module.defaultPublicUrl(raw, context) ?? "";
  const spec: ClusterSpec = {
    environment: raw.environment,
    keycloak: {
      version: kc.version,
      image: kc.image ?? KeycloakVersion.of(kc.version).officialImage(),
      optimizedImage: kc.optimizedImage,
      nodes: kc.nodes,
      sessionMode: kc.sessionMode,
      cacheMode: kc.cacheMode,
      discovery: kc.discovery,
      publicUrl,
      adminUsername: kc.adminUsername,
      resources: withDefaults(kc.resources, module.defaults.keycloak),
      logLevel: kc.logLevel,
      ...(cacheConfig ? { cacheConfig } : {}),
      dbPoolMaxSize: kc.dbPoolMaxSize ?? DefaultPoolMaxSize,
      clusterTls: kc.clusterTls,
    },
    database: database(raw, module.defaults),
    loadBalancer: raw.loadBalancer,
    realm: {
      name: raw.realm.name,
      clientId: raw.realm.clientId,
      redirectUri: raw.realm.redirectUri ?? `${publicUrl}/keycloak-cluster/callback`,
      testUsers: raw.realm.testUsers,
    },
  };
  const settings = module.settings(raw, own, context);
  return { target: raw.target, spec, [raw.target]: settings } as StackModel;
}

function database(raw: RawConfig, defaults: TargetModule<Target, unknown, unknown>["defaults"]): DatabaseSpec {
  const db = raw.database;
  if (db.mode === DatabaseMode.External && db.jdbcUrl !== undefined && db.password !== undefined) {
    return { mode: DatabaseMode.External, jdbcUrl: db.jdbcUrl, username: db.username, password: db.password };
  }
  return {
    mode: DatabaseMode.Managed,
    name: db.name,
    username: db.username,
    resources: withDefaults(db.resources, defaults.database),
    storageGb: db.storageGb ?? defaults.storageGb ?? 10,
    maxConnections: db.maxConnections ?? ManagedMaxConnections,
    idleInTransactionSeconds: db.idleInTransactionSeconds ?? IdleInTransactionSeconds,
    passwordRotation: db.passwordRotation ?? 0,
  };
}

function withDefaults(set: ResourceSpec | undefined, defaults: ResourceSpec): ResourceSpec {
  const requests = set?.requests ?? defaults.requests;
  const limits = set?.limits ?? defaults.limits;
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** Zod issues → problems, with messages that say how to fix them. */
function zodProblems(error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = base ? `${base}.${key}` : key;
        problems.push({ path, message: unknownKeyMessage(path, base) });
      }
    } else if (!problems.some((p) => p.path === base && p.message === issue.message)) {
      // A value can fail several checks with the same message (e.g. regex and refine); say it once.
      problems.push({ path: base || "(root)", message: issue.message });
    }
  }
  return problems;
}

function unknownKeyMessage(path: string, parent: string): string {
  const moved = MovedKeys[path];
  if (moved) {
    return `moved to ${moved}: pulumi config rm --path ${path}, then set the new key`;
  }
  const known = parent
    ? Object.keys((SharedSections as Record<string, object>)[parent] ?? (TargetSections as Record<string, object>)[parent] ?? {}).map(
        (k) => `${parent}.${k}`,
      )
    : Object.keys(configSchema.shape);
  const near = known.find((k) => editDistance(k.toLowerCase(), path.toLowerCase()) <= 2);
  return `unknown key; remove it (pulumi config rm --path ${path})${near ? ` or did you mean ${near}?` : " or check its spelling"}`;
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** `keycloak.nodes` → `keycloak-cluster:keycloak.nodes` (top-level keys are namespaced, paths are not). */
export function configKey(path: string): string {
  return `${Namespace}:${path}`;
}

/** One line per problem, all at once. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${configKey(p.path || "(root)")}: ${p.message}`);
  return `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Throws one error carrying every problem with its property path. */
export function throwProblems(problems: readonly ConfigProblem[]): never {
  throw new pulumi.InputPropertiesError({
    message: formatProblems(problems),
    errors: problems.map((p) => ({ propertyPath: configKey(p.path), reason: p.message })),
  });
}
