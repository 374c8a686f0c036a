/**
 * A tiny stand-in for Keycloak's OpenID Connect endpoints, on 127.0.0.1, for unit tests of the
 * probes and the scripted login: discovery, the HTML login form, the credentials post, codes,
 * tokens, refresh, userinfo, logout. Several "nodes" share one store (a cluster) or keep their
 * own (the failure this project catches). Issuer and links use the public URL, as Keycloak does
 * with `hostname` set; AUTH_SESSION_ID ends in `.<node name>`.
 */
import { randomUUID } from "node:crypto";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

export interface Store {
  readonly authSessions: Map<string, { clientId: string; redirectUri: string; state: string; execution?: string }>;
  readonly codes: Map<string, { session: string }>;
  /** Live SSO sessions: id → username. */
  readonly sessions: Map<string, string>;
  readonly accessTokens: Map<string, string>;
  readonly refreshTokens: Map<string, string>;
}

export function newStore(): Store {
  return { authSessions: new Map(), codes: new Map(), sessions: new Map(), accessTokens: new Map(), refreshTokens: new Map() };
}

export interface FakeNode {
  readonly name: string;
  readonly url: string;
  readonly store: Store;
  readonly server: Server;
}

const Realm = "chaos";
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

function cookies(req: IncomingMessage): Map<string, string> {
  return new Map(
    (req.headers.cookie ?? "")
      .split(/;\s*/)
      .filter(Boolean)
      .map((c) => c.split("=") as [string, string]),
  );
}

export class FakeKeycloak {
  readonly nodes: FakeNode[] = [];
  publicUrl = "";
  readonly users = new Map<string, string>([
    ["user-1", "pw-1"],
    ["user-2", "pw-2"],
  ]);
  /**
   * Keycloak's concurrent-login guard: the next N credential posts of a user are refused, with
   * the words of a wrong password, although the password is right.
   */
  readonly busyLogins = new Map<string, number>();
  private renders = 0;
  /** A post for an authentication session no node has: false, an error page; true, the login restarted (Keycloak's page). */
  restartLostLogins = false;
  readonly clientId = "chaos-cli";
  readonly clientSecret = "client-secret";

  get issuer(): string {
    return `${this.publicUrl}/realms/${Realm}`;
  }

  get redirectUri(): string {
    return `${this.publicUrl}/cb`;
  }

