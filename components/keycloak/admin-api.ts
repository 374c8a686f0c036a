/**
 * Keeps a running Keycloak's realm in step with the realm document (components/keycloak/realm.ts)
 * through the admin REST API: the realm is created when missing; otherwise its settings are
 * updated in place, each client is updated in place (never deleted and recreated: that would end
 * every session of the client) or created, missing test users are created and test users no
 * longer in the document are deleted. Users that remain are left alone, and so are their sessions.
 */

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface AdminCredentials {
  readonly username: string;
  readonly password: string;
}

/** The project's test users (user-1 … user-N): the only users the sync creates or deletes. */
export const TestUserPattern = /^user-\d+$/;

export interface RealmDocument {
  readonly realm: string;
  readonly clients?: readonly ({ readonly clientId: string } & Record<string, unknown>)[];
  readonly users?: readonly ({ readonly username: string } & Record<string, unknown>)[];
  readonly [setting: string]: unknown;
}

export interface SyncSummary {
  readonly realmCreated: boolean;
  readonly clientsCreated: readonly string[];
  readonly clientsUpdated: readonly string[];
  readonly usersCreated: readonly string[];
  readonly usersDeleted: readonly string[];
}

/** An admin API answer that was not what the sync needed; `status` is the HTTP status. */
export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Not reachable yet (no answer, or the load balancer has no ready node): worth waiting for. */
export function unavailable(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof AdminApiError && [502, 503, 504].includes(error.status));
}

class AdminClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: Fetch,
  ) {}

  async call(method: string, path: string, body?: unknown, accept: readonly number[] = []): Promise<Response> {
    const response = await this.fetchImpl(`${this.baseUrl}/admin/realms${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok && !accept.includes(response.status)) {
      const text = (await response.text()).slice(0, 300);
      throw new AdminApiError(`Keycloak admin API: ${method} /admin/realms${path} answered ${response.status}: ${text}`, response.status);
    }
    return response;
  }

  async json<T>(path: string): Promise<T> {
    return (await (await this.call("GET", path)).json()) as T;
  }
}

/** An admin token from the master realm's admin-cli client (the bootstrap admin). */
export async function adminToken(baseUrl: string, admin: AdminCredentials, fetchImpl: Fetch = fetch): Promise<string> {
  const response = await fetchImpl(`${baseUrl}/realms/master/protocol/openid-connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "password",
      client_id: "admin-cli",
      username: admin.username,
      password: admin.password,
    }).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) {
    throw new AdminApiError(
      `Keycloak admin login as ${admin.username} answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      response.status,
    );
  }
  return ((await response.json()) as { access_token: string }).access_token;
}

export async function syncRealm(
  baseUrl: string,
  admin: AdminCredentials,
  doc: RealmDocument,
  fetchImpl: Fetch = fetch,
): Promise<SyncSummary> {
  const api = new AdminClient(baseUrl, await adminToken(baseUrl, admin, fetchImpl), fetchImpl);
  const realm = `/${encodeURIComponent(doc.realm)}`;
  const exists = await api.call("GET", realm, undefined, [404]);
  await exists.arrayBuffer();
  if (exists.status === 404) {
    await api.call("POST", "", doc);
    return {
      realmCreated: true,
      clientsCreated: (doc.clients ?? []).map((c) => c.clientId),
      clientsUpdated: [],
      usersCreated: (doc.users ?? []).map((u) => u.username),
      usersDeleted: [],
    };
  }
  const { clients = [], users = [], ...settings } = doc;
  await api.call("PUT", realm, settings);

  const clientsCreated: string[] = [];
  const clientsUpdated: string[] = [];
  for (const client of clients) {
    const [found] = await api.json<{ id: string }[]>(`${realm}/clients?clientId=${encodeURIComponent(client.clientId)}`);
    if (found) {
      await api.call("PUT", `${realm}/clients/${found.id}`, { ...client, id: found.id });
      clientsUpdated.push(client.clientId);
    } else {
      await api.call("POST", `${realm}/clients`, client);
      clientsCreated.push(client.clientId);
    }
  }

  const present = (
    await api.json<{ id: string; username: string }[]>(`${realm}/users?search=user-&briefRepresentation=true&max=100000`)
  ).filter((u) => TestUserPattern.test(u.username));
  const wanted = new Set(users.map((u) => u.username));
  const usersCreated: string[] = [];
  for (const user of users) {
    if (!present.some((p) => p.username === user.username)) {
      await api.call("POST", `${realm}/users`, user);
      usersCreated.push(user.username);
    }
  }
  const usersDeleted: string[] = [];
  for (const user of present) {
    if (!wanted.has(user.username)) {
      await api.call("DELETE", `${realm}/users/${user.id}`);
      usersDeleted.push(user.username);
    }
  }
  return { realmCreated: false, clientsCreated, clientsUpdated, usersCreated, usersDeleted };
}
