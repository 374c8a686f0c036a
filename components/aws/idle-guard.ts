/**
 * The idle-transaction guard on aws (components/keycloak/settings.ts, idleTransactionGuard). RDS
 * runs no process of ours, so every node runs one, as a systemd service against the database:
 * a frozen node's guard is frozen with it, and the others end its idle transaction. The user
 * data writes its environment (the password from Secrets Manager, shell-quoted by bash's %q), its
 * script and its unit.
 */
import { ManagedDatabaseSpec } from "../keycloak/model";
import { idleTransactionGuard } from "../keycloak/settings";
import { shellQuote } from "./shell";

export const GuardDir = "/opt/keycloak-cluster";
export const GuardUnit = "keycloak-idle-guard.service";
const Delimiter = "KC_IDLE_GUARD";

/** Host and port of a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db?...). */
export function jdbcHost(jdbcUrl: string): { host: string; port: string } {
  const url = new URL(jdbcUrl.replace(/^jdbc:/, ""));
  return { host: url.hostname, port: url.port || "5432" };
}

/**
 * The user data's lines for the guard; `password` is a shell expression that prints the database
 * password at boot. None when database.idleInTransactionSeconds is 0.
 */
export function idleGuardLines(database: ManagedDatabaseSpec, dbUrl: string, password: string): string[] {
  const guard = idleTransactionGuard(database);
  if (!guard) {
    return [];
  }
  const { host, port } = jdbcHost(dbUrl);
  const env = { ...guard.env, PGHOST: host, PGPORT: port };
  const script = guard.command[2];
  return [
    "# The idle-transaction guard: every node ends the cluster's sessions idle in a transaction (a frozen node's), except Keycloak's database lock.",
    "dnf install -y postgresql15",
    `guard_password=${password}`,
    "{",
    ...Object.entries(env).map(([name, value]) => `  printf 'export %s=%q\\n' ${name} ${shellQuote(value)}`),
    `  printf 'export PGPASSWORD=%q\\n' "$guard_password"`,
    `} >${GuardDir}/idle-guard.env`,
    `cat >${GuardDir}/idle-guard.sh <<'${Delimiter}'`,
    "#!/bin/bash",
    `. ${GuardDir}/idle-guard.env`,
    script,
    Delimiter,
    `cat >/etc/systemd/system/${GuardUnit} <<'${Delimiter}'`,
    "[Unit]",
    "Description=keycloak-cluster idle-transaction guard (components/keycloak/settings.ts)",
    "Wants=network-online.target",
    "After=network-online.target",
    "[Service]",
    `ExecStart=/bin/bash ${GuardDir}/idle-guard.sh`,
    "Restart=always",
    "RestartSec=5",
    "[Install]",
    "WantedBy=multi-user.target",
    Delimiter,
    "systemctl daemon-reload",
    `systemctl enable --now ${GuardUnit}`,
    "",
  ];
}
