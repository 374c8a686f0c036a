import * as pulumi from "@pulumi/pulumi";

/**
 * A random secret generated once and kept in state, stable across updates, and secret in
 * state and outputs. A dynamic resource on node:crypto, because @pulumi/random's provider
 * plugin cannot be installed offline.
 *
 * It never changes by accident: a new value comes only from raising `rotation` (an update of the
 * same resource, which keeps the value before it as `previous`). A change that would replace it
 * (a new length) is refused at preview, before anything is touched, with the reason; renames keep
 * it through aliases, and production stacks protect it.
 */
export interface GeneratedSecretArgs {
  /** Length of the value in characters (base64url alphabet). */
  readonly length: number;
  /** What the secret is, for messages ("the database password"). */
  readonly purpose: string;
  /** Generation: raising it gives a new value (default 0). */
  readonly rotation?: number;
  /** How the user rotates it on purpose, for the refusal; absent: it has no rotation. */
  readonly rotateWith?: string;
}

export interface GeneratedSecretInputs {
  readonly length: number;
  readonly purpose: string;
  readonly rotation?: number;
  readonly rotateWith?: string;
}

export interface GeneratedSecretState extends GeneratedSecretInputs {
  readonly value: string;
  /** The value before the last rotation ("" before the first). */
  readonly previous?: string;
}

/** Why a change to the inputs must not replace the secret; undefined when it does not. */
export function replacementRefusal(olds: GeneratedSecretInputs, news: GeneratedSecretInputs): string | undefined {
  if (olds.length === news.length || (olds.rotation ?? 0) !== (news.rotation ?? 0)) {
    return undefined;
  }
  const how = news.rotateWith
    ? `keep the length, or rotate it on purpose: ${news.rotateWith}`
    : "keep the length; this secret has no rotation (what was set up with it at the first start keeps the old value)";
  return (
    `refusing to replace ${news.purpose}: its length changed from ${olds.length} to ${news.length}, and a new value would ` +
    `reach the nodes but not what already uses the old one (PostgreSQL's role, Keycloak's admin user, the test users): ${how}`
  );
}

/** The secret's new state when `olds` becomes `news`: a new value only when the rotation changed. */
export function rotatedState(
  olds: GeneratedSecretState,
  news: GeneratedSecretInputs,
  generate: (length: number) => string,
): GeneratedSecretState {
  const rotated = (olds.rotation ?? 0) !== (news.rotation ?? 0);
  return rotated
    ? { ...news, value: generate(news.length), previous: olds.value }
    : { ...news, value: olds.value, previous: olds.previous ?? "" };
}

/** `length` random characters of the base64url alphabet. */
function randomValue(length: number): string {
  // Required inside the functions: dynamic providers are serialized into the state, with the
  // module-level functions they call.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("node:crypto") as typeof import("node:crypto");
  return crypto.randomBytes(length).toString("base64url").slice(0, length);
}

const provider: pulumi.dynamic.ResourceProvider<GeneratedSecretInputs, GeneratedSecretState> = {
  async create(inputs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("node:crypto") as typeof import("node:crypto");
    return { id: crypto.randomUUID(), outs: { ...inputs, value: randomValue(inputs.length), previous: "" } };
  },
  async diff(_id, olds, news) {
    const refusal = replacementRefusal(olds, news);
    if (refusal !== undefined) {
      throw new Error(refusal);
    }
    // Purpose and hint are words only: they change no value.
    return { changes: (olds.rotation ?? 0) !== (news.rotation ?? 0), replaces: [], deleteBeforeReplace: false };
  },
  async update(_id, olds, news) {
    return { outs: rotatedState(olds, news, randomValue) };
  },
  async read(id, props) {
    return { id, props };
  },
};

export class GeneratedSecret extends pulumi.dynamic.Resource {
  declare public readonly value: pulumi.Output<string>;
  declare public readonly previous: pulumi.Output<string>;
  declare public readonly length: pulumi.Output<number>;

  constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        length: args.length,
        purpose: args.purpose,
        rotation: args.rotation ?? 0,
        rotateWith: args.rotateWith,
        value: undefined,
        previous: undefined,
      },
      { ...opts, additionalSecretOutputs: ["value", "previous"] },
      "keycloak-cluster",
      "GeneratedSecret",
    );
  }
}

/** The secrets every target generates. */
export interface GeneratedSecrets {
  readonly adminPassword: pulumi.Output<string>;
  /** Absent when the database is external (its password comes from config). */
  readonly dbPassword?: pulumi.Output<string>;
  /** The database password before its last rotation ("" before the first). */
  readonly dbPasswordPrevious?: pulumi.Output<string>;
  readonly clientSecret: pulumi.Output<string>;
  /** Seed the test users' passwords are derived from. */
  readonly testUserSeed: pulumi.Output<string>;
}

export interface ClusterSecretOptions {
  /** Whether the stack runs the database (and so generates its password). */
  readonly database: boolean;
  /** Generation of the database password (database.passwordRotation). */
  readonly dbPasswordRotation: number;
  /** Protect every generated secret (production stacks): the engine then refuses to delete or replace one. */
  readonly protect: boolean;
}

/** Config key that rotates the database password. */
export const DbPasswordRotationKey = "database.passwordRotation";

/** Generates the cluster's secrets as children of `parent`. */
export function createClusterSecrets(name: string, parent: pulumi.Resource, opts: ClusterSecretOptions): GeneratedSecrets {
  const generated = (role: string, args: GeneratedSecretArgs) =>
    new GeneratedSecret(`${name}-${role}`, args, { parent, protect: opts.protect });
  const secret = (role: string, args: GeneratedSecretArgs): pulumi.Output<string> => pulumi.secret(generated(role, args).value);
  const db = opts.database
    ? generated("db-password", {
        length: 32,
        purpose: "the database password",
        rotation: opts.dbPasswordRotation,
        rotateWith: `raise ${DbPasswordRotationKey} (pulumi config set --path ${DbPasswordRotationKey} <next number>)`,
      })
    : undefined;
  return {
    adminPassword: secret("admin-password", { length: 24, purpose: "the admin password" }),
    dbPassword: db ? pulumi.secret(db.value) : undefined,
    dbPasswordPrevious: db ? pulumi.secret(db.previous.apply((p) => p ?? "")) : undefined,
    clientSecret: secret("client-secret", { length: 40, purpose: "the client secret" }),
    testUserSeed: secret("test-user-seed", { length: 32, purpose: "the test users' password seed" }),
  };
}
