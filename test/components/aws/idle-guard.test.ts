/**
 * The aws guard's lines (components/aws/idle-guard.ts): the environment file they write, run by
 * bash with a password that needs quoting, read back by the guard's own `.`; the script and the
 * unit they install; and their place in the rendered user data.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GuardDir, GuardUnit, idleGuardLines, jdbcHost } from "../../../components/aws/idle-guard";
import { shellQuote } from "../../../components/aws/shell";
import { ManagedDatabaseSpec } from "../../../components/keycloak/model";
import { idleTransactionGuard } from "../../../components/keycloak/settings";

const database: ManagedDatabaseSpec = {
  mode: "managed",
  name: "keycloak",
  username: "keycloak",
  resources: {},
  storageGb: 20,
  maxConnections: 200,
  passwordRotation: 0,
  idleInTransactionSeconds: 10,
};
const DbUrl = "jdbc:postgresql://kc-dev.abc123.eu-west-1.rds.amazonaws.com:5433/keycloak?sslmode=require";
const Password = `it's "$(not run)" \`x\` \\ ; $HOME`;

describe("the idle-transaction guard on aws", () => {
  it("writes an environment the guard's `.` reads back exactly: the RDS host and port, the role, the statement, the password", () => {
    const lines = idleGuardLines(database, DbUrl, shellQuote(Password));
    const dir = mkdtempSync(path.join(tmpdir(), "aws-guard-"));
    const from = lines.findIndex((l) => l.startsWith("guard_password="));
    const to = lines.indexOf(`} >${GuardDir}/idle-guard.env`);
    const writer = [...lines.slice(from, to), `} >${dir}/idle-guard.env`].join("\n");
    execFileSync("bash", ["-euo", "pipefail", "-c", writer]);
    const read = execFileSync(
      "bash",
      ["-c", `. ${dir}/idle-guard.env; printf '%s\\0' "$PGHOST" "$PGPORT" "$PGUSER" "$PGDATABASE" "$PGPASSWORD" "$KC_GUARD_SQL"`],
      { encoding: "utf8", env: {} },
    ).split("\0");
    expect(read.slice(0, 6)).toEqual([
      "kc-dev.abc123.eu-west-1.rds.amazonaws.com",
      "5433",
      "keycloak",
      "keycloak",
      Password,
      idleTransactionGuard(database)?.env.KC_GUARD_SQL,
    ]);
    expect(readFileSync(`${dir}/idle-guard.env`, "utf8")).not.toContain('not run)"\n');
  });

  it("installs the guard's loop as a script that reads that file, and a unit that restarts it", () => {
    const text = idleGuardLines(database, DbUrl, "x").join("\n");
    expect(text).toContain(
      `cat >${GuardDir}/idle-guard.sh <<'KC_IDLE_GUARD'\n#!/bin/bash\n. ${GuardDir}/idle-guard.env\n${idleTransactionGuard(database)?.command[2]}\nKC_IDLE_GUARD`,
    );
    expect(text).toContain(`ExecStart=/bin/bash ${GuardDir}/idle-guard.sh\nRestart=always`);
    expect(text).toContain(`systemctl enable --now ${GuardUnit}`);
    expect(text).toContain("dnf install -y postgresql15");
  });

  it("is not installed when database.idleInTransactionSeconds is 0", () => {
    expect(idleGuardLines({ ...database, idleInTransactionSeconds: 0 }, DbUrl, "x")).toEqual([]);
  });

  it("reads host and port from the JDBC URL (5432 when it gives none)", () => {
    expect(jdbcHost("jdbc:postgresql://db.internal/keycloak")).toEqual({ host: "db.internal", port: "5432" });
  });
});
