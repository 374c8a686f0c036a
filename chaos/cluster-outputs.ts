/**
 * Reads the documented stack output shape (components/shared/outputs.ts, the same schema the
 * stack builds its outputs from): from a stack through the Automation API, or from a JSON file of
 * `pulumi stack output --json --show-secrets`.
 */
import { readFile } from "node:fs/promises";
import { ClusterOutputs, ClusterOutputsSchema, OutputsSchemaVersion, SecretOutputs } from "../components/shared/outputs";

/** What `pulumi stack output --json` prints for a secret without `--show-secrets`. */
const Masked = "[secret]";

/** Validates the shape; the error names every bad key and how to get a good file. */
export function parseClusterOutputs(raw: unknown, source: string): ClusterOutputs {
  const record = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  const masked = SecretOutputs.filter((key) => record?.[key] === Masked);
  if (masked.length) {
    throw new Error(
      `${source} was written without --show-secrets (${masked.join(", ")} read "${Masked}"); write it again with: pulumi stack output --json --show-secrets > FILE`,
    );
  }
  if (record && typeof record.schemaVersion === "number" && record.schemaVersion !== OutputsSchemaVersion) {
    throw new Error(
      `${source} has outputs of schema version ${record.schemaVersion}; this chaos command reads version ${OutputsSchemaVersion}: run pulumi up on the stack to refresh its outputs`,
    );
  }
  const parsed = ClusterOutputsSchema.safeParse(raw);
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
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(
      `${path} is not a JSON file of stack outputs (${error instanceof Error ? error.message : String(error)}); write one with: pulumi stack output --json --show-secrets > FILE`,
    );
  }
  return parseClusterOutputs(json, path);
}
