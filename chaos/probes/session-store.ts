/** What a run logged in and holds open: sessions, logins in progress, unredeemed codes, logout subjects. */
import { Browser } from "../oidc/browser";
import { LoginInProgress, LoginRequest } from "../oidc/login";

export interface Session {
  readonly id: string;
  readonly browser: Browser;
  /** Node id the login was done on (and, checked against AUTH_SESSION_ID, where the session lives). */
  readonly home: string;
  accessToken: string;
  refreshToken: string;
}

export interface PendingLogin {
  readonly id: string;
  readonly browser: Browser;
  readonly login: LoginInProgress;
  readonly username: string;
  readonly password: string;
  readonly home: string;
}

export interface PendingCode {
  readonly id: string;
  readonly request: LoginRequest;
  readonly redirect: URL;
  readonly home: string;
}

export class SessionStore {
  readonly sessions: Session[] = [];
  pendingLogins: PendingLogin[] = [];
  pendingCodes: PendingCode[] = [];
  logoutSubjects: Session[] = [];
  private serial = 0;

  /** A unique, readable id: `s3:user-2@kc-1`. */
  id(kind: string, username: string, node: string): string {
    return `${kind}${++this.serial}:${username}@${node}`;
  }

  sessionsOn(nodeId: string): string[] {
    return this.sessions.filter((s) => s.home === nodeId).map((s) => s.id);
  }

  takeLogins(): PendingLogin[] {
    const taken = this.pendingLogins;
    this.pendingLogins = [];
    return taken;
  }

  takeCodes(): PendingCode[] {
    const taken = this.pendingCodes;
    this.pendingCodes = [];
    return taken;
  }

  takeLogoutSubject(): Session[] {
    return this.logoutSubjects.splice(0, 1);
  }
}

/**
 * Keycloak 26 blocks concurrent logins of one user while brute-force detection is on
 * (`user_temporarily_disabled`), as a real user never logs in twice at the same moment:
 * credential posts of one user go one after another; different users run in parallel.
 */
export class UserQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(username: string, post: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(username) ?? Promise.resolve()).then(post, post);
    this.tails.set(
      username,
      next.catch(() => undefined),
    );
    return next;
  }
}
