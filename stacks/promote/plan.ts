/**
 * Promotion of configuration between stacks, the pure part: each key classified once (promoted:
 * what every stack shares; per-stack: what must differ), a plan of what the destination gets
 * (added, changed, unchanged, kept), and the production rules a destination must pass. The
 * command (cli.ts) reads and writes through the Pulumi CLI.
 */
import { Namespace } from "../decode";
import { SecretPaths } from "../schema";

export type KeyClass = "promoted" | "per-stack";

/**
 * Shared by every stack: the Keycloak version and its session and cache modes, the log level,
 * the realm, the load balancer's affinity, the database's name and user. Everything else differs
 * per stack: the target and its settings, the environment, node counts, hostnames, images,
 * resources, the database's mode, URL and password, the admin's name.
 */
export const PromotedKeys: readonly string[] = [
  "keycloak.version",
  "keycloak.sessionMode",
  "keycloak.cacheMode",
  "keycloak.discovery",
  "keycloak.logLevel",
  "loadBalancer.affinity",
  "database.name",
  "database.username",
  "realm.name",
  "realm.clientId",
  "realm.testUsers",
];

export function classify(path: string): KeyClass {
  return PromotedKeys.includes(path) ? "promoted" : "per-stack";
}

/** One setting, as the CLI reads it. */
export interface Setting {
  readonly value: unknown;
  readonly secret: boolean;
}

export type Settings = ReadonlyMap<string, Setting>;

/**
 * The CLI's configuration ({"keycloak-cluster:keycloak": {value: '{"nodes":3}', secret}}) as
 * settings by path ("keycloak.nodes"). Objects are walked; arrays and scalars are leaves; other
 * namespaces are left out. Pulumi says only which top-level keys hold a secret; the settings that
 * can be secret are SecretPaths (database.password), so those are the secret leaves.
 */
export function flatten(all: Readonly<Record<string, { readonly value: string; readonly secret?: boolean }>>): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  const walk = (path: string, value: unknown, secret: boolean) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) {
        walk(`${path}.${key}`, inner, secret);
      }
    } else {
      settings.set(path, { value, secret: secret && (SecretPaths as readonly string[]).includes(path) });
    }
  };
  for (const [fullKey, { value, secret }] of Object.entries(all)) {
    if (!fullKey.startsWith(`${Namespace}:`)) {
      continue;
    }
    let parsed: unknown = value;
    try {
      parsed = value.trim().startsWith("{") ? JSON.parse(value) : value;
    } catch {
      parsed = value;
    }
    walk(fullKey.slice(Namespace.length + 1), parsed, secret ?? false);
  }
  return settings;
}

/** Settings by path back into the top-level objects the schema reads. */
export function nest(settings: Settings): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, { value }] of settings) {
    const parts = path.split(".");
    let at = root;
    for (const part of parts.slice(0, -1)) {
      at[part] = at[part] !== null && typeof at[part] === "object" ? at[part] : {};
      at = at[part] as Record<string, unknown>;
    }
    at[parts[parts.length - 1]] = value;
  }
  return root;
}

export type ChangeKind = "added" | "changed" | "unchanged" | "kept";

export interface Change {
  readonly key: string;
  readonly kind: ChangeKind;
  readonly before?: Setting;
  readonly after?: Setting;
}

export interface Plan {
  /** What the destination's promoted keys become, and every key it keeps as it is. */
  readonly changes: readonly Change[];
  /** The destination's settings after the promotion. */
  readonly result: Map<string, Setting>;
  /** The writes: only added and changed promoted keys. */
  readonly writes: ReadonlyMap<string, Setting>;
}

