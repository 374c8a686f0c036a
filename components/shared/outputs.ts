/**
 * The one shape of stack outputs every target produces and the chaos command reads (from a
 * stack through the Automation API, or from a JSON file of `pulumi stack output --json
 * --show-secrets`). The schema below is the single definition: the TypeScript type, the list of
 * stack outputs, which of them are secret, and the chaos command's parser all derive from it.
 */
import { z } from "zod";
import { CacheMode, Environment, SessionMode, Target } from "../keycloak/model";

function oneOf<T extends Record<string, string>>(values: T) {
  return z.enum(Object.values(values) as [T[keyof T], ...T[keyof T][]]);
}

/** A Docker node as the deployment knows it: published ports are fixed by the stack. */
export const DockerNodeSchema = z.object({
  /** Stable id within the cluster, e.g. kc-0. */
  id: z.string().min(1),
  /** Infinispan node name; every AUTH_SESSION_ID cookie of a session this node created ends in `.<nodeName>`. */
  nodeName: z.string().min(1),
  container: z.string().min(1),
  /** Direct URL of the node's HTTP port (bypassing the load balancer). */
  httpUrl: z.url(),
  /** Direct URL of the node's management port (health, metrics). */
  managementUrl: z.url(),
});

/**
 * How the chaos command reaches the cluster's runtime. The driver resolves the nodes as they
 * are at run time from it (a replaced pod has a new address, an EC2 replacement a new id).
 */
export const DriverHandleSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal(Target.Docker),
    /** The engine the stack deployed to (`docker:host`); absent: DOCKER_HOST or the local socket. */
    host: z.string().min(1).optional(),
    nodes: z.array(DockerNodeSchema).min(1),
  }),
  z.object({
    kind: z.literal("kubernetes"),
    namespace: z.string().min(1),
    /** The StatefulSet whose pods are the nodes (pod name = node name). */
    statefulSet: z.string().min(1),
    /** Labels that select exactly the Keycloak pods. */
    podLabels: z.record(z.string(), z.string()),
    httpPort: z.number().int().positive(),
    managementPort: z.number().int().positive(),
    /** The API server the stack deployed to; the chaos command takes its credentials from its own kubeconfig. */
    server: z.url(),
  }),
  z.object({
    kind: z.literal(Target.Aws),
    region: z.string().min(1),
    /** The Auto Scaling group whose instances are the nodes. */
    autoScalingGroup: z.string().min(1),
    httpPort: z.number().int().positive(),
    managementPort: z.number().int().positive(),
  }),
]);
export type DriverHandle = z.infer<typeof DriverHandleSchema>;
export type DockerNode = z.infer<typeof DockerNodeSchema>;

/** What decides how fast a frozen or dead node is out: the chaos report names it. */
export const FailoverSettingsSchema = z.object({
  /** The JGroups stack the nodes cluster over. */
  cacheStack: z.string().min(1),
  /** The cache configuration file's name (keycloak.cacheConfigFile); null: Keycloak's built-in one. */
  cacheConfigFile: z.string().min(1).nullable(),
  /** Keycloak's node-to-node mutual TLS. */
  clusterTls: z.boolean(),
  /** How the load balancer (or the pod readiness probe) checks /health/ready. */
  healthCheck: z.object({
    intervalSeconds: z.number().positive(),
    timeoutSeconds: z.number().positive(),
    fall: z.number().int().positive(),
  }),
  /** After how long the load balancer sends a safe request (GET/HEAD) to another node; null: it never does. */
  safeRetryAfterSeconds: z.number().positive().nullable(),
});
export type FailoverSettings = z.infer<typeof FailoverSettingsSchema>;

const TestUserSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

export const OutputsSchemaVersion = 2;

export const ClusterOutputsSchema = z.object({
  schemaVersion: z.literal(OutputsSchemaVersion),
  /** Stable identity of the cluster (restore records and locks are keyed by it), e.g. docker/kc-dev. */
  clusterId: z.string().min(1),
  target: oneOf(Target),
  environment: oneOf(Environment),
  sessionMode: oneOf(SessionMode),
  cacheMode: oneOf(CacheMode),
  /** Number of nodes; every node must report this cluster size. */
  clusterSize: z.number().int().positive(),
  /** Public base URL (the issuer's origin). */
  publicUrl: z.url(),
  /** OpenID Connect issuer. */
  issuerUrl: z.url(),
  realm: z.string().min(1),
  clientId: z.string().min(1),
  /** Secret. */
  clientSecret: z.string().min(1),
  redirectUri: z.url(),
  /** Secret. */
  testUsers: z.array(TestUserSchema).min(1),
  adminUsername: z.string().min(1),
  /** Secret. */
  adminPassword: z.string().min(1),
  /** Where the chaos command sends traffic through the load balancer (may differ from publicUrl, e.g. a port on 127.0.0.1). */
  loadBalancerUrl: z.url(),
  driver: DriverHandleSchema,
  /** Absent in stacks deployed before it was an output. */
  failoverSettings: FailoverSettingsSchema.optional(),
});

/** Stack outputs, by output name. */
export type ClusterOutputs = z.infer<typeof ClusterOutputsSchema>;
export type OutputName = keyof ClusterOutputs;

/** Every stack output, in the schema's order. */
export const OutputNames = Object.keys(ClusterOutputsSchema.shape) as OutputName[];

/** Output names that hold secrets. */
export const SecretOutputs = ["clientSecret", "testUsers", "adminPassword"] as const satisfies readonly OutputName[];

export function isSecretOutput(name: OutputName): boolean {
  return (SecretOutputs as readonly OutputName[]).includes(name);
}
