/**
 * Setting the database role's password on a running PostgreSQL: the first half of a password
 * rotation (the nodes follow, one at a time). Target-independent: the docker target runs it in
 * the database container, the kubernetes target in a Job.
 *
 * ALTER ROLE ends no open session: the nodes not yet replaced keep their pooled connections and
 * keep serving; only connections they open after it need the new password.
 */

/** The statement, with psql variables (psql quotes them, whatever the password holds). */
export const AlterRoleSql = `ALTER ROLE :"role" PASSWORD :'password';`;

export interface RolePasswordTarget {
  readonly username: string;
  readonly database: string;
}

/** Environment names the command reads (values never appear in the command line). */
export const RolePasswordEnv = { newPassword: "NEW_PASSWORD", oldPassword: "OLD_PASSWORD", sql: "ROLE_SQL" } as const;

/**
 * A shell command that sets the role's password to $NEW_PASSWORD. `overNetwork`: connect as the
 * role over TCP (PGHOST set by the caller) with $OLD_PASSWORD, and do nothing if $NEW_PASSWORD
 * already works (so a retried Job passes); otherwise psql connects on the local socket.
 */
export function rolePasswordCommand(overNetwork: boolean): string[] {
  const e = RolePasswordEnv;
  const psql = `psql -X -q -v ON_ERROR_STOP=1 -U "$PGUSER" -d "$PGDATABASE" -v role="$PGUSER" -v password="$${e.newPassword}"`;
  const alter = `printf '%s\\n' "$${e.sql}" | ${psql}`;
  const script = overNetwork
    ? `if PGPASSWORD="$${e.newPassword}" psql -X -q -U "$PGUSER" -d "$PGDATABASE" -c 'select 1' >/dev/null 2>&1; then echo 'the role already has the new password'; exit 0; fi; ` +
      `printf '%s\\n' "$${e.sql}" | PGPASSWORD="$${e.oldPassword}" ${psql}`
    : alter;
  return ["sh", "-c", script];
}

/** The environment of {@link rolePasswordCommand} besides the passwords. */
export function rolePasswordEnv(target: RolePasswordTarget): Record<string, string> {
  return { PGUSER: target.username, PGDATABASE: target.database, [RolePasswordEnv.sql]: AlterRoleSql };
}
