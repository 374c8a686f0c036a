/** The realm sync waits while Keycloak is not reachable yet, and only then. */
import { describe, expect, it } from "vitest";
import { AdminApiError, SyncSummary } from "../../../components/keycloak/admin-api";
import { syncWhenReachable } from "../../../components/shared/realm-sync";

const inputs = {
  baseUrl: "http://127.0.0.1:8080",
  adminUsername: "admin",
  adminPassword: "pw",
  realmJson: '{"realm":"chaos"}',
  timeoutSeconds: 5,
};
const done: SyncSummary = { realmCreated: true, clientsCreated: [], clientsUpdated: [], usersCreated: [], usersDeleted: [] };

describe("syncWhenReachable", () => {
  it("retries while there is no answer or the load balancer has no node, then syncs", async () => {
    const failures: Error[] = [new TypeError("fetch failed"), new AdminApiError("503", 503)];
    let calls = 0;
    const out = await syncWhenReachable(
      inputs,
      async () => {
        calls++;
        const failure = failures.shift();
        if (failure) {
          throw failure;
        }
        return done;
      },
      1,
    );
    expect(calls).toBe(3);
    expect(out).toMatchObject({ realm: "chaos", lastSync: done });
  });

  it("fails at once on an answer that waiting will not change", async () => {
    let calls = 0;
    const refused = async () => {
      calls++;
      throw new AdminApiError("Keycloak admin login as admin answered 401", 401);
    };
    await expect(syncWhenReachable(inputs, refused, 1)).rejects.toThrow("answered 401");
    expect(calls).toBe(1);
  });

  it("gives up after the timeout, saying where it waited", async () => {
    const down = async (): Promise<SyncSummary> => {
      throw new TypeError("fetch failed");
    };
    await expect(syncWhenReachable({ ...inputs, timeoutSeconds: 0 }, down, 1)).rejects.toThrow(
      "the realm could not be synced: Keycloak did not answer at http://127.0.0.1:8080 within 0 s (fetch failed)",
    );
  });

  it("with connectTo, every request of the sync goes through the connecting fetch; without it, the plain one", async () => {
    const fetches: unknown[] = [];
    const record = async (_url: string, _admin: unknown, _doc: unknown, fetchImpl?: unknown) => {
      fetches.push(fetchImpl);
      return done;
    };
    await syncWhenReachable({ ...inputs, connectTo: "internal-kc-123.eu-west-1.elb.amazonaws.com" }, record, 1);
    await syncWhenReachable(inputs, record, 1);
    expect(fetches.map((f) => typeof f)).toEqual(["function", "undefined"]);
  });

  it("names the host it connected to when it gives up", async () => {
    const down = async (): Promise<SyncSummary> => {
      throw new TypeError("fetch failed");
    };
    await expect(syncWhenReachable({ ...inputs, connectTo: "kc-lb.elb.example", timeoutSeconds: 0 }, down, 1)).rejects.toThrow(
      "did not answer at http://127.0.0.1:8080 (connecting to kc-lb.elb.example) within 0 s",
    );
  });
});