  /** Starts a node; `store` shared with others makes them one cluster. */
  async node(name: string, store: Store): Promise<FakeNode> {
    const server = createServer(
      (req, res) => void this.handle(name, store, req, res).catch((e: unknown) => res.writeHead(500).end(String(e))),
    );
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const node = { name, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store, server };
    this.nodes.push(node);
    this.publicUrl ||= node.url;
    return node;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => new Promise((ok) => n.server.close(ok))));
  }

  private tokens(store: Store, session: string, username: string) {
    const access = randomUUID();
    const refresh = randomUUID();
    store.accessTokens.set(access, session);
    store.refreshTokens.set(refresh, session);
    const now = Math.floor(Date.now() / 1000);
    const idToken = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss: this.issuer, aud: this.clientId, sub: username, iat: now, exp: now + 300 })}.c2ln`;
    return { access_token: access, refresh_token: refresh, id_token: idToken, token_type: "Bearer", expires_in: 300 };
  }

  private async handle(name: string, store: Store, req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = new URL(req.url ?? "/", this.publicUrl);
    const base = `/realms/${Realm}/protocol/openid-connect`;
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
    switch (`${req.method} ${url.pathname}`) {
      case `GET /realms/${Realm}/.well-known/openid-configuration`:
        return json(200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/protocol/openid-connect/auth`,
          token_endpoint: `${this.issuer}/protocol/openid-connect/token`,
          userinfo_endpoint: `${this.issuer}/protocol/openid-connect/userinfo`,
          end_session_endpoint: `${this.issuer}/protocol/openid-connect/logout`,
          jwks_uri: `${this.issuer}/protocol/openid-connect/certs`,
          response_types_supported: ["code"],
          id_token_signing_alg_values_supported: ["RS256"],
        });
      case `GET ${base}/auth`: {
        const q = url.searchParams;
        const redirect = new URL(q.get("redirect_uri") ?? "");
        if (q.get("prompt") === "none") {
          const session = cookies(req).get("KEYCLOAK_IDENTITY");
          if (session && store.sessions.has(session)) {
            const code = randomUUID();
            store.codes.set(code, { session });
            redirect.search = new URLSearchParams({ code, state: q.get("state") ?? "" }).toString();
          } else {
            redirect.search = new URLSearchParams({ error: "login_required", state: q.get("state") ?? "" }).toString();
          }
          return void res.writeHead(302, { location: redirect.toString() }).end();
        }
        const id = randomUUID();
        store.authSessions.set(id, { clientId: q.get("client_id") ?? "", redirectUri: redirect.toString(), state: q.get("state") ?? "" });
        const action = `${this.issuer}/login-actions/authenticate?session_code=${id}&amp;tab_id=t1`;
        res.writeHead(200, {
          "content-type": "text/html",
          "set-cookie": `AUTH_SESSION_ID=${id}.${name}; Path=/realms/${Realm}/; HttpOnly`,
        });
        return void res.end(`<html><title>Sign in</title><form id="kc-form-login" action="${action}" method="post"></form></html>`);
      }
      case `POST /realms/${Realm}/login-actions/authenticate`: {
        const form = await body(req);
        const auth = store.authSessions.get(url.searchParams.get("session_code") ?? "");
        if (!auth && this.restartLostLogins) {
          // What Keycloak shows when it restarts a login whose authentication session is gone.
          res.writeHead(200, { "content-type": "text/html" });
          return void res.end(
            `<html><title>Sign in</title><span class="kc-feedback-text">Your login attempt timed out. Login will start from the beginning.</span><form id="kc-form-login" action="${this.issuer}/login-actions/authenticate?session_code=restarted" method="post"></form></html>`,
          );
        }
        if (!auth) {
          res.writeHead(400, { "content-type": "text/html" });
          return void res.end('<html><title>Error</title><span id="input-error-username">Cookie not found.</span></html>');
        }
        const username = form.get("username") ?? "";
        const busy = this.busyLogins.get(username) ?? 0;
        if (busy > 0) {
          this.busyLogins.set(username, busy - 1);
        }
        if (auth.execution && url.searchParams.get("execution") !== auth.execution) {
          res.writeHead(400, { "content-type": "text/html" });
          return void res.end('<html><title>Error</title><span class="kc-feedback-text">Action expired.</span></html>');
        }
        if (busy > 0 || this.users.get(username) !== form.get("password")) {
          // Keycloak renders the form again, with a new action, and the same words for both.
          auth.execution = `e${++this.renders}`;
          const again = `${this.issuer}/login-actions/authenticate?session_code=${url.searchParams.get("session_code")}&amp;execution=${auth.execution}`;
          res.writeHead(200, { "content-type": "text/html" });
          return void res.end(
            `<html><title>Sign in</title><span id="input-error-username">Invalid username or password.</span><form id="kc-form-login" action="${again}" method="post"></form></html>`,
          );
        }
        const session = randomUUID();
        store.sessions.set(session, form.get("username") ?? "");
        const code = randomUUID();
        store.codes.set(code, { session });
        const location = new URL(auth.redirectUri);
        location.search = new URLSearchParams({ code, state: auth.state }).toString();
        res.writeHead(302, {
          location: location.toString(),
          "set-cookie": `KEYCLOAK_IDENTITY=${session}; Path=/realms/${Realm}/; HttpOnly`,
        });
        return void res.end();
      }
      case `POST ${base}/token`: {
        const form = await body(req);
        if (form.get("client_secret") !== this.clientSecret) {
          return json(401, { error: "invalid_client" });
        }
        if (form.get("grant_type") === "authorization_code") {
          const code = store.codes.get(form.get("code") ?? "");
          store.codes.delete(form.get("code") ?? "");
          if (!code || !store.sessions.has(code.session)) {
            return json(400, { error: "invalid_grant", error_description: "Code not valid" });
          }
          return json(200, this.tokens(store, code.session, store.sessions.get(code.session) ?? ""));
        }
        const session = store.refreshTokens.get(form.get("refresh_token") ?? "");
        if (!session || !store.sessions.has(session)) {
          return json(400, { error: "invalid_grant", error_description: "Session not active" });
        }
        return json(200, this.tokens(store, session, store.sessions.get(session) ?? ""));
      }
      case `GET ${base}/userinfo`: {
        const session = store.accessTokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
        if (!session || !store.sessions.has(session)) {
          return json(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer realm="chaos", error="invalid_token"' });
        }
        const username = store.sessions.get(session) ?? "";
        return json(200, { sub: username, preferred_username: username });
      }
      case `POST ${base}/logout`: {
        const form = await body(req);
        const session = store.refreshTokens.get(form.get("refresh_token") ?? "");
        if (session) {
          store.sessions.delete(session);
        }
        return void res.writeHead(204).end();
      }
      default:
        return void res.writeHead(404).end();
    }
  }
}
