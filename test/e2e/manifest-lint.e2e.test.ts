/**
 * kube-score (a manifest linter, built from the Go module proxy by offline/kube/kube-score.sh)
 * over the objects the kubernetes stack renders. Every finding is fixed in the component or
 * justified in README.md ("Manifest linter"); a new finding fails this test.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KeycloakVersion } from "../../components/keycloak/version";
import { localKeycloakImage } from "../../offline/local-image";
import { writeKubeconfig } from "../kubeconfig";
import { repoRoot } from "./harness";
import { renderObjects } from "./kube";

/** Findings we keep on purpose, by check id: the README says why. */
export const Justified: Readonly<Record<string, string>> = {
  "container-image-pull-policy":
    "pinned tags (and digests, where given) are immutable; IfNotPresent is the default, Never on a cluster without a registry",
  "container-security-context-user-group-id":
    "the official images' own users (Keycloak 1000, owner of /opt/keycloak; PostgreSQL 999); OpenShift assigns a high arbitrary one",
  "pod-networkpolicy": "Keycloak's egress stays open (identity providers, SMTP, an external database); the database has none at all",
};

interface Finding {
  readonly object: string;
  readonly check: string;
  readonly grade: string;
  readonly comment: string;
}

function kubeScore(yaml: string): Finding[] {
  const binary = execFileSync("bash", [path.join(repoRoot, "offline/kube/kube-score.sh")], { encoding: "utf8" }).trim();
  const file = path.join(mkdtempSync(path.join(tmpdir(), "kube-score-")), "objects.yaml");
  writeFileSync(file, yaml);
  const run = spawnSync(binary, ["score", "--output-format", "json", file], { encoding: "utf8" });
  const results = JSON.parse(run.stdout) as {
    object_name: string;
    type_meta: { kind: string };
    checks: { check: { id: string }; grade: number; skipped: boolean; comments: { summary: string; path: string }[] | null }[];
  }[];
  const grades: Record<number, string> = { 1: "CRITICAL", 5: "WARNING" };
  return results.flatMap((r) =>
    r.checks
      .filter((c) => !c.skipped && grades[c.grade])
      .map((c) => ({
        object: `${r.type_meta.kind}/${r.object_name}`,
        check: c.check.id,
        grade: grades[c.grade],
        comment: (c.comments ?? []).map((x) => `${x.path} ${x.summary}`).join("; "),
      })),
  );
}

describe("the kubernetes stack's manifests under kube-score", () => {
  it("has no finding that is neither fixed nor justified", async () => {
    process.env.KUBECONFIG = writeKubeconfig();
    const objects = await renderObjects(
      {
        target: "kubernetes",
        keycloak: {
          nodes: 3,
          hostname: "https://sso.example.test",
          image: localKeycloakImage(KeycloakVersion.pinned.toString(), "persistent"),
          optimizedImage: true,
        },
        kubernetes: {
          databaseImage: "keycloak-cluster/postgres:15",
          ingressClassName: "nginx",
          tlsSecret: "sso-tls",
          managementFrom: ["10.0.0.0/24"],
        },
      },
      "lint",
    );
    const findings = kubeScore(objects.map((o) => JSON.stringify(o)).join("\n---\n"));
    console.log("kube-score findings:\n" + findings.map((f) => `  ${f.grade} ${f.check} ${f.object}: ${f.comment}`).join("\n"));
    // The database has an egress policy: the one egress warning left is Keycloak's.
    expect(findings.filter((f) => f.check === "pod-networkpolicy").map((f) => f.object)).toEqual([
      "StatefulSet/StatefulSet/apps/v1/keycloak/keycloak-kc",
    ]);
    expect(findings.filter((f) => !(f.check in Justified)).map((f) => `${f.grade} ${f.check} ${f.object}: ${f.comment}`)).toEqual([]);
  });
});
