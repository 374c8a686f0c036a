import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { base, Container, deploy, envOf, PodSpec, StatefulSet } from "./harness";

describe("a kubernetes stack with its own cache configuration file", () => {
  it("puts the file in a ConfigMap mounted into every pod's conf/, selects its stack, and rolls the pods when it changes", async () => {
    const { recorder } = await deploy(
      "kubernetes",
      { keycloak: { ...base.keycloak, cacheConfigFile: "stacks/cache/fast-failure-detection.xml" } },
      "dev",
    );
    const shipped = readFileSync("stacks/cache/fast-failure-detection.xml", "utf8");
    const configMap = recorder.typed("kubernetes:core/v1:ConfigMap", "keycloak-cache-config");
    expect(configMap.inputs.data).toEqual({ "fast-failure-detection.xml": shipped });
    const sts = recorder.typed(StatefulSet, "keycloak-kc");
    const template = (
      sts.inputs.spec as { template: { metadata: { annotations: Record<string, string> }; spec: PodSpec & { volumes: unknown[] } } }
    ).template;
    expect(template.metadata.annotations["keycloak-cluster/cache-config-sha256"]).toBe(createHash("sha256").update(shipped).digest("hex"));
    expect(template.spec.volumes).toContainEqual({
      name: "cache-config",
      configMap: { name: "keycloak-cache-config", defaultMode: 0o444 },
    });
    const keycloak = template.spec.containers[0] as Container & { volumeMounts: unknown[] };
    expect(keycloak.volumeMounts).toContainEqual({
      name: "cache-config",
      mountPath: "/opt/keycloak/conf/fast-failure-detection.xml",
      subPath: "fast-failure-detection.xml",
      readOnly: true,
    });
    expect(envOf(keycloak)).toMatchObject({ KC_CACHE_CONFIG_FILE: "fast-failure-detection.xml", KC_CACHE_STACK: "jdbc-ping-fast-fd" });
  });
});
