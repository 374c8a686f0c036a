/** The local stacks (what `npm run up` deploys) run the tuned failover the e2e cases and bench:failover measure. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TunedFailover } from "../e2e/harness";

describe.each(["Pulumi.dev.yaml", "Pulumi.k8s-local.yaml"])("%s", (file) => {
  it("sets every tuned failover key in its keycloak section, with the same value", () => {
    const text = readFileSync(path.join(__dirname, "../..", file), "utf8");
    const section = /^ {2}keycloak-cluster:keycloak:\n((?: {4}.*\n)+)/m.exec(text)?.[1] ?? "";
    const lines = section.split("\n").map((l) => l.trim());
    for (const [key, value] of Object.entries(TunedFailover)) {
      expect(lines, key).toContain(`${key.replace(/^keycloak\./, "")}: ${String(value)}`);
    }
  });
});
