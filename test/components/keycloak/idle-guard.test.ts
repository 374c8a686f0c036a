/**
 * The managed database's idle-transaction guard: its loop run by sh as the container runs it,
 * with stand-in pg_isready and psql that record what they were given; and what its statement
 * ends. (The statement itself runs against real PostgreSQL in test/e2e/chaos.e2e.test.ts (e).)
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ManagedDatabaseSpec } from "../../../components/keycloak/model";
import { idleTransactionGuard } from "../../../components/keycloak/settings";

const database: ManagedDatabaseSpec = {
  mode: "managed",
  name: "kcdb",
  username: "kcuser",
  resources: {},
  storageGb: 1,
  maxConnections: 200,
  passwordRotation: 0,
  idleInTransactionSeconds: 10,
};

/** Not ready twice, then ready; counts its calls in $DIR/ready-calls. */
const FakePgIsReady = `#!/bin/sh
n=$(($(cat "$DIR/ready-calls" 2>/dev/null || echo 0) + 1)); echo $n >"$DIR/ready-calls"
[ $n -ge 3 ]
`;

/** Records its arguments, environment and the readiness calls before it, reads two statements, ends one session, then exits 2 (a lost connection). */
const FakePsql = `#!/bin/sh
echo "$*" >"$DIR/psql-args"
echo "$PGHOST $PGPORT $PGUSER $PGDATABASE" >"$DIR/psql-env"
cp "$DIR/ready-calls" "$DIR/ready-before-psql"
: >"$DIR/statements"
n=0
while IFS= read -r line; do
  printf '%s\\n' "$line" >>"$DIR/statements"
  case "$line" in *"pg_terminate_backend(pid);") n=$((n + 1)); echo "ended the session of 10.0.0.5 (pid 42)" ;; esac
  [ $n -ge 2 ] && exit 2
done
exit 0
`;

function runGuard(): Promise<{ code: number; output: string; dir: string }> {
  const guard = idleTransactionGuard(database);
  if (!guard) {
    throw new Error("expected a guard");
  }
  const dir = mkdtempSync(path.join(tmpdir(), "idle-guard-"));
  for (const [name, body] of [
    ["pg_isready", FakePgIsReady],
    ["psql", FakePsql],
  ]) {
    writeFileSync(path.join(dir, name), body);
    chmodSync(path.join(dir, name), 0o755);
  }
  const [shell, ...args] = guard.command;
  return new Promise((resolve) => {
    execFile(
      shell,
      args,
      { env: { ...guard.env, PGHOST: "db", DIR: dir, PATH: `${dir}:${process.env.PATH ?? ""}` }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, output: stdout + stderr, dir });
      },
    );
  });
}

describe("the idle-transaction guard's loop", () => {
  it("waits for the database, then feeds psql its statement once a second, and ends with psql's status (the container restarts)", async () => {
    const { code, output, dir } = await runGuard();
    expect(code).toBe(2);
    expect(readFileSync(path.join(dir, "ready-before-psql"), "utf8").trim()).toBe("3");
    expect(readFileSync(path.join(dir, "psql-args"), "utf8").trim()).toBe("-X -q -At -v ON_ERROR_STOP=1");
    expect(readFileSync(path.join(dir, "psql-env"), "utf8").trim()).toBe("db 5432 kcuser kcdb");
    const sql = idleTransactionGuard(database)?.env.KC_GUARD_SQL ?? "";
    expect(readFileSync(path.join(dir, "statements"), "utf8")).toBe(`${sql}\n${sql}\n`);
    expect(output).toContain("idle-transaction guard: ending transactions of kcuser idle for more than 10 s");
    expect(output).toContain("ended the session of 10.0.0.5 (pid 42)");
  });
});

describe("the idle-transaction guard's statement", () => {
  const sql = idleTransactionGuard(database)?.env.KC_GUARD_SQL ?? "";

  it("ends only the cluster role's sessions in its database, idle in a transaction longer than the limit, never its own", () => {
    expect(sql).toContain("a.datname = current_database() and a.usename = current_user and a.pid <> pg_backend_pid()");
    expect(sql).toContain("a.state in ('idle in transaction', 'idle in transaction (aborted)')");
    expect(sql).toContain("a.state_change < now() - interval '10 seconds'");
    // Materialized: the filters run before pg_terminate_backend sees a row.
    expect(sql).toMatch(/^with stale as materialized \(/);
    expect(sql).toMatch(/from stale where pg_terminate_backend\(pid\);$/);
  });

  it("never ends Keycloak's database lock (the migration's and the boot's, held idle on purpose)", () => {
    expect(sql).toContain(
      "not exists (select 1 from pg_locks l join pg_class c on c.oid = l.relation where l.pid = a.pid and c.relname = 'databasechangeloglock')",
    );
  });

  it("is not run when database.idleInTransactionSeconds is 0", () => {
    expect(idleTransactionGuard({ ...database, idleInTransactionSeconds: 0 })).toBeUndefined();
  });
});
