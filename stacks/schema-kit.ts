/**
 * Field types for the stack configuration schema. Every message says what the value must be,
 * with an example, and values are used exactly as validated (nothing is trimmed or rewritten).
 */
import { z } from "zod";
import { KeycloakVersion } from "../components/keycloak/version";
import { SecretText } from "../components/shared/secret";

/** A whole number, also accepted as a numeric string (how `pulumi config set --path` may store it). */
export function int(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    (value) => (typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value),
    z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
  );
}

export function decimal(min: number, max: number) {
  const error = `must be a number from ${min} to ${max}`;
  return z.preprocess(
    (value) => (typeof value === "string" && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value),
    z.number({ error }).min(min, { error }).max(max, { error }),
  );
}

/** true/false, also accepted as the strings "true"/"false". */
export const bool = z.preprocess(
  (value) => (value === "true" ? true : value === "false" ? false : value),
  z.boolean({ error: "must be true or false" }),
);

export function oneOf<T extends Record<string, string>>(values: T) {
  const list = Object.values(values) as [T[keyof T], ...T[keyof T][]];
  return z.enum(list, { error: `must be one of ${list.map((v) => `"${v}"`).join(", ")}` });
}

/** Text without leading or trailing blanks (a blank would be deployed as typed). */
export function text(what: string, pattern?: RegExp) {
  const error = `must be ${what}`;
  return z
    .string({ error })
    .min(1, { error })
    .refine((value) => value.trim() === value, { error: `${error}, without leading or trailing blanks` })
    .refine((value) => pattern === undefined || pattern.test(value), { error });
}

/** An absolute http(s) URL; `why` says what is wrong with it, else undefined. */
export function urlProblem(value: string): string | undefined {
  if (value.trim() !== value || /\s/.test(value)) {
    return "it has blanks";
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return "it does not parse as a URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `its scheme is ${parsed.protocol.replace(/:$/, "")}`;
  }
  if (value.includes("?")) {
    return "it has a query (?…)";
  }
  if (value.includes("#")) {
    return "it has a fragment (#…)";
  }
  if (parsed.username || parsed.password) {
    return "it carries credentials";
  }
  return undefined;
}

/** An absolute http(s) URL without blanks, query, fragment or credentials, used exactly as given. */
export function url(example: string, extra?: (value: string) => string | undefined) {
  return z.string({ error: `must be an absolute http(s) URL such as ${example}` }).superRefine((value, ctx) => {
    const why = urlProblem(value) ?? extra?.(value);
    if (why) {
      ctx.addIssue({ code: "custom", message: `must be an absolute http(s) URL such as ${example}: ${why}` });
    }
  });
}

/**
 * A container image reference as Docker and containerd parse it (distribution/reference):
 * `[registry[:port]/]path[:tag][@algorithm:hex]`, lower-case path components.
 */
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
export const ImageReference = new RegExp(`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@${digest})?$`);

const ImageMessage =
  "must be an image reference such as quay.io/keycloak/keycloak:26.7.3 (lower-case name, optional :tag and @sha256:digest)";
export const imageRef = z.string({ error: ImageMessage }).superRefine((value, ctx) => {
  if (value.trim() !== value) {
    ctx.addIssue({ code: "custom", message: `${ImageMessage}, without leading or trailing blanks` });
  } else if (!ImageReference.test(value) || value.length > 255) {
    ctx.addIssue({ code: "custom", message: ImageMessage });
  }
});

/** Keycloak's log levels (`log-level`), matched without regard to case. */
export const LogLevels = ["off", "fatal", "error", "warn", "info", "debug", "trace", "all"] as const;
const level = `(?:${LogLevels.join("|")})`;
const category = "[A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$-]*)*";
export const LogLevelPattern = new RegExp(`^(?:${category}:)?${level}(?:,(?:${category}:)?${level})*$`, "i");

export const logLevel = z
  .string({ error: `must be a Keycloak log level (${LogLevels.join(", ")}) or category:level pairs, e.g. info,org.keycloak.events:debug` })
  .regex(LogLevelPattern, {
    error: `must be a Keycloak log level (${LogLevels.join(", ")}) or category:level pairs, e.g. info,org.keycloak.events:debug`,
  });

export const version = z
  .string({ error: `must be a Keycloak version such as ${KeycloakVersion.pinned.toString()}` })
  .refine((value) => KeycloakVersion.isValid(value), { error: `must be a Keycloak version such as ${KeycloakVersion.pinned.toString()}` });

/** A PostgreSQL identifier. */
export const identifier = z
  .string({ error: "must be a PostgreSQL identifier: lower-case letters, digits, _ (at most 63)" })
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: "must be a PostgreSQL identifier: lower-case letters, digits, _ (at most 63)" });

/** A name Keycloak accepts for a realm or client id. */
export const keycloakName = z
  .string({ error: "must be 1-64 letters, digits, '.', '_' or '-'" })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be 1-64 letters, digits, '.', '_' or '-'" });

export const ipv4 = z
  .string({ error: "must be an IPv4 address such as 127.0.0.1" })
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, { error: "must be an IPv4 address such as 127.0.0.1" })
  .refine((ip) => ip.split(".").every((part) => Number(part) <= 255), { error: "must be an IPv4 address such as 127.0.0.1" });

export const port = int(1024, 65535);

/** A value the user must store with `--secret`; it stays a {@link SecretText}. */
export function secret(path: string, example: string) {
  return z.custom<SecretText>((value) => value instanceof SecretText, {
    error: (issue) =>
      typeof issue.input === "string"
        ? `is stored in plain text; store it as a secret: pulumi config set --secret --path ${path} ${example}`
        : `must be a secret text: pulumi config set --secret --path ${path} ${example}`,
  });
}

export const amount = (minMemoryMb: number, what: string) =>
  z.strictObject(
    { cpus: decimal(0.05, 64), memoryMb: int(minMemoryMb, 262144) },
    { error: `must be an object {cpus, memoryMb} for ${what}, e.g. pulumi config set --path <key>.cpus 1` },
  );

/** Requests and limits; each target says which it takes and fills the defaults. */
export const resources = (minMemoryMb: number) =>
  z.strictObject(
    { requests: amount(minMemoryMb, "requests").optional(), limits: amount(minMemoryMb, "limits").optional() },
    { error: "must be an object with requests and/or limits, e.g. pulumi config set --path <key>.limits.cpus 2" },
  );

/** An object section of the namespace; a non-object says how to set its fields. */
export function section<S extends z.ZodRawShape>(key: string, fields: S, example: string) {
  return z.strictObject(fields, {
    error: `must be an object of ${key} settings; set each field with --path, e.g. pulumi config set --path ${example}`,
  });
}
