import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveTestUsers, realmImport } from "../../../components/keycloak/realm";

describe("test users", () => {
  it("derives stable, distinct passwords; adding users keeps the existing ones", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 20 }), (seed, count, more) => {
        const first = deriveTestUsers(seed, count);
        const grown = deriveTestUsers(seed, count + more);
        expect(grown.slice(0, count)).toEqual(first);
        expect(new Set(grown.map((u) => u.password)).size).toBe(grown.length);
        expect(first.every((u) => u.password.length === 24)).toBe(true);
      }),
    );
  });

  it("gives other seeds other passwords", () => {
    expect(deriveTestUsers("seed-a", 1)[0].password).not.toBe(deriveTestUsers("seed-b", 1)[0].password);
  });
});

describe("realm import", () => {
  const realm = realmImport(
    { name: "chaos", clientId: "chaos-cli", redirectUri: "http://127.0.0.1:8080/cb", testUsers: 2 },
    { clientSecret: "s3cret", users: deriveTestUsers("seed", 2) },
  ) as {
    realm: string;
    clients: Record<string, unknown>[];
    users: { username: string; credentials: { value: string; temporary: boolean }[] }[];
  };

  it("has a confidential client with the code flow and S256 PKCE, no password grant", () => {
    expect(realm.clients[0]).toMatchObject({
      clientId: "chaos-cli",
      publicClient: false,
      secret: "s3cret",
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      redirectUris: ["http://127.0.0.1:8080/cb"],
      attributes: { "pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "http://127.0.0.1:8080/cb" },
    });
  });

  it("keeps tokens, codes and sessions alive longer than a chaos run, so expiry never looks like loss", () => {
    expect(realm).toMatchObject({
      accessTokenLifespan: 3600,
      accessCodeLifespan: 600,
      ssoSessionIdleTimeout: 7200,
      bruteForceProtected: true,
    });
  });

  it("has the test users with permanent passwords", () => {
    expect(realm.users.map((u) => u.username)).toEqual(["user-1", "user-2"]);
    expect(realm.users[0].credentials[0]).toEqual({ type: "password", value: deriveTestUsers("seed", 1)[0].password, temporary: false });
  });
});
