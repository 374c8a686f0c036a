/**
 * The realm on a running cluster, kept in step with the stack's configuration through
 * Keycloak's admin REST API (components/keycloak/admin-api.ts). A dynamic resource: it runs
 * where `pulumi up` runs and reaches Keycloak at `baseUrl`. Its realm document and the admin
 * password stay secret in the state.
 */
import * as pulumi from "@pulumi/pulumi";
import { TestUser } from "../keycloak/realm";
import { RealmDocument, SyncSummary, syncRealm, unavailable } from "../keycloak/admin-api";
import { fetchVia } from "./connect-to";

export interface RealmSyncArgs {
  /** Where Keycloak answers from the deploying machine (the load balancer). */
  readonly baseUrl: pulumi.Input<string>;
  /**
   * Connect to this host instead of the one `baseUrl` names (the load balancer's DNS name, while
   * the public name may not point at it yet); the Host header and TLS stay `baseUrl`'s.
   */
  readonly connectTo?: pulumi.Input<string>;
  readonly adminUsername: pulumi.Input<string>;
  readonly adminPassword: pulumi.Input<string>;
  /** The realm document (JSON), as the nodes would import it. */
  readonly realmJson: pulumi.Input<string>;
  /** How long to wait for Keycloak to answer at `baseUrl` (pods or instances still starting). */
  readonly timeoutSeconds: number;
}

export interface SyncInputs {
  readonly baseUrl: string;
  readonly connectTo?: string;
  readonly adminUsername: string;
  readonly adminPassword: string;
  readonly realmJson: string;
  readonly timeoutSeconds: number;
}

interface SyncOutputs extends SyncInputs {
  readonly realm: string;
  readonly lastSync: SyncSummary;
}

/** Syncs the realm, waiting up to `timeoutSeconds` while Keycloak does not answer yet. */
export async function syncWhenReachable(inputs: SyncInputs, run: typeof syncRealm = syncRealm, pauseMs = 3000): Promise<SyncOutputs> {
  const doc = JSON.parse(inputs.realmJson) as RealmDocument;
  const deadline = Date.now() + inputs.timeoutSeconds * 1000;
  for (;;) {
    try {
      const admin = { username: inputs.adminUsername, password: inputs.adminPassword };
      const lastSync = await (inputs.connectTo
        ? run(inputs.baseUrl, admin, doc, fetchVia(inputs.baseUrl, inputs.connectTo))
        : run(inputs.baseUrl, admin, doc));
      return { ...inputs, realm: doc.realm, lastSync };
    } catch (error) {
      if (!unavailable(error) || Date.now() >= deadline) {
        throw error instanceof Error && unavailable(error)
          ? new Error(
              `the realm could not be synced: Keycloak did not answer at ${inputs.baseUrl}${inputs.connectTo ? ` (connecting to ${inputs.connectTo})` : ""} within ${inputs.timeoutSeconds} s (${error.message})`,
            )
          : error;
      }
      await new Promise((ok) => setTimeout(ok, pauseMs));
    }
  }
}

const provider: pulumi.dynamic.ResourceProvider<SyncInputs, SyncOutputs> = {
  async create(inputs) {
    const outs = await syncWhenReachable(inputs);
    return { id: `realm-${outs.realm}`, outs };
  },
  async update(_id, _olds, news) {
    return { outs: await syncWhenReachable(news) };
  },
  async diff(_id, olds, news) {
    // A new base URL or password alone changes nothing in the realm, but syncing again is harmless.
    const changes = (["baseUrl", "connectTo", "adminUsername", "adminPassword", "realmJson"] as const).some((k) => olds[k] !== news[k]);
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
};

export class RealmSync extends pulumi.dynamic.Resource {
  declare public readonly lastSync: pulumi.Output<SyncSummary>;

  constructor(name: string, args: RealmSyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, realm: undefined, lastSync: undefined },
      { ...opts, additionalSecretOutputs: ["adminPassword", "realmJson"] },
      "keycloak-cluster",
      "RealmSync",
    );
  }
}

/** The test users once the realm sync has run: the output names only users that exist. */
export function syncedUsers(sync: RealmSync, users: pulumi.Output<TestUser[]>): pulumi.Output<TestUser[]> {
  return pulumi.secret(sync.id.apply(() => users));
}
