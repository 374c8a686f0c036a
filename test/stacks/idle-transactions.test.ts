/** database.idleInTransactionSeconds: the managed database's idle-transaction guard (components/keycloak/settings.ts). */
import { describe, expect, it } from "vitest";
import { SecretText } from "../../components/shared/secret";
import { TargetContext } from "../../stacks/targets/target";
import { modelOf, problemsOf } from "./parse";

const context: TargetContext = { stack: "dev", provider: {} };
const aws = { target: "aws", keycloak: { hostname: "http://sso.example.test" }, aws: { region: "eu-west-1", allowInsecureHttp: true } };
const awsContext: TargetContext = { stack: "aws", provider: {} };

function idle(values: Record<string, unknown>, at = context): number | undefined {
  const db = modelOf(values, at).spec.database;
  return db.mode === "managed" ? db.idleInTransactionSeconds : undefined;
}

describe("database.idleInTransactionSeconds", () => {
  it("is 10 s unless set (docker here; the kubernetes sidecar and aws user-data tests show theirs); 0 turns the guard off", () => {
    expect(idle({})).toBe(10);
    expect(idle({ database: { idleInTransactionSeconds: 30 } })).toBe(30);
    expect(idle({ database: { idleInTransactionSeconds: 0 } })).toBe(0);
  });

  it("is 10 s on aws too (every node runs the guard), and 0 turns it off there", () => {
    expect(idle(aws, awsContext)).toBe(10);
    expect(idle({ ...aws, database: { idleInTransactionSeconds: 0 } }, awsContext)).toBe(0);
  });

  it("is refused for an external database, which the stack does not run", () => {
    const external = {
      mode: "external",
      jdbcUrl: "jdbc:postgresql://db.internal:5432/kc",
      password: new SecretText("s"),
      idleInTransactionSeconds: 5,
    };
    expect(problemsOf({ database: external }, context)).toEqual([
      "database.idleInTransactionSeconds: applies only to a managed database (database.mode managed); the external one is named by database.jdbcUrl: remove it (pulumi config rm --path database.idleInTransactionSeconds)",
    ]);
  });

  it("must be a whole number of seconds from 0 to 3600", () => {
    expect(problemsOf({ database: { idleInTransactionSeconds: -1 } }, context)).toEqual([
      expect.stringMatching(/^database\.idleInTransactionSeconds: /),
    ]);
    expect(problemsOf({ database: { idleInTransactionSeconds: 3601 } }, context)).toEqual([
      expect.stringMatching(/^database\.idleInTransactionSeconds: /),
    ]);
  });
});
