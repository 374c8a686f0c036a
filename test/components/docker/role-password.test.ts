/** RolePassword: PostgreSQL's role gets the new password (in the database container) before any node does. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { applyRolePassword, ExecApi, RolePasswordInputs, rolePasswordChanged } from "../../../components/docker/role-password";
import { rolePasswordCommand } from "../../../components/shared/role-password";

const inputs: RolePasswordInputs = {
  container: "kc-dev-db",
  containerId: "c1",
  username: "keycloak",
  database: "keycloak",
  password: "n3w'pa$s",
};

function fakeExec(exitCode: number, output = "") {
  const calls: { container: string; cmd: string[]; env: string[] }[] = [];
  const api: ExecApi = {
    exec: async (container, cmd, env) => {
      calls.push({ container, cmd, env });
      return { exitCode, output };
    },
  };
  return { api, calls };
}

describe("applyRolePassword", () => {
  it("runs ALTER ROLE through psql in the database container, the password in the environment only", async () => {
    const { api, calls } = fakeExec(0);
    await applyRolePassword(inputs, api);
    expect(calls).toHaveLength(1);
    expect(calls[0].container).toBe("kc-dev-db");
    expect(calls[0].env).toEqual(
      expect.arrayContaining([
        "PGUSER=keycloak",
        "PGDATABASE=keycloak",
        "NEW_PASSWORD=n3w'pa$s",
        `ROLE_SQL=ALTER ROLE :"role" PASSWORD :'password';`,
      ]),
    );
    expect(calls[0].cmd.join(" ")).not.toContain("n3w");
    expect(calls[0].cmd).toEqual(rolePasswordCommand(false));
  });

  it("fails with psql's output, and says the nodes were not given the password", async () => {
    const { api } = fakeExec(2, 'psql: error: role "keycloak" does not exist\n');
    await expect(applyRolePassword(inputs, api)).rejects.toThrow(
      'setting the password of role keycloak in container kc-dev-db failed (psql exited 2): psql: error: role "keycloak" does not exist; the nodes were not given the new password',
    );
  });
});

describe("rolePasswordChanged", () => {
  it("runs again for a new password or a new database container, not otherwise", () => {
    expect(rolePasswordChanged(inputs, { ...inputs })).toBe(false);
    expect(rolePasswordChanged(inputs, { ...inputs, password: "other" })).toBe(true);
    expect(rolePasswordChanged(inputs, { ...inputs, containerId: "c2" })).toBe(true);
  });
});

describe("rolePasswordCommand", () => {
  // A stand-in psql on PATH records how it was called: the shell script itself runs for real.
  function run(overNetwork: boolean, newWorks: boolean): string {
    const psql = `#!/bin/sh
if [ "$1 $2" = "-X -q" ] && [ "$7" = "-c" ]; then echo "check PGPASSWORD=$PGPASSWORD" >&2; [ "${newWorks ? "yes" : "no"}" = yes ]; exit $?; fi
echo "args: $*"; echo "PGPASSWORD=$PGPASSWORD"; echo "stdin: $(cat)"`;
    const dir = execFileSync("mktemp", ["-d"]).toString().trim();
    execFileSync("sh", ["-c", `cat > ${dir}/psql && chmod +x ${dir}/psql`], { input: psql });
    const [sh, flag, script] = rolePasswordCommand(overNetwork);
    return execFileSync(sh, [flag, script], {
      env: {
        PATH: `${dir}:/usr/bin:/bin`,
        PGUSER: "keycloak",
        PGDATABASE: "kc",
        NEW_PASSWORD: "new",
        OLD_PASSWORD: "old",
        ROLE_SQL: "ALTER ROLE x;",
      },
    }).toString();
  }

  it("on the local socket, feeds the statement to psql with the role and the new password as variables", () => {
    expect(run(false, false)).toBe(
      "args: -X -q -v ON_ERROR_STOP=1 -U keycloak -d kc -v role=keycloak -v password=new\nPGPASSWORD=\nstdin: ALTER ROLE x;\n",
    );
  });

  it("over the network, logs in with the old password, or does nothing when the new one already works", () => {
    expect(run(true, false)).toContain("PGPASSWORD=old\nstdin: ALTER ROLE x;");
    expect(run(true, true)).toBe("the role already has the new password\n");
  });
});
