import { describe, expect, it } from "vitest";
import { ClusterSpec } from "../../../components/keycloak/model";
import {
  buildArgs,
  buildOptions,
  envName,
  issuerUrl,
  nodeEnvironment,
  runtimeOptions,
  startCommand,
} from "../../../components/keycloak/settings";
import { KeycloakVersion } from "../../../components/keycloak/version";

const spec: ClusterSpec = {
  target: "docker",
  environment: "dev",
  keycloak: {
    version: "26.7.3",
    image: "quay.io/keycloak/keycloak:26.7.3",
    optimizedImage: false,
    nodes: 3,
    sessionMode: "persistent",
    cacheMode: "ispn",
    discovery: "jdbc-ping",
    publicUrl: "http://127.0.0.1:8080",
    adminUsername: "admin",
    resources: { cpus: 2, memoryMb: 1536 },
    logLevel: "info",
  },
  database: { image: "postgres:17", name: "keycloak", username: "keycloak", resources: { cpus: 1, memoryMb: 512 } },
  loadBalancer: { image: "haproxy:3.2", affinity: false },
  realm: { name: "chaos", clientId: "chaos-cli", redirectUri: "http://127.0.0.1:8080/cb", testUsers: 3 },
};
const node = { nodeName: "kc-0", dbUrl: "jdbc:postgresql://db:5432/keycloak" };
const withKeycloak = (kc: Partial<ClusterSpec["keycloak"]>): ClusterSpec => ({ ...spec, keycloak: { ...spec.keycloak, ...kc } });

describe("option names", () => {
  it.each([
    ["db-url", "KC_DB_URL"],
    ["http-management-port", "KC_HTTP_MANAGEMENT_PORT"],
    ["spi-cache-embedded--default--node-name", "KC_SPI_CACHE_EMBEDDED__DEFAULT__NODE_NAME"],
  ])("%s → %s", (option, env) => expect(envName(option)).toBe(env));
});

describe("build options vs runtime options", () => {
  it("bakes db, health and metrics; volatile sessions disable the persistent-user-sessions feature", () => {
    expect(buildOptions(spec)).toEqual({ db: "postgres", "health-enabled": "true", "metrics-enabled": "true" });
    expect(buildArgs(withKeycloak({ sessionMode: "volatile" }))).toEqual([
      "--db=postgres",
      "--health-enabled=true",
      "--metrics-enabled=true",
      "--features-disabled=persistent-user-sessions",
    ]);
  });

  it("never puts a build option or a secret among the runtime options", () => {
    const runtime = runtimeOptions(withKeycloak({ sessionMode: "volatile" }), node);
    for (const key of Object.keys(buildOptions(withKeycloak({ sessionMode: "volatile" })))) {
      expect(runtime).not.toHaveProperty(key);
    }
    expect(Object.keys(runtime).filter((k) => /password|secret/.test(k))).toEqual([]);
  });

  it("clusters over the configured stack with distributed caches", () => {
    expect(runtimeOptions(spec, node)).toMatchObject({
      cache: "ispn",
      "cache-stack": "jdbc-ping",
      "cache-embedded-network-bind-port": "7800",
      "spi-cache-embedded--default--node-name": "kc-0",
      hostname: "http://127.0.0.1:8080",
      "proxy-headers": "xforwarded",
    });
  });

  it("advertises an external address only when a target gives one (nodes on different hosts)", () => {
    expect(runtimeOptions(spec, node)).not.toHaveProperty("cache-embedded-network-external-address");
    expect(runtimeOptions(spec, { ...node, externalAddress: "10.0.1.5", bindAddress: "10.0.1.5" })).toMatchObject({
      "cache-embedded-network-external-address": "10.0.1.5",
      "cache-embedded-network-external-port": "7800",
      "cache-embedded-network-bind-address": "10.0.1.5",
    });
  });

  it("local cache mode sets no transport options", () => {
    const runtime = runtimeOptions(withKeycloak({ cacheMode: "local" }), node);
    expect(runtime.cache).toBe("local");
    expect(Object.keys(runtime).filter((k) => k.startsWith("cache-"))).toEqual([]);
  });

  it("plain start gets the build options too; an optimized image does not", () => {
    expect(nodeEnvironment(spec, node)).toMatchObject({ KC_DB: "postgres", KC_HEALTH_ENABLED: "true" });
    expect(nodeEnvironment(withKeycloak({ optimizedImage: true }), node)).not.toHaveProperty("KC_DB");
  });

  it("starts optimized only on an image built for these options", () => {
    expect(startCommand(spec)).toEqual(["start", "--import-realm"]);
    expect(startCommand(withKeycloak({ optimizedImage: true }))).toEqual(["start", "--optimized", "--import-realm"]);
  });
});

describe("issuer and version", () => {
  it("fixes the issuer from the public URL", () => {
    expect(issuerUrl("https://sso.example.test/", "chaos")).toBe("https://sso.example.test/realms/chaos");
  });

  it("compares versions and names the official image", () => {
    expect(KeycloakVersion.of("26.7.3").atLeast(26, 4)).toBe(true);
    expect(KeycloakVersion.of("26.3.9").atLeast(26, 4)).toBe(false);
    expect(KeycloakVersion.of("27.0.0").atLeast(26, 4)).toBe(true);
    expect(KeycloakVersion.pinned.officialImage()).toBe("quay.io/keycloak/keycloak:26.7.3");
    expect(() => KeycloakVersion.of("latest")).toThrow('"latest" is not a Keycloak version: use MAJOR.MINOR.PATCH, e.g. 26.7.3');
  });
});