export class PromotionError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`nothing was promoted:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PromotionError";
  }
}

/** What promoting `keys` (default: every promoted key the source sets) from `source` to `destination` does. */
export function planPromotion(source: Settings, destination: Settings, keys: readonly string[] = []): Plan {
  const problems: string[] = [];
  for (const key of keys) {
    if (classify(key) === "per-stack") {
      problems.push(`${key} is a per-stack key and is never promoted (promoted keys: ${PromotedKeys.join(", ")})`);
    } else if (!source.has(key)) {
      problems.push(`${key} is not set in the source stack`);
    }
  }
  if (problems.length) {
    throw new PromotionError(problems);
  }
  const selected = keys.length ? keys : [...source.keys()].filter((k) => classify(k) === "promoted");
  const result = new Map(destination);
  const writes = new Map<string, Setting>();
  const changes: Change[] = [];
  for (const key of [...selected].sort()) {
    const after = source.get(key) as Setting;
    const before = destination.get(key);
    const same = before !== undefined && JSON.stringify(before.value) === JSON.stringify(after.value) && before.secret === after.secret;
    changes.push({ key, kind: before === undefined ? "added" : same ? "unchanged" : "changed", before, after });
    if (!same) {
      writes.set(key, after);
      result.set(key, after);
    }
  }
  for (const key of [...destination.keys()].filter((k) => !selected.includes(k)).sort()) {
    changes.push({ key, kind: "kept", before: destination.get(key), after: destination.get(key) });
  }
  return { changes, result, writes };
}

/** A value for people: secrets never shown. */
export function show(setting: Setting | undefined): string {
  if (setting === undefined) {
    return "(unset)";
  }
  return setting.secret ? "[secret]" : JSON.stringify(setting.value);
}

/** The readable diff. */
export function renderPlan(plan: Plan, from: string, to: string): string {
  const marks: Record<ChangeKind, string> = { added: "+", changed: "~", unchanged: "=", kept: " " };
  const lines = plan.changes.map((c) => {
    const detail = c.kind === "changed" ? `${show(c.before)} → ${show(c.after)}` : show(c.after);
    return `  ${marks[c.kind]} ${c.key.padEnd(28)} ${c.kind.padEnd(9)} ${detail}`;
  });
  const count = (kind: ChangeKind) => plan.changes.filter((c) => c.kind === kind).length;
  return [
    `promote ${from} → ${to}: ${count("added")} added, ${count("changed")} changed, ${count("unchanged")} unchanged, ${count("kept")} kept`,
    ...lines,
  ].join("\n");
}

/** The plan for machines: secrets as "[secret]". */
export function planJson(plan: Plan, from: string, to: string, dryRun: boolean, written: boolean) {
  const value = (s: Setting | undefined) => (s === undefined ? undefined : s.secret ? "[secret]" : s.value);
  return {
    from,
    to,
    dryRun,
    written,
    changes: plan.changes.map((c) => ({
      key: c.key,
      kind: c.kind,
      before: value(c.before),
      after: value(c.after),
      secret: c.after?.secret ?? c.before?.secret ?? false,
    })),
  };
}

/**
 * What a production stack must be, beyond what `pulumi up` checks: on a cluster target, three
 * nodes or more, an https hostname, one cluster (cache ispn), no development acknowledgements,
 * and a database that survives the stack (aws: deletion protection comes with production).
 */
export function productionProblems(settings: Settings): string[] {
  const get = (key: string) => settings.get(key)?.value;
  const problems: string[] = [];
  if (get("environment") !== "production") {
    return problems;
  }
  const target = get("target") ?? "docker";
  if (target === "docker") {
    problems.push("target: a production stack runs on kubernetes, openshift or aws, not on one Docker host");
  }
  if (Number(get("keycloak.nodes") ?? 3) < 3) {
    problems.push("keycloak.nodes: a production stack runs at least 3 nodes (a node can fail while another is updated)");
  }
  if (typeof get("keycloak.hostname") !== "string" || !String(get("keycloak.hostname")).startsWith("https://")) {
    problems.push("keycloak.hostname: a production stack serves an https hostname");
  }
  if ((get("keycloak.cacheMode") ?? "ispn") !== "ispn") {
    problems.push('keycloak.cacheMode: a production stack forms one cluster: "ispn"');
  }
  for (const key of ["keycloak.acknowledgeLocalCache", "aws.allowInsecureHttp", "kubernetes.skipAwait", "openshift.skipAwait"]) {
    if (String(get(key)) === "true") {
      problems.push(`${key}: a development acknowledgement has no place in a production stack; remove it`);
    }
  }
  return problems;
}
