/**
 * The stack configuration schema (namespace `keycloak-cluster`). Shapes and single-field
 * limits live here; rules that span fields live in rules.ts.
 */
import { z } from "zod";
import { CacheMode, Discovery, Environment, SessionMode, Target } from "../components/keycloak/model";
import { KeycloakVersion } from "../components/keycloak/version";

/** A whole number, also accepted as a numeric string (how `pulumi config set --path` may store it). */
function int(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value),
    z.number({ error: `must be a whole number from ${min} to ${max}` })
      .int({ error: `must be a whole number from ${min} to ${max}` })
      .min(min, { error: `must be a whole number from ${min} to ${max}` })
      .max(max, { error: `must be a whole number from ${min} to ${max}` }),
  );
}

function decimal(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value),
    z.number({ error: `must be a number from ${min} to ${max}` })
      .min(min, { error: `must be a number from ${min} to ${max}` })
      .max(max, { error: `must be a number from ${min} to ${max}` }),
  );
}

/** true/false, also accepted as the strings "true"/"false". */
const bool = z.preprocess(
  (value) => (value === "true" ? true : value === "false" ? false : value),
  z.boolean({ error: "must be true or false" }),
);

function oneOf<T extends Record<string, string>>(values: T) {
  const list = Object.values(values) as [T[keyof T], ...T[keyof T][]];
  return z.enum(list, { error: `must be one of ${list.map((v) => `"${v}"`).join(", ")}` });
}

const text = (what: string) => z.string({ error: `must be ${what}` }).trim().min(1, { error: `must be ${what}` });

const url = z.string({ error: "must be an absolute http(s) URL, e.g. http://127.0.0.1:8080" }).refine(
  (value) => {
    try {
      const parsed = new URL(value);
      return (parsed.protocol === "http:" || parsed.protocol === "https:") && !parsed.search && !parsed.hash;
    } catch {
      return false;
    }
  },
  { error: "must be an absolute http(s) URL without query or fragment, e.g. http://127.0.0.1:8080" },
);

const port = int(1024, 65535);

const resources = (defaults: { cpus: number; memoryMb: number }, minMemoryMb: number) =>
  z.strictObject({
    cpus: decimal(0.1, 64).default(defaults.cpus),
    memoryMb: int(minMemoryMb, 262144).default(defaults.memoryMb),
  }).default(defaults);

export const keycloakSchema = z.strictObject({
  version: z.string({ error: "must be a Keycloak version such as 26.7.3" })
    .refine((value) => KeycloakVersion.isValid(value), { error: "must be a Keycloak version such as 26.7.3" })
    .default(KeycloakVersion.pinned.toString()),
  image: text("an image reference").optional(),
  optimizedImage: bool.default(false),
  nodes: int(1, 32).default(3),
  sessionMode: oneOf(SessionMode).default(SessionMode.Persistent),
  cacheMode: oneOf(CacheMode).default(CacheMode.Ispn),
  acknowledgeLocalCache: bool.default(false),
  discovery: oneOf(Discovery).default(Discovery.JdbcPing),
  hostname: url.optional(),
  adminUsername: text("a user name").default("admin"),
  logLevel: text("a Keycloak log level such as info").default("info"),
  resources: resources({ cpus: 2, memoryMb: 1536 }, 768),
}).prefault({});

export const databaseSchema = z.strictObject({
  image: text("an image reference").default("postgres:17"),
  name: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a PostgreSQL identifier: lower-case letters, digits, _" }).default("keycloak"),
  username: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a PostgreSQL identifier: lower-case letters, digits, _" }).default("keycloak"),
  resources: resources({ cpus: 1, memoryMb: 512 }, 128),
}).prefault({});

export const loadBalancerSchema = z.strictObject({
  image: text("an image reference").default("haproxy:3.2"),
  affinity: bool.default(false),
}).prefault({});

export const realmSchema = z.strictObject({
  name: z.string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be 1-64 letters, digits, '.', '_' or '-'" })
    .refine((name) => name !== "master", { error: "must not be \"master\": the chaos realm is imported and owned by the stack" })
    .default("chaos"),
  clientId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be 1-64 letters, digits, '.', '_' or '-'" }).default("chaos-cli"),
  redirectUri: url.optional(),
  testUsers: int(1, 10000).default(10),
}).prefault({});

const ipv4 = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, { error: "must be an IPv4 address such as 127.0.0.1" })
  .refine((ip) => ip.split(".").every((part) => Number(part) <= 255), { error: "must be an IPv4 address such as 127.0.0.1" });

export const dockerSchema = z.strictObject({
  namePrefix: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,40}$/, { error: "must be 1-41 lower-case letters, digits, '.', '_' or '-'" }).optional(),
  bindAddress: ipv4.default("127.0.0.1"),
  loadBalancerPort: port.default(8080),
  nodeHttpBasePort: port.default(18080),
  nodeManagementBasePort: port.default(19000),
  readyTimeoutSeconds: int(30, 3600).default(600),
  maxNodes: int(1, 32).default(9),
});

/** The whole `keycloak-cluster:*` namespace. */
export const configSchema = z.strictObject({
  target: oneOf(Target).default(Target.Docker),
  environment: oneOf(Environment).default(Environment.Dev),
  keycloak: keycloakSchema,
  database: databaseSchema,
  loadBalancer: loadBalancerSchema,
  realm: realmSchema,
  docker: dockerSchema.optional(),
});

export type RawConfig = z.infer<typeof configSchema>;
