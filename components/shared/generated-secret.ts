import * as pulumi from "@pulumi/pulumi";

/**
 * A random secret generated once and kept in state, stable across updates, and secret in
 * state and outputs. A dynamic resource on node:crypto, because @pulumi/random's provider
 * plugin cannot be installed offline.
 */
export interface GeneratedSecretArgs {
  /** Length of the value in characters (base64url alphabet). Changing it generates a new value. */
  readonly length: number;
}

interface GeneratedSecretState {
  readonly length: number;
  readonly value: string;
}

const provider: pulumi.dynamic.ResourceProvider<GeneratedSecretState, GeneratedSecretState> = {
  async create(inputs) {
    // Required inside the function: dynamic providers are serialized into the state.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const value = crypto.randomBytes(inputs.length).toString("base64url").slice(0, inputs.length);
    return { id: crypto.randomUUID(), outs: { length: inputs.length, value } };
  },
  async diff(_id, olds, news) {
    const replace = olds.length !== news.length;
    return { changes: replace, replaces: replace ? ["length"] : [], deleteBeforeReplace: false };
  },
  async read(id, props) {
    return { id, props };
  },
};

export class GeneratedSecret extends pulumi.dynamic.Resource {
  declare public readonly value: pulumi.Output<string>;
  declare public readonly length: pulumi.Output<number>;

  constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { length: args.length, value: undefined },
      {
        ...opts,
        additionalSecretOutputs: ["value"],
      },
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
  readonly clientSecret: pulumi.Output<string>;
  /** Seed the test users' passwords are derived from. */
  readonly testUserSeed: pulumi.Output<string>;
}

/** Generates the cluster's secrets as children of `parent`. */
export function createClusterSecrets(name: string, parent: pulumi.Resource, opts: { readonly database: boolean }): GeneratedSecrets {
  const secret = (role: string, length: number): pulumi.Output<string> =>
    pulumi.secret(new GeneratedSecret(`${name}-${role}`, { length }, { parent }).value);
  return {
    adminPassword: secret("admin-password", 24),
    dbPassword: opts.database ? secret("db-password", 32) : undefined,
    clientSecret: secret("client-secret", 40),
    testUserSeed: secret("test-user-seed", 32),
  };
}
