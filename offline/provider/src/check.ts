// check: defaults and validation. Every input this stand-in does not implement is a failure
// naming the property, never silently ignored.

import type { CheckFailure, CheckResult } from "@pulumi/pulumi/provider";

/** check's result, with the inputs typed. */
export interface CheckOutput extends CheckResult {
  readonly inputs: Props;
}
import { type PropSpec, type ResourceSpec, nameOfUrn, specFor, typeOfUrn, SPECS } from "./schema";
import { type Props, containsUnknown, isSecret, parseGoDuration, randomSuffix, secret, text, unwrap } from "./values";

const RESTART_POLICIES = ["no", "on-failure", "always", "unless-stopped"];
const PROTOCOLS = ["tcp", "udp", "sctp"];

function unsupported(path: string): CheckFailure {
  return { property: path, reason: `property "${path}" is not supported by the offline docker stand-in` };
}

/** Applies fn to the value inside a secret wrapper (if any) and re-wraps the result. */
function inside(v: unknown, fn: (x: unknown) => unknown): unknown {
  return isSecret(v) ? secret(fn((v as Props).value)) : fn(v);
}

function checkValue(path: string, spec: PropSpec, raw: unknown, failures: CheckFailure[]): unknown {
  if (containsUnknown(raw)) {
    return raw;
  }
  return inside(raw, (v) => {
    const plain = unwrap(v);
    const bad = (what: string) => failures.push({ property: path, reason: `${path} must be ${what}` });
    switch (spec.kind) {
      case "string":
        if (typeof plain !== "string") bad("a string");
        return v;
      case "int":
        if (typeof plain !== "number" || !Number.isInteger(plain)) bad("an integer");
        return v;
      case "bool":
        if (typeof plain !== "boolean") bad("a boolean");
        return v;
      case "stringList":
        if (!Array.isArray(plain) || plain.some((x) => typeof x !== "string")) bad("a list of strings");
        return v;
      case "object":
        if (typeof plain !== "object" || plain === null || Array.isArray(plain)) {
          bad("an object");
          return v;
        }
        return checkObject(path, spec.fields ?? {}, v as Props, failures);
      case "objectList":
        if (!Array.isArray(plain)) {
          bad("a list of objects");
          return v;
        }
        return (v as unknown[]).map((item, i) =>
          inside(item, (o) => {
            const p = unwrap(o);
            if (typeof p !== "object" || p === null || Array.isArray(p)) {
              failures.push({ property: `${path}[${i}]`, reason: `${path}[${i}] must be an object` });
              return o;
            }
            return checkObject(`${path}[${i}]`, spec.fields ?? {}, o as Props, failures);
          }),
        );
    }
    return v;
  });
}

function checkObject(path: string, fields: Readonly<Record<string, PropSpec>>, obj: Props, failures: CheckFailure[]): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(obj)) {
    const p = path ? `${path}.${k}` : k;
    if (k.startsWith("__")) {
      continue;
    }
    const spec = fields[k];
    if (!spec) {
      failures.push(unsupported(p));
      continue;
    }
    if (v === undefined || v === null) {
      continue;
    }
    out[k] = checkValue(p, spec, v, failures);
  }
  for (const [k, spec] of Object.entries(fields)) {
    const p = path ? `${path}.${k}` : k;
    if (out[k] === undefined && spec.default !== undefined) {
      out[k] = spec.default;
    }
    if (out[k] === undefined && spec.required) {
      failures.push({ property: p, reason: `missing required property "${p}"` });
    }
  }
  return out;
}

function known(v: unknown): boolean {
  return v !== undefined && !containsUnknown(v);
}

function validateDuration(path: string, v: unknown, failures: CheckFailure[]): void {
  if (!known(v)) return;
  try {
    if (parseGoDuration(unwrap<string>(v)) < 0) {
      failures.push({ property: path, reason: `${path} must not be negative` });
    }
  } catch (e) {
    failures.push({ property: path, reason: `${path}: ${(e as Error).message}` });
  }
}

