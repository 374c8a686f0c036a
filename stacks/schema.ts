/**
 * The stack configuration schema (namespace `keycloak-cluster`): the shared sections here, each
 * target's own section next to its rules in stacks/targets/. Shapes and single-field limits
 * live in the schema; rules that span fields live with the target modules and in config.ts.
 */
import { z } from "zod";
import { CacheMode, DatabaseMode, Discovery, Environment, SessionMode, Target } from "../components/keycloak/model";
import { KeycloakVersion } from "../components/keycloak/version";
import { awsFields } from "./targets/aws";
import { dockerFields } from "./targets/docker";
import { kubernetesFields, openshiftFields } from "./targets/kubernetes";
import {
  bool,
  identifier,
  imageRef,
  int,
  keycloakName,
  logLevel,
  oneOf,
  resources,
  secret,
  section,
  text,
  url,
  version,
} from "./schema-kit";

export const keycloakFields = {
  version: version.default(KeycloakVersion.pinned.toString()),
  image: imageRef.optional(),
  optimizedImage: bool.default(false),
  nodes: int(1, 32).default(3),
  sessionMode: oneOf(SessionMode).default(SessionMode.Persistent),
  cacheMode: oneOf(CacheMode).default(CacheMode.Ispn),
  acknowledgeLocalCache: bool.default(false),
  discovery: oneOf(Discovery).default(Discovery.JdbcPing),
  hostname: url("https://sso.example.com", (value) => (value.endsWith("/") ? "it ends in /" : undefined)).optional(),
  adminUsername: text("a user name such as admin").default("admin"),
  logLevel: logLevel.default("info"),
  resources: resources(768).optional(),
  dbPoolMaxSize: int(1, 1000).optional(),
  clusterTls: bool.default(true),
  cacheConfigFile: text(
    "the path of a cache configuration file from the project's folder, such as stacks/cache/fast-failure-detection.xml",
  ).optional(),
};

const JdbcUrlExample = "jdbc:postgresql://db.internal:5432/keycloak";
export const JdbcUrlPattern = /^jdbc:postgresql:\/\/[A-Za-z0-9.\-[\]:,]+\/[A-Za-z0-9_$-]+(\?[^\s#]*)?$/;

export const databaseFields = {
  mode: oneOf(DatabaseMode).default(DatabaseMode.Managed),
  name: identifier.default("keycloak"),
  username: identifier.default("keycloak"),
  resources: resources(128).optional(),
  storageGb: int(1, 65536).optional(),
  jdbcUrl: z
    .string({ error: `must be a PostgreSQL JDBC URL such as ${JdbcUrlExample}` })
    .regex(JdbcUrlPattern, { error: `must be a PostgreSQL JDBC URL such as ${JdbcUrlExample}` })
    .refine((value) => !/[?&]password=/i.test(value), { error: "must not carry the password: put it in database.password (a secret)" })
    .optional(),
  password: secret("database.password", "<password>").optional(),
  maxConnections: int(10, 100000).optional(),
  idleInTransactionSeconds: int(0, 3600).optional(),
  passwordRotation: int(0, 1000000).optional(),
};

export const loadBalancerFields = {
  affinity: bool.default(false),
};

export const realmFields = {
  name: keycloakName
    .refine((name) => name !== "master", { error: 'must not be "master": the chaos realm is imported and owned by the stack' })
    .default("chaos"),
  clientId: keycloakName.default("chaos-cli"),
  redirectUri: url("https://app.example.com/callback").optional(),
  testUsers: int(1, 10000).default(10),
};

/** The shared sections, by top-level key. */
export const SharedSections = {
  keycloak: keycloakFields,
  database: databaseFields,
  loadBalancer: loadBalancerFields,
  realm: realmFields,
} as const;

/** Each target's own section, by top-level key. */
export const TargetSections = {
  docker: dockerFields,
  kubernetes: kubernetesFields,
  openshift: openshiftFields,
  aws: awsFields,
} as const;

const Examples: Record<keyof typeof SharedSections | keyof typeof TargetSections, string> = {
  keycloak: "keycloak.nodes 3",
  database: "database.mode managed",
  loadBalancer: "loadBalancer.affinity false",
  realm: "realm.testUsers 10",
  docker: "docker.loadBalancerPort 8080",
  kubernetes: "kubernetes.namespace keycloak",
  openshift: "openshift.namespace keycloak",
  aws: "aws.region eu-west-1",
};

const sectionSchema = <K extends keyof typeof Examples, S extends z.ZodRawShape>(key: K, fields: S) => section(key, fields, Examples[key]);

export const configSchema = z.strictObject({
  target: oneOf(Target).default(Target.Docker),
  environment: oneOf(Environment).default(Environment.Dev),
  keycloak: sectionSchema("keycloak", keycloakFields).prefault({}),
  database: sectionSchema("database", databaseFields).prefault({}),
  loadBalancer: sectionSchema("loadBalancer", loadBalancerFields).prefault({}),
  realm: sectionSchema("realm", realmFields).prefault({}),
  docker: sectionSchema("docker", dockerFields).optional(),
  kubernetes: sectionSchema("kubernetes", kubernetesFields).optional(),
  openshift: sectionSchema("openshift", openshiftFields).optional(),
  aws: sectionSchema("aws", awsFields).optional(),
});

export type RawConfig = z.output<typeof configSchema>;

/**
 * What the rules see: every field that passed its own schema, the others absent, so rules across
 * fields run (and report) even when some field is wrong.
 */
export type LenientConfig = {
  readonly [K in keyof RawConfig]?: NonNullable<RawConfig[K]> extends Record<string, unknown>
    ? Partial<NonNullable<RawConfig[K]>>
    : RawConfig[K];
};
export type TopLevelKey = keyof RawConfig;
export const TopLevelKeys = Object.keys(configSchema.shape) as TopLevelKey[];

/** Section keys whose values are objects. */
export const SectionKeys = [...Object.keys(SharedSections), ...Object.keys(TargetSections)] as (
  keyof typeof SharedSections | keyof typeof TargetSections
)[];

/** Keys that moved: the unknown-key message points to the new place. */
export const MovedKeys: Readonly<Record<string, string>> = {
  "database.image": "docker.databaseImage (or kubernetes.databaseImage)",
  "loadBalancer.image": "docker.loadBalancerImage",
  "keycloak.resources.cpus": "keycloak.resources.limits.cpus",
  "keycloak.resources.memoryMb": "keycloak.resources.limits.memoryMb",
  "database.resources.cpus": "database.resources.limits.cpus",
  "database.resources.memoryMb": "database.resources.limits.memoryMb",
};

/** Paths whose value must be stored with `--secret`. */
export const SecretPaths = ["database.password"] as const;
