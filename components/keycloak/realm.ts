/** The realm import document: the realm, the chaos command's confidential client, and test users. */
import { createHmac } from "node:crypto";
import { RealmSpec } from "./model";

export interface TestUser {
  readonly username: string;
  readonly password: string;
}

/** Test user names: user-1 … user-N. */
export function testUsernames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `user-${i + 1}`);
}

/**
 * Test users with passwords derived from one generated seed (HMAC-SHA256 per user name), so
 * adding users never changes existing passwords and the stack needs one secret, not N.
 */
export function deriveTestUsers(seed: string, count: number): TestUser[] {
  return testUsernames(count).map((username) => ({
    username,
    password: createHmac("sha256", seed).update(username).digest("base64url").slice(0, 24),
  }));
}

export interface RealmSecrets {
  readonly clientSecret: string;
  readonly users: readonly TestUser[];
}

/** The JSON document Keycloak imports at first start (`--import-realm`; an existing realm is skipped). */
export function realmImport(realm: RealmSpec, secrets: RealmSecrets): Record<string, unknown> {
  return {
    realm: realm.name,
    enabled: true,
    // Brute-force counters live in the cluster's loginFailures cache; keep detection on.
    bruteForceProtected: true,
    failureFactor: 30,
    // A chaos run lasts minutes: tokens and codes must not expire between a fault and its
    // checks, or an expiry would look like a lost session.
    accessTokenLifespan: 3600,
    accessCodeLifespan: 600,
    accessCodeLifespanLogin: 1800,
    ssoSessionIdleTimeout: 7200,
    ssoSessionMaxLifespan: 36000,
    clients: [
      {
        clientId: realm.clientId,
        name: "keycloak-cluster chaos command",
        enabled: true,
        publicClient: false,
        clientAuthenticatorType: "client-secret",
        secret: secrets.clientSecret,
        protocol: "openid-connect",
        standardFlowEnabled: true,
        directAccessGrantsEnabled: false,
        implicitFlowEnabled: false,
        serviceAccountsEnabled: false,
        redirectUris: [realm.redirectUri],
        webOrigins: [],
        attributes: { "pkce.code.challenge.method": "S256", "post.logout.redirect.uris": realm.redirectUri },
      },
    ],
    users: secrets.users.map((user) => ({
      username: user.username,
      enabled: true,
      email: `${user.username}@example.test`,
      emailVerified: true,
      firstName: "Test",
      lastName: user.username,
      credentials: [{ type: "password", value: user.password, temporary: false }],
    })),
  };
}
