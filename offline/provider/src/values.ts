// Wire-level helpers for property values as the Pulumi engine sends them to a provider
// that accepts secrets: secrets arrive wrapped in a signature object, unknown values
// (during preview) as a sentinel string. The constants are part of the Pulumi RPC protocol
// (see @pulumi/pulumi/runtime/rpc.js).

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Props = Record<string, unknown>;

function isObject(v: unknown): v is Props {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isSecret(v: unknown): boolean {
  return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

/** Wraps a value the way the engine marks secrets. */
export function secret(v: unknown): Props {
  return { [SIG_KEY]: SECRET_SIG, value: v };
}

/** True when the value is, or contains, an unknown (preview) value. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) {
    return true;
  }
  if (Array.isArray(v)) {
    return v.some(containsUnknown);
  }
  if (isObject(v)) {
    if (v[SIG_KEY] === OUTPUT_VALUE_SIG && !("value" in v)) {
      return true;
    }
    return Object.values(v).some(containsUnknown);
  }
  return false;
}

/** True when the value is, or contains, a secret. */
export function containsSecret(v: unknown): boolean {
  if (isSecret(v)) {
    return true;
  }
  if (Array.isArray(v)) {
    return v.some(containsSecret);
  }
  if (isObject(v)) {
    if (v[SIG_KEY] === OUTPUT_VALUE_SIG && v.secret === true) {
      return true;
    }
    return Object.values(v).some(containsSecret);
  }
  return false;
}

/** Removes every secret / output-value wrapper, for using the values. */
export function unwrap<T = unknown>(v: unknown): T {
  if (Array.isArray(v)) {
    return v.map((x) => unwrap(x)) as T;
  }
  if (isObject(v)) {
    const sig = v[SIG_KEY];
    if (sig === SECRET_SIG || sig === OUTPUT_VALUE_SIG) {
      return unwrap<T>(v.value);
    }
    if (sig === RESOURCE_SIG) {
      // A resource reference: use its id when it has one, else its URN.
      return (v.id ?? v.urn) as T;
    }
    const out: Props = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = unwrap(x);
    }
    return out as T;
  }
  return v as T;
}

/**
 * The value the real (Terraform-based) provider treats as "not set": undefined, null,
 * "", false, 0, [] and {} all mean "absent" (the SDK's GetOk zero-value semantics).
 */
export function isZero(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === "" ||
    v === false ||
    v === 0 ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0)
  );
}

/** A scalar input as text (numbers and booleans spelled out; anything else as JSON). */
export function text(v: unknown, fallback = ""): string {
  if (v === undefined || v === null) return fallback;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return `${v}`;
  return JSON.stringify(v);
}

/** Deterministic JSON (sorted keys), used for comparisons and set ordering. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) {
    return `[${v.map(stableJson).join(",")}]`;
  }
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v === undefined ? null : v);
}

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Parses a Go duration string ("5s", "1m30s", "1.5h", "250ms", "0") into nanoseconds,
 * as the real provider does with time.ParseDuration. Throws on invalid input.
 */
export function parseGoDuration(text: string): number {
  if (typeof text !== "string" || text.length === 0) {
    throw new Error(`invalid duration ${JSON.stringify(text)}`);
  }
  let s = text;
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    sign = s[0] === "-" ? -1 : 1;
    s = s.slice(1);
  }
  if (s === "0") {
    return 0;
  }
  if (s === "") {
    throw new Error(`invalid duration ${JSON.stringify(text)}`);
  }
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) {
      throw new Error(`invalid duration ${JSON.stringify(text)} (expected e.g. "5s", "1m30s", "250ms")`);
    }
    total += parseFloat(m[1]) * UNIT_NS[m[2]];
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** A random lowercase suffix like Pulumi's auto-naming uses (name-abc1234). */
export function randomSuffix(length = 7): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let out = "";
  for (let i = 0; i < length; i++) {
    out += alphabet[Math.floor(Math.random() * alphabet.length)];
  }
  return out;
}
