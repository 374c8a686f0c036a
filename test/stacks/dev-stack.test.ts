/** The dev stack (what `npm run up` deploys) runs the tuned failover the e2e pause case and bench:failover measure. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TunedFailover } from "../e2e/harness";

describe("Pulumi.dev.yaml", () => {
  it("sets every tuned failover key in its keycloak section, with the same value", () => {
    const text = readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8");
    const section = /^ {2}keycloak-cluster:keycloak:\n((?: {4}.*\n)+)/m.exec(text)?.[1] ?? "";
    const lines = section.split("\n").map((l) => l.trim());
    for (const [key, value] of Object.entries(TunedFailover)) {
      expect(lines, key).toContain(`${key.replace(/^keycloak\./, "")}: ${String(value)}`);
    }
  });
});
