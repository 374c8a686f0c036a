import { describe, expect, it } from "vitest";
import { ClusterSpec } from "../../../components/keycloak/model";
import { NodeValue } from "../../../components/keycloak/node-value";
import {
  buildArgs,
  buildOptions,
  databaseUrl,
  envName,
  issuerUrl,
  nodeEnvironment,
  nodeOptions,
  runtimeOptions,
  startCommand,
} from "../../../components/keycloak/settings";
import { SecretText } from "../../../components/shared/secret";
import { KeycloakVersion } from "../../../components/keycloak/version";

const spec: ClusterSpec = {
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
    resources: { limits: { cpus: 2, memoryMb: 1536 } },
    logLevel: "info",
    dbPoolMaxSize: 20,
    clusterTls: true,
  },
  database: {
    mode: "managed",
    name: "keycloak",
    username: "keycloak",
    resources: { limits: { cpus: 1, memoryMb: 512 } },
    storageGb: 10,
    maxConnections: 200,
    passwordRotation: 0,
    idleInTransactionSeconds: 10,
  },
  loadBalancer: { affinity: false },
  realm: { name: "chaos", clientId: "chaos-cli", redirectUri: "http://127.0.0.1:8080/cb", testUsers: 3 },
};
const dbUrl = "jdbc:postgresql://db:5432/keycloak";
const node = { nodeName: NodeValue.literal("kc-0"), dbUrl };
const envOf = (s: ClusterSpec, n = node) => Object.fromEntries(nodeEnvironment(s, n).map((e) => [e.name, e.value]));
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
    const volatile = withKeycloak({ sessionMode: "volatile" });
    const runtime = { ...runtimeOptions(volatile, node), ...nodeOptions(volatile, node) };
    for (const key of Object.keys(buildOptions(volatile))) {
      expect(runtime).not.toHaveProperty(key);
    }
    expect(Object.keys(runtime).filter((k) => /password|secret/.test(k))).toEqual([]);
  });

  it("with a cache configuration file: the nodes read it (cache-config-file) and select its stack; without one, neither", () => {
    const withFile = withKeycloak({ cacheConfig: { fileName: "fast.xml", content: "<infinispan/>", stack: "fast" } });
    expect(runtimeOptions(withFile, node)).toMatchObject({ "cache-config-file": "fast.xml", "cache-stack": "fast" });
    const noStack = withKeycloak({ cacheConfig: { fileName: "timeouts.xml", content: "<infinispan/>" } });
    expect(runtimeOptions(noStack, node)).toMatchObject({ "cache-config-file": "timeouts.xml", "cache-stack": "jdbc-ping" });
    expect(runtimeOptions(spec, node)).not.toHaveProperty("cache-config-file");
  });

  it("caps each node's database pool, and turns the cluster's mutual TLS off only when told", () => {
    expect(runtimeOptions(withKeycloak({ dbPoolMaxSize: 13 }), node)).toMatchObject({ "db-pool-max-size": "13" });
    expect(runtimeOptions(spec, node)).not.toHaveProperty("cache-embedded-mtls-enabled");
    expect(runtimeOptions(withKeycloak({ clusterTls: false }), node)).toMatchObject({ "cache-embedded-mtls-enabled": "false" });
    expect(runtimeOptions(withKeycloak({ clusterTls: false, cacheMode: "local" }), node)).not.toHaveProperty("cache-embedded-mtls-enabled");
  });

  it("clusters over the configured stack with distributed caches", () => {
    expect(runtimeOptions(spec, node)).toMatchObject({
      cache: "ispn",
      "cache-stack": "jdbc-ping",
      "cache-embedded-network-bind-port": "7800",
      hostname: "http://127.0.0.1:8080",
      "proxy-headers": "xforwarded",
    });
    expect(nodeOptions(spec, node)).toEqual({ "spi-cache-embedded--default--node-name": NodeValue.literal("kc-0") });
  });

  it("advertises an address only when a target gives one; per-node values may come from the runtime", () => {
    const pod = {
      nodeName: NodeValue.pod("metadata.name"),
      dbUrl,
      advertisedAddress: NodeValue.pod("status.podIP"),
      bindAddress: NodeValue.pod("status.podIP"),
    };
    expect(nodeOptions(spec, pod)).toEqual({
      "spi-cache-embedded--default--node-name": { source: "pod", field: "metadata.name" },
      "cache-embedded-network-bind-address": { source: "pod", field: "status.podIP" },
      "cache-embedded-network-external-address": { source: "pod", field: "status.podIP" },
      "cache-embedded-network-external-port": NodeValue.literal("7800"),
    });
    const ec2 = {
      ...pod,
      nodeName: NodeValue.instance("instance-id"),
      advertisedAddress: NodeValue.instance("local-ipv4"),
      bindAddress: undefined,
      machine: NodeValue.instance("instance-id"),
      rack: NodeValue.instance("placement/availability-zone"),
    };
    expect(nodeOptions(spec, ec2)).toMatchObject({
      "spi-cache-embedded--default--machine-name": { source: "instance", field: "instance-id" },
      "spi-cache-embedded--default--rack-name": { source: "instance", field: "placement/availability-zone" },
      "cache-embedded-network-external-address": { source: "instance", field: "local-ipv4" },
    });
  });

  it("local cache mode sets no transport options", () => {
    const local = withKeycloak({ cacheMode: "local" });
    const options = {
      ...runtimeOptions(local, node),
      ...nodeOptions(local, { ...node, advertisedAddress: NodeValue.literal("10.0.0.1") }),
    };
    expect(options.cache).toBe("local");
    expect(Object.keys(options).filter((k) => k.startsWith("cache-"))).toEqual([]);
  });

  it("plain start gets the build options too; an optimized image does not; the environment is sorted", () => {
    expect(envOf(spec)).toMatchObject({ KC_DB: NodeValue.literal("postgres"), KC_HEALTH_ENABLED: NodeValue.literal("true") });
    expect(envOf(withKeycloak({ optimizedImage: true }))).not.toHaveProperty("KC_DB");
    const names = nodeEnvironment(spec, node).map((e) => e.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it("starts optimized only on an image built for these options", () => {
    expect(startCommand(spec)).toEqual(["start", "--import-realm"]);
    expect(startCommand(withKeycloak({ optimizedImage: true }))).toEqual(["start", "--optimized", "--import-realm"]);
  });

  it("connects to the managed database's host, or to the external JDBC URL as given", () => {
    expect(databaseUrl(spec, "kc-db")).toBe("jdbc:postgresql://kc-db:5432/keycloak");
    const external: ClusterSpec = {
      ...spec,
      database: { mode: "external", jdbcUrl: "jdbc:postgresql://a:6432/b?ssl=true", username: "u", password: new SecretText("p") },
    };
    expect(databaseUrl(external, "kc-db")).toBe("jdbc:postgresql://a:6432/b?ssl=true");
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
