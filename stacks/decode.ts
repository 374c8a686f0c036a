/**
 * From the raw configuration map Pulumi hands the program (every value a string, structured
 * values as JSON, secret values decrypted) to plain values for the schema: JSON decoded, a
 * literal dotted key recognised, and secret values kept as {@link SecretText}.
 */
import { SecretText } from "../components/shared/secret";
import type { ConfigProblem } from "./config";
import { SecretPaths, TopLevelKeys } from "./schema";

export const Namespace = "keycloak-cluster";

export interface ConfigInput {
  /** Top-level keys without the namespace → decoded values. */
  readonly values: Record<string, unknown>;
  /** What could not be decoded, or sits where it cannot work. */
  readonly problems: ConfigProblem[];
}

/** Decodes the namespace's keys of `all`; `isSecret` says which full keys Pulumi holds as secrets. */
export function decodeConfig(all: Readonly<Record<string, string>>, isSecret: (fullKey: string) => boolean): ConfigInput {
  const values: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith(`${Namespace}:`)) {
      continue;
    }
    const key = fullKey.slice(Namespace.length + 1);
    const head = key.split(".")[0];
    if (key.includes(".") && (TopLevelKeys as string[]).includes(head)) {
      problems.push({
        path: key,
        message: `was set as one literal key named "${key}", not as a path; set it with --path: pulumi config rm ${key} && pulumi config set --path ${key} <value>`,
      });
      continue;
    }
    const decoded = decode(key, text);
    if (!decoded.ok) {
      problems.push({ path: key, message: decoded.message });
      continue;
    }
    const secret = isSecret(fullKey);
    const secretPaths = SecretPaths.filter((p) => p.startsWith(`${key}.`));
    if (secret && secretPaths.length === 0) {
      problems.push({
        path: key,
        message: `is stored as a secret, but its values name resources and appear in outputs, so they cannot stay secret; set it again without --secret (the secret settings are: ${SecretPaths.join(", ")})`,
      });
      continue;
    }
    values[key] = secret ? wrapSecrets(decoded.value, key, secretPaths) : decoded.value;
  }
  return { values, problems };
}

type Decoded = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

function decode(key: string, text: string): Decoded {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
    return { ok: true, value: text };
  }
  try {
    return { ok: true, value: JSON.parse(trimmed) as unknown };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      message: `looks like JSON but does not parse (${why}); fix its quoting, or set each field with --path, e.g. pulumi config set --path ${key}.<field> <value>`,
    };
  }
}

/** Wraps the values at `paths` (e.g. database.password) of a secret key's object in SecretText. */
function wrapSecrets(value: unknown, key: string, paths: readonly string[]): unknown {
  if (typeof value === "string") {
    // A whole section stored as one secret string: nothing to wrap field by field.
    return value;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return value;
  }
  const object = { ...(value as Record<string, unknown>) };
  for (const path of paths) {
    const field = path.slice(key.length + 1);
    if (typeof object[field] === "string") {
      object[field] = new SecretText(object[field]);
    }
  }
  return object;
}
