import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { SecretText } from "../../components/shared/secret";
import { formatProblems, parseConfig } from "../../stacks/config";
import { decodeConfig } from "../../stacks/decode";
import { failProgram } from "../program";

const none = () => false;
const ns = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [`keycloak-cluster:${k}`, v]));

describe("decoding the configuration Pulumi hands the program", () => {
  it("decodes structured values and leaves other namespaces alone", () => {
    expect(decodeConfig({ ...ns({ target: "docker", keycloak: '{"nodes":"4"}' }), "docker:host": "tcp://x:2375" }, none)).toEqual({
      values: { target: "docker", keycloak: { nodes: "4" } },
      problems: [],
    });
  });

  it("recognises a key set without --path and says to use --path", () => {
    expect(decodeConfig(ns({ "keycloak.nodes": "4" }), none).problems).toEqual([
      {
        path: "keycloak.nodes",
        message:
          'was set as one literal key named "keycloak.nodes", not as a path; set it with --path: pulumi config rm keycloak.nodes && pulumi config set --path keycloak.nodes <value>',
      },
    ]);
  });

  it("says when a value looks like JSON but does not parse", () => {
    const { problems } = decodeConfig(ns({ keycloak: '{"nodes": 3' }), none);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe("keycloak");
    expect(problems[0].message).toMatch(
      /^looks like JSON but does not parse \(.+\); fix its quoting, or set each field with --path, e\.g\. pulumi config set --path keycloak\.<field> <value>$/,
    );
  });

  it("keeps a secret database password secret: it never prints itself", () => {
    const { values } = decodeConfig(ns({ database: '{"mode":"external","password":"s3cret"}' }), (k) => k === "keycloak-cluster:database");
    const password = (values.database as { password: unknown }).password;
    expect(password).toBeInstanceOf(SecretText);
    expect((password as SecretText).reveal()).toBe("s3cret");
    expect(`${String(password)} ${JSON.stringify(values)} ${inspect(values)}`).not.toContain("s3cret");
  });

  it("refuses other settings stored as secrets, which would end up in plain resource names and outputs", () => {
    expect(decodeConfig(ns({ realm: '{"name":"x"}' }), (k) => k === "keycloak-cluster:realm").problems).toEqual([
      {
        path: "realm",
        message:
          "is stored as a secret, but its values name resources and appear in outputs, so they cannot stay secret; set it again without --secret (the secret settings are: database.password)",
      },
    ]);
  });

  it("every decoding problem reaches the report together with the schema's", () => {
    const input = decodeConfig(ns({ "realm.name": "x", keycloak: '{"nodes":0}' }), none);
    const result = parseConfig(input, { stack: "dev", provider: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(formatProblems(result.problems)).toBe(
        "invalid stack configuration (2 problems):\n" +
          '  - keycloak-cluster:realm.name: was set as one literal key named "realm.name", not as a path; set it with --path: pulumi config rm realm.name && pulumi config set --path realm.name <value>\n' +
          "  - keycloak-cluster:keycloak.nodes: must be a whole number from 1 to 32",
      );
    }
  });
});

describe("secret settings through the program (mocks)", () => {
  it("a plain-text password is refused, and the error never shows it", async () => {
    const { error, recorder } = await failProgram({
      database: { mode: "external", jdbcUrl: "jdbc:postgresql://db:5432/kc", password: "visible-pw" },
    });
    expect(String(error)).toContain("keycloak-cluster:database.password: is stored in plain text; store it as a secret");
    expect(String(error)).not.toContain("visible-pw");
    expect(recorder.resources).toEqual([]);
  });
});
