/** The realm sync against a fake admin API: what it creates, updates in place and deletes. */
import { describe, expect, it } from "vitest";
import { Fetch, RealmDocument, syncRealm } from "../../../components/keycloak/admin-api";

const base = "http://127.0.0.1:8080";
const admin = { username: "admin", password: "pw" };

/** A fake Keycloak: one realm (or none), its clients and users; records every call. */
function fakeKeycloak(state: { realm?: boolean; clients: { id: string; clientId: string }[]; users: { id: string; username: string }[] }) {
  const calls: string[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const fetchImpl: Fetch = async (input, init) => {
    const url = new URL(input);
    const method = init?.method ?? "GET";
    const path = url.pathname.replace("/admin/realms", "");
    calls.push(`${method} ${url.pathname}${url.search}`);
    if (url.pathname === "/realms/master/protocol/openid-connect/token") {
      return (init?.body as string).includes("password=pw") ? json({ access_token: "t" }) : json({ error: "invalid_grant" }, 401);
    }
    if ((init?.headers as Record<string, string>).authorization !== "Bearer t") {
      return json({}, 401);
    }
    if (method === "GET" && path === "/chaos") {
      return state.realm ? json({ realm: "chaos" }) : json({ error: "Realm not found." }, 404);
    }
    if (method === "GET" && path === "/chaos/clients") {
      return json(state.clients.filter((c) => c.clientId === url.searchParams.get("clientId")));
    }
    if (method === "GET" && path === "/chaos/users") {
      return json(state.users);
    }
    return new Response(null, { status: method === "POST" ? 201 : 204 });
  };
  return { calls, fetchImpl };
}

const doc: RealmDocument = {
  realm: "chaos",
  enabled: true,
  clients: [{ clientId: "chaos-cli", redirectUris: ["http://127.0.0.1:8080/cb2"] }],
  users: [{ username: "user-1" }, { username: "user-2" }, { username: "user-3" }],
};

describe("syncRealm", () => {
  it("creates the realm, whole, when it does not exist", async () => {
    const kc = fakeKeycloak({ clients: [], users: [] });
    const summary = await syncRealm(base, admin, doc, kc.fetchImpl);
    expect(summary).toMatchObject({ realmCreated: true, usersCreated: ["user-1", "user-2", "user-3"] });
    expect(kc.calls.filter((c) => !c.startsWith("GET"))).toEqual([
      "POST /realms/master/protocol/openid-connect/token",
      "POST /admin/realms",
    ]);
  });

  it("on an existing realm: settings and the client updated in place, new test users created, removed ones deleted, others untouched", async () => {
    const kc = fakeKeycloak({
      realm: true,
      clients: [{ id: "c-uuid", clientId: "chaos-cli" }],
      users: [
        { id: "u1", username: "user-1" },
        { id: "u2", username: "user-2" },
        { id: "u4", username: "user-4" },
        { id: "ux", username: "user-admin" },
      ],
    });
    const summary = await syncRealm(base, admin, doc, kc.fetchImpl);
    expect(summary).toEqual({
      realmCreated: false,
      clientsCreated: [],
      clientsUpdated: ["chaos-cli"],
      usersCreated: ["user-3"],
      usersDeleted: ["user-4"],
    });
    expect(kc.calls.filter((c) => !c.startsWith("GET") && !c.includes("/token"))).toEqual([
      "PUT /admin/realms/chaos",
      "PUT /admin/realms/chaos/clients/c-uuid",
      "POST /admin/realms/chaos/users",
      "DELETE /admin/realms/chaos/users/u4",
    ]);
  });

  it("creates a client that is missing", async () => {
    const kc = fakeKeycloak({ realm: true, clients: [], users: [] });
    expect((await syncRealm(base, admin, doc, kc.fetchImpl)).clientsCreated).toEqual(["chaos-cli"]);
    expect(kc.calls).toContain("POST /admin/realms/chaos/clients");
  });

  it("says which call failed and how", async () => {
    const kc = fakeKeycloak({ clients: [], users: [] });
    await expect(syncRealm(base, { username: "admin", password: "wrong" }, doc, kc.fetchImpl)).rejects.toThrow(
      'Keycloak admin login as admin answered 401: {"error":"invalid_grant"}',
    );
  });
});
