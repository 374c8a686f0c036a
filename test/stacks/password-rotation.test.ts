/** database.passwordRotation: an explicit rotation of the managed database's generated password. */
import { describe, expect, it } from "vitest";
import { SecretText } from "../../components/shared/secret";
import { TargetContext } from "../../stacks/targets/target";
import { modelOf, problemsOf } from "./parse";

const context: TargetContext = { stack: "dev", provider: {} };

describe("database.passwordRotation", () => {
  it("is 0 unless set, and reaches the managed database's model", () => {
    const rotation = (values: Record<string, unknown>) => {
      const db = modelOf(values, context).spec.database;
      return db.mode === "managed" ? db.passwordRotation : undefined;
    };
    expect(rotation({})).toBe(0);
    expect(rotation({ database: { passwordRotation: 3 } })).toBe(3);
  });

  it("is refused for an external database, whose password is database.password", () => {
    const external = {
      mode: "external",
      jdbcUrl: "jdbc:postgresql://db.internal:5432/kc",
      password: new SecretText("s"),
      passwordRotation: 1,
    };
    expect(problemsOf({ database: external }, context)).toEqual([
      "database.passwordRotation: applies only to a managed database (database.mode managed); the external one is named by database.jdbcUrl: remove it (pulumi config rm --path database.passwordRotation)",
    ]);
  });

  it("is refused on aws, where RDS keeps the master password, with the way to rotate it there", () => {
    const aws = {
      target: "aws",
      keycloak: { hostname: "http://sso.example.test" },
      aws: { region: "eu-west-1", allowInsecureHttp: true },
      database: { passwordRotation: 1 },
    };
    expect(problemsOf(aws, { stack: "aws", provider: {} })).toEqual([
      expect.stringMatching(
        /^database\.passwordRotation: on aws, RDS generates and keeps the master password .*aws secretsmanager rotate-secret.*instance refresh/,
      ),
    ]);
  });

  it("must be a whole number from 0", () => {
    expect(problemsOf({ database: { passwordRotation: -1 } }, context)).toEqual([expect.stringMatching(/^database\.passwordRotation: /)]);
  });
});
