/**
 * What a node frozen in the middle of a transaction leaves in PostgreSQL, made certain: as soon as
 * one of the stack's Keycloak containers is paused, a session of the cluster's role locks every
 * persisted user and client session row (SELECT ... FOR UPDATE) and then sits idle in its
 * transaction, as the frozen node's would. A real pause catches a node holding such locks only
 * now and then (in CI it did, twice in a row, and a survivor's pool ran dry behind them); this
 * makes every run meet them.
 */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { docker } from "./harness";

export interface FrozenTransaction {
  /** Ends the transaction if it still stands (once; later calls get the same result); resolves with the backend's pid and psql's whole output. */
  stop(): Promise<{ pid: number | undefined; output: string; lockedAt: number | undefined }>;
}

async function pausedNode(prefix: string): Promise<string | undefined> {
  const containers = await docker.listContainers({
    filters: { label: [`keycloak-cluster.stack=${prefix}`, "keycloak-cluster.role=keycloak"] },
  });
  return containers.find((c) => c.State === "paused")?.Names[0];
}

/**
 * Waits (bounded by `timeoutMs`) for a paused node of `prefix`, then takes the locks in its
 * database container; commits by itself after `holdMs` if nothing ended the session before (a
 * run without the guard then fails in minutes, not after Keycloak's 5-minute transaction timeout
 * on every check).
 */
export function lockRowsWhenPaused(
  prefix: string,
  database: { name: string; username: string },
  timeoutMs: number,
  holdMs: number,
): FrozenTransaction {
  let psql: ChildProcessWithoutNullStreams | undefined;
  let output = "";
  let lockedAt: number | undefined;
  let stopped = false;
  const exited = new Promise<void>((resolve) => {
    void (async () => {
      const deadline = Date.now() + timeoutMs;
      while (!stopped && Date.now() < deadline && !(await pausedNode(prefix))) {
        await new Promise((r) => setTimeout(r, 200));
      }
      if (stopped || Date.now() >= deadline) {
        resolve();
        return;
      }
      psql = spawn("docker", ["exec", "-i", `${prefix}-db`, "psql", "-X", "-At", "-U", database.username, "-d", database.name]);
      psql.stdout.on("data", (d: Buffer) => (output += d.toString()));
      psql.stderr.on("data", (d: Buffer) => (output += d.toString()));
      psql.on("close", () => resolve());
      psql.stdin.write(
        [
          "begin;",
          "select 'pid=' || pg_backend_pid();",
          "select count(*) from (select 1 from offline_user_session for update) u;",
          "select count(*) from (select 1 from offline_client_session for update) c;",
          "select 'locked';",
          "",
        ].join("\n"),
      );
      lockedAt = Date.now();
      const release = setTimeout(() => psql?.stdin.end("commit;\n"), holdMs);
      psql.on("close", () => clearTimeout(release));
    })();
  });
  let stoppedWith: ReturnType<FrozenTransaction["stop"]> | undefined;
  return {
    // Once: the case stops it when the run ends, pass or fail, and then reads what it saw.
    stop() {
      stoppedWith ??= (async () => {
        stopped = true;
        if (psql && psql.exitCode === null && psql.stdin.writable) {
          psql.stdin.end("commit;\n");
        }
        await exited;
        const pid = /pid=(\d+)/.exec(output)?.[1];
        return { pid: pid === undefined ? undefined : Number(pid), output, lockedAt };
      })();
      return stoppedWith;
    },
  };
}
