import { describe, expect, it } from "vitest";
import { formatProblems, parseConfig } from "../../stacks/config";

function problems(raw: Record<string, unknown>): string[] {
  const result = parseConfig(raw, "dev");
  if (result.ok) {
    throw new Error("expected the configuration to be refused");
  }
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

function model(raw: Record<string, unknown>) {
  const result = parseConfig(raw, "dev");
  if (!result.ok) {
    throw new Error(formatProblems(result.problems));
  }
  return result.model;
}

describe("defaults", () => {
  it("gives the dev stack a 3-node docker cluster on the pinned version, all on 127.0.0.1", () => {
    const { spec, docker } = model({});
    expect(spec.target).toBe("docker");
    expect(spec.keycloak).toMatchObject({
      version: "26.7.3",
      image: "quay.io/keycloak/keycloak:26.7.3",
      optimizedImage: false,
      nodes: 3,
      sessionMode: "persistent",
      cacheMode: "ispn",
      discovery: "jdbc-ping",
      publicUrl: "http://127.0.0.1:8080",
    });
    expect(spec.realm).toEqual({ name: "chaos", clientId: "chaos-cli", redirectUri: "http://127.0.0.1:8080/keycloak-cluster/callback", testUsers: 10 });
    expect(docker).toMatchObject({ namePrefix: "kc-dev", bindAddress: "127.0.0.1", loadBalancerPort: 8080 });
  });

  it("accepts numbers and booleans stored as strings", () => {
    const { spec } = model({ keycloak: { nodes: "4", optimizedImage: "true", image: "local/kc:1" }, loadBalancer: { affinity: "true" } });
    expect(spec.keycloak.nodes).toBe(4);
    expect(spec.keycloak.optimizedImage).toBe(true);
    expect(spec.loadBalancer.affinity).toBe(true);
  });

  it("takes the public URL from keycloak.hostname and strips a trailing slash", () => {
    expect(model({ keycloak: { hostname: "https://sso.example.test/" } }).spec.keycloak.publicUrl).toBe("https://sso.example.test");
  });

  it("allows cache mode local only together with the acknowledgement", () => {
    expect(model({ keycloak: { cacheMode: "local", acknowledgeLocalCache: true } }).spec.keycloak.cacheMode).toBe("local");
  });
});

describe("bad configuration: one exact message per problem", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["unknown target", { target: "nomad" }, ['target: must be one of "docker", "kubernetes", "openshift", "aws"']],
    ["target not built yet", { target: "aws", keycloak: { hostname: "https://sso.example.test" } }, ['target: the aws target is not built yet; use "docker" (pulumi config set target docker)']],
    ["unknown environment", { environment: "staging" }, ['environment: must be one of "dev", "production"']],
    ["nodes zero", { keycloak: { nodes: 0 } }, ["keycloak.nodes: must be a whole number from 1 to 32"]],
    ["nodes fractional", { keycloak: { nodes: 2.5 } }, ["keycloak.nodes: must be a whole number from 1 to 32"]],
    ["nodes not a number", { keycloak: { nodes: "three" } }, ["keycloak.nodes: must be a whole number from 1 to 32"]],
    ["bad version", { keycloak: { version: "26.7" } }, ["keycloak.version: must be a Keycloak version such as 26.7.3"]],
    ["too old version", { keycloak: { version: "25.0.6" } }, ["keycloak.version: Keycloak 25.0.6 is too old: this project needs 26.4 or later (the pinned version is 26.7.3)"]],
    ["unknown session mode", { keycloak: { sessionMode: "sticky" } }, ['keycloak.sessionMode: must be one of "persistent", "volatile"']],
    ["unknown cache mode", { keycloak: { cacheMode: "redis" } }, ['keycloak.cacheMode: must be one of "ispn", "local"']],
    ["local cache without acknowledgement", { keycloak: { cacheMode: "local" } }, ['keycloak.cacheMode: "local" gives every node its own caches, so the nodes never form one cluster; it exists only to demonstrate that failure. Use "ispn", or also set keycloak.acknowledgeLocalCache to true']],
    ["unknown discovery", { keycloak: { discovery: "udp" } }, ['keycloak.discovery: must be one of "jdbc-ping", "kubernetes"']],
    ["kubernetes discovery on docker", { keycloak: { discovery: "kubernetes" } }, ['keycloak.discovery: "kubernetes" (DNS_PING) works only on the kubernetes and openshift targets; use "jdbc-ping"']],
    ["optimized official image", { keycloak: { optimizedImage: true } }, ["keycloak.optimizedImage: the official image is not built for this cluster's build options; set keycloak.image to an image built with `kc.sh build` for them, or set optimizedImage to false"]],
    ["hostname not a URL", { keycloak: { hostname: "sso.example.test" } }, ["keycloak.hostname: must be an absolute http(s) URL without query or fragment, e.g. http://127.0.0.1:8080"]],
    ["hostname with a query", { keycloak: { hostname: "https://sso.example.test/?a=b" } }, ["keycloak.hostname: must be an absolute http(s) URL without query or fragment, e.g. http://127.0.0.1:8080"]],
    ["optimizedImage not boolean", { keycloak: { optimizedImage: "yes" } }, ["keycloak.optimizedImage: must be true or false"]],
    ["keycloak memory too small", { keycloak: { resources: { memoryMb: 256 } } }, ["keycloak.resources.memoryMb: must be a whole number from 768 to 262144"]],
    ["cpus zero", { keycloak: { resources: { cpus: 0 } } }, ["keycloak.resources.cpus: must be a number from 0.1 to 64"]],
    ["misspelt key", { keycloak: { node: 3 } }, ["keycloak.node: unknown key; remove it (pulumi config rm --path keycloak-cluster:keycloak.node) or check its spelling"]],
    ["unknown top-level key", { replicas: 3 }, ["replicas: unknown key; remove it (pulumi config rm --path keycloak-cluster:replicas) or check its spelling"]],
    ["bad database name", { database: { name: "Key-Cloak" } }, ["database.name: must be a PostgreSQL identifier: lower-case letters, digits, _"]],
    ["realm master", { realm: { name: "master" } }, ['realm.name: must not be "master": the chaos realm is imported and owned by the stack']],
    ["bad realm name", { realm: { name: "my realm" } }, ["realm.name: must be 1-64 letters, digits, '.', '_' or '-'"]],
    ["too many test users", { realm: { testUsers: 20000 } }, ["realm.testUsers: must be a whole number from 1 to 10000"]],
    ["bad redirect URI", { realm: { redirectUri: "callback" } }, ["realm.redirectUri: must be an absolute http(s) URL without query or fragment, e.g. http://127.0.0.1:8080"]],
    ["bad bind address", { docker: { bindAddress: "localhost" } }, ["docker.bindAddress: must be an IPv4 address such as 127.0.0.1"]],
    ["privileged port", { docker: { loadBalancerPort: 80 } }, ["docker.loadBalancerPort: must be a whole number from 1024 to 65535"]],
    ["overlapping ports", { docker: { loadBalancerPort: 18081 } }, ["docker.nodeHttpBasePort: host ports 18080-18082 overlap docker.loadBalancerPort (18081-18081); choose ports that do not overlap"]],
    ["more nodes than the load balancer holds", { keycloak: { nodes: 12 } }, ["keycloak.nodes: 12 nodes exceed docker.maxNodes (9); lower keycloak.nodes or raise docker.maxNodes"]],
    ["docker settings on another target", { target: "kubernetes", keycloak: { hostname: "https://sso.example.test" }, docker: {} }, [
      'target: the kubernetes target is not built yet; use "docker" (pulumi config set target docker)',
      'docker: docker settings apply only to target "docker" (this stack\'s target is "kubernetes"); remove them',
    ]],
    ["public URL missing off docker", { target: "openshift" }, [
      'target: the openshift target is not built yet; use "docker" (pulumi config set target docker)',
      "keycloak.hostname: the openshift target needs the public URL of the load balancer, e.g. https://keycloak.example.com",
    ]],
  ];

  it.each(cases)("%s", (_name, raw, expected) => {
    expect(problems(raw)).toEqual(expected);
  });

  it("reports every schema problem at once", () => {
    expect(problems({ keycloak: { nodes: 0, sessionMode: "x", bogus: 1 }, realm: { testUsers: -1 } })).toEqual([
      "keycloak.nodes: must be a whole number from 1 to 32",
      'keycloak.sessionMode: must be one of "persistent", "volatile"',
      "keycloak.bogus: unknown key; remove it (pulumi config rm --path keycloak-cluster:keycloak.bogus) or check its spelling",
      "realm.testUsers: must be a whole number from 1 to 10000",
    ]);
  });

  it("formats the problems with namespaced keys, one per line", () => {
    const result = parseConfig({ keycloak: { nodes: 0 }, realm: { name: "master" } }, "dev");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(formatProblems(result.problems)).toBe(
        "invalid stack configuration (2 problems):\n" +
          "  - keycloak-cluster:keycloak.nodes: must be a whole number from 1 to 32\n" +
          '  - keycloak-cluster:realm.name: must not be "master": the chaos realm is imported and owned by the stack',
      );
    }
  });
});
