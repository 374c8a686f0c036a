/**
 * The secrets and the realm document every target needs, derived once: generated passwords
 * (or the external database's secret from config), the test users, and the realm import JSON.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, DatabaseMode, Environment } from "../keycloak/model";
import { deriveTestUsers, realmImport, TestUser } from "../keycloak/realm";
import { createClusterSecrets } from "./generated-secret";
import { secretInput } from "./secret";

export interface ClusterSecretValues {
  /** The database password every node uses: generated for a managed database, from config for an external one. */
  readonly dbPassword: pulumi.Output<string>;
  /** The database password before the last rotation ("" before the first, and for an external database). */
  readonly dbPasswordPrevious: pulumi.Output<string>;
  readonly adminPassword: pulumi.Output<string>;
  readonly clientSecret: pulumi.Output<string>;
  readonly testUsers: pulumi.Output<TestUser[]>;
  /** The realm import document (JSON text); secret, as it carries the client secret and passwords. */
  readonly realmJson: pulumi.Output<string>;
}

/** Creates the generated secrets as children of `parent` and derives the rest. */
export function clusterSecrets(name: string, spec: ClusterSpec, parent: pulumi.Resource): ClusterSecretValues {
  const managed = spec.database.mode === DatabaseMode.Managed ? spec.database : undefined;
  const generated = createClusterSecrets(name, parent, {
    database: managed !== undefined,
    dbPasswordRotation: managed?.passwordRotation ?? 0,
    protect: spec.environment === Environment.Production,
  });
  const testUsers = pulumi.secret(generated.testUserSeed.apply((seed) => deriveTestUsers(seed, spec.realm.testUsers)));
  const realmJson = pulumi.secret(
    pulumi
      .all([generated.clientSecret, testUsers])
      .apply(([clientSecret, users]) => JSON.stringify(realmImport(spec.realm, { clientSecret, users }), null, 2)),
  );
  const dbPassword = spec.database.mode === DatabaseMode.External ? secretInput(spec.database.password) : generated.dbPassword;
  if (dbPassword === undefined) {
    throw new Error("internal error: a managed database without a generated password");
  }
  const dbPasswordPrevious = generated.dbPasswordPrevious ?? pulumi.secret("");
  return {
    dbPassword,
    dbPasswordPrevious,
    adminPassword: generated.adminPassword,
    clientSecret: generated.clientSecret,
    testUsers,
    realmJson,
  };
}