function validateContainer(inputs: Props, failures: CheckFailure[]): void {
  const p = unwrap<Props>(inputs);
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  if (known(p.restart) && !RESTART_POLICIES.includes(p.restart as string)) {
    fail("restart", `restart must be one of ${RESTART_POLICIES.join(", ")}, got "${text(p.restart)}"`);
  }
  for (const key of ["memory", "maxRetryCount", "stopTimeout"]) {
    if (known(p[key]) && (p[key] as number) < 0) fail(key, `${key} must be >= 0`);
  }
  if (known(p.waitTimeout) && (p.waitTimeout as number) <= 0) fail("waitTimeout", "waitTimeout must be > 0");
  if (known(p.cpus) && !(typeof p.cpus === "string" && /^\d+(\.\d+)?$/.test(p.cpus) && Number(p.cpus) > 0)) {
    fail("cpus", `cpus must be a positive decimal such as "1.5", got "${text(p.cpus)}"`);
  }
  if (Array.isArray(p.command) && p.command.some((c) => c === "")) {
    fail("command", "values for command may not be empty");
  }
  (Array.isArray(p.envs) ? p.envs : []).forEach((e, i) => {
    if (known(e) && (typeof e !== "string" || !e.includes("="))) fail(`envs[${i}]`, `envs[${i}] must be "KEY=VALUE"`);
  });
  (Array.isArray(p.ports) ? (p.ports as Props[]) : []).forEach((port, i) => {
    for (const k of ["internal", "external"]) {
      const n = port[k];
      if (known(n) && (typeof n !== "number" || n < 1 || n > 65535)) {
        fail(`ports[${i}].${k}`, `ports[${i}].${k} must be a port number (1-65535)`);
      }
    }
    if (known(port.protocol) && !PROTOCOLS.includes(port.protocol as string)) {
      fail(`ports[${i}].protocol`, `ports[${i}].protocol must be one of ${PROTOCOLS.join(", ")}`);
    }
  });
  (Array.isArray(p.volumes) ? (p.volumes as Props[]) : []).forEach((vol, i) => {
    if (vol.volumeName === undefined) {
      fail(
        `volumes[${i}].volumeName`,
        `volumes[${i}].volumeName is required (hostPath and fromContainer are not supported by the offline docker stand-in)`,
      );
    }
    if (vol.containerPath === undefined) {
      fail(`volumes[${i}].containerPath`, `volumes[${i}].containerPath is required`);
    }
  });
  (Array.isArray(p.uploads) ? (p.uploads as Props[]) : []).forEach((up, i) => {
    const set = ["content", "contentBase64"].filter((k) => up[k] !== undefined && up[k] !== "");
    if (set.length !== 1) {
      fail(`uploads[${i}]`, `uploads[${i}]: exactly one of content or contentBase64 must be set`);
    }
    const b64 = up.contentBase64;
    if (known(b64) && (typeof b64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)) {
      fail(`uploads[${i}].contentBase64`, `uploads[${i}].contentBase64 is not valid base64`);
    }
  });
  const hc = p.healthcheck as Props | undefined;
  if (hc && typeof hc === "object") {
    for (const k of ["interval", "timeout", "startPeriod"]) validateDuration(`healthcheck.${k}`, hc[k], failures);
    if (known(hc.retries) && (hc.retries as number) < 0) fail("healthcheck.retries", "healthcheck.retries must be >= 0");
  }
}

/**
 * The provider's check. `olds` are the previous checked inputs (empty on create, and on the
 * engine's second check for a create-before-delete replacement, which gives a new auto-name).
 */
export function check(urn: string, olds: Props, news: Props): CheckOutput {
  const token = typeOfUrn(urn);
  if (!SPECS.has(token)) {
    return {
      inputs: news,
      failures: [{ property: "", reason: `resource type "${token}" is not supported by the offline docker stand-in` }],
    };
  }
  const spec: ResourceSpec = specFor(urn);
  const failures: CheckFailure[] = [];
  const inputs = checkObject("", spec.props, news ?? {}, failures);
  if (spec.autoName && inputs.name === undefined) {
    // Auto-naming like the real provider: keep the old generated name, else a fresh one.
    const old = olds?.name;
    inputs.name = typeof old === "string" && old !== "" ? old : `${nameOfUrn(urn)}-${randomSuffix()}`;
    inputs.__defaults = ["name"];
  }
  if (spec.token === "docker:index/container:Container") {
    validateContainer(inputs, failures);
  }
  return failures.length > 0 ? { inputs, failures } : { inputs };
}
