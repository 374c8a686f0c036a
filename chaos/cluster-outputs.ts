/**
 * Reads the documented stack output shape (components/shared/outputs.ts): from a stack
 * through the Automation API, or from a JSON file of `pulumi stack output --json --show-secrets`.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ClusterOutputs } from "../components/shared/outputs";

const driver = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("docker"), container: z.string() }),
  z.object({ kind: z.literal("kubernetes"), namespace: z.string(), pod: z.string() }),
  z.object({ kind: z.literal("aws"), region: z.string(), instanceId: z.string(), autoScalingGroup: z.string().optional() }),
]);

const outputsSchema = z.object({
  schemaVersion: z.literal(1),
  target: z.enum(["docker", "kubernetes", "openshift", "aws"]),
  environment: z.enum(["dev", "production"]),
  sessionMode: z.enum(["persistent", "volatile"]),
  cacheMode: z.enum(["ispn", "local"]),
  clusterSize: z.number().int().positive(),
  publicUrl: z.string().url(),
  issuerUrl: z.string().url(),
  realm: z.string(),
  clientId: z.string(),
  clientSecret: z.string().min(1),
  redirectUri: z.string().url(),
  testUsers: z.array(z.object({ username: z.string(), password: z.string() })).min(1),
  adminUsername: z.string(),
  adminPassword: z.string(),
  nodes: z.array(z.object({ id: z.string(), nodeName: z.string(), driver, httpUrl: z.string().url(), managementUrl: z.string().url() })).min(1),
  loadBalancer: z.object({ url: z.string().url(), driver: driver.optional() }),
});

/** Validates the shape; the error names every bad key. */
export function parseClusterOutputs(raw: unknown, source: string): ClusterOutputs {
  const parsed = outputsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${source} does not have the keycloak-cluster output shape:\n${problems.join("\n")}`);
  }
  return parsed.data;
}

/** Automation API outputs ({key: {value, secret}}) → plain values. */
export function plainOutputs(outputs: Record<string, { value: unknown }>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([key, v]) => [key, v.value]));
}

export async function readOutputsFile(path: string): Promise<ClusterOutputs> {
  return parseClusterOutputs(JSON.parse(await readFile(path, "utf8")), path);
}
