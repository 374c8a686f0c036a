import { describe, expect, it } from "vitest";
import { formatProblems, parseConfig } from "../../stacks/config";
import { SecretText } from "../../components/shared/secret";
import { TargetContext } from "../../stacks/targets/target";
import { dockerModelOf, modelOf, problemsOf } from "./parse";

const context: TargetContext = { stack: "dev", provider: {} };

const problems = (values: Record<string, unknown>, ctx = context) => problemsOf(values, ctx);
const model = (values: Record<string, unknown>, ctx = context) => modelOf(values, ctx);
const dockerModel = (values: Record<string, unknown>, ctx = context) => dockerModelOf(values, ctx);

const UrlMessage = (why: string) => `must be an absolute http(s) URL such as https://sso.example.com: ${why}`;
const ImageMessage =
  "must be an image reference such as quay.io/keycloak/keycloak:26.7.3 (lower-case name, optional :tag and @sha256:digest)";

describe("defaults", () => {
  it("gives the dev stack a 3-node docker cluster on the pinned version, all on 127.0.0.1", () => {
    const { spec, docker, target } = dockerModel({});
    expect(target).toBe("docker");
    expect(spec.keycloak).toMatchObject({
      version: "26.7.3",
      image: "quay.io/keycloak/keycloak:26.7.3",
      optimizedImage: false,
      nodes: 3,
      sessionMode: "persistent",
      cacheMode: "ispn",
      discovery: "jdbc-ping",
      publicUrl: "http://127.0.0.1:8080",
      resources: { limits: { cpus: 2, memoryMb: 1536 } },
    });
    expect(spec.database).toEqual({
      mode: "managed",
      name: "keycloak",
      username: "keycloak",
      resources: { limits: { cpus: 1, memoryMb: 512 } },
      storageGb: 10,
      maxConnections: 200,
      passwordRotation: 0,
      idleInTransactionSeconds: 10,
    });
    expect(spec.realm).toEqual({
      name: "chaos",
      clientId: "chaos-cli",
      redirectUri: "http://127.0.0.1:8080/keycloak-cluster/callback",
      testUsers: 10,
    });
    expect(docker).toEqual({
      namePrefix: "kc-dev",
      bindAddress: "127.0.0.1",
      loadBalancerPort: 8080,
      nodeHttpBasePort: 18080,
      nodeManagementBasePort: 19000,
      readyTimeoutSeconds: 600,
      maxNodes: 9,
      databaseImage: "postgres:17",
      loadBalancerImage: "haproxy:3.2",
    });
  });

  it("accepts numbers and booleans stored as strings", () => {
    const { spec } = model({ keycloak: { nodes: "4", optimizedImage: "true", image: "local/kc:1" }, loadBalancer: { affinity: "true" } });
    expect(spec.keycloak.nodes).toBe(4);
    expect(spec.keycloak.optimizedImage).toBe(true);
    expect(spec.loadBalancer.affinity).toBe(true);
  });

  it("uses keycloak.hostname exactly as given", () => {
    expect(model({ keycloak: { hostname: "https://sso.example.test/auth" } }).spec.keycloak.publicUrl).toBe(
      "https://sso.example.test/auth",
    );
  });

  it("allows cache mode local only together with the acknowledgement", () => {
    expect(model({ keycloak: { cacheMode: "local", acknowledgeLocalCache: true } }).spec.keycloak.cacheMode).toBe("local");
  });

  it("takes log levels Keycloak accepts, with categories", () => {
    expect(model({ keycloak: { logLevel: "INFO,org.keycloak.events:debug,io.quarkus:warn" } }).spec.keycloak.logLevel).toBe(
      "INFO,org.keycloak.events:debug,io.quarkus:warn",
    );
  });

  it("takes image references with registry port, tag and digest", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    expect(model({ keycloak: { image: `registry.local:5000/team/keycloak:26.7.3@${digest}` } }).spec.keycloak.image).toBe(
      `registry.local:5000/team/keycloak:26.7.3@${digest}`,
    );
  });

  it("deploys to docker:host, falling back to the deploying process's DOCKER_HOST", () => {
    expect(dockerModel({}, { stack: "dev", provider: { "docker:host": "ssh://ops@engine.internal" } }).docker.host).toBe(
      "ssh://ops@engine.internal",
    );
    expect(dockerModel({}, { stack: "dev", provider: { DOCKER_HOST: "tcp://127.0.0.1:2375" } }).docker.host).toBe("tcp://127.0.0.1:2375");
    expect(
      dockerModel({ docker: { bindAddress: "0.0.0.0" } }, { stack: "dev", provider: { "docker:host": "tcp://engine.internal:2375" } }).spec
        .keycloak.publicUrl,
    ).toBe("http://engine.internal:8080");
  });

  it("an external database keeps its secret password as a secret", () => {
    const password = new SecretText("s3cret");
    const { spec } = model({
      database: { mode: "external", jdbcUrl: "jdbc:postgresql://db.internal:5432/kc?sslmode=require", username: "kc", password },
    });
    expect(spec.database).toEqual({
      mode: "external",
      jdbcUrl: "jdbc:postgresql://db.internal:5432/kc?sslmode=require",
      username: "kc",
      password,
    });
    expect(JSON.stringify(spec)).not.toContain("s3cret");
  });
});

describe("bad configuration: one exact message per problem", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["unknown target", { target: "nomad" }, ['target: must be one of "docker", "kubernetes", "openshift", "aws"']],
    ["unknown environment", { environment: "staging" }, ['environment: must be one of "dev", "production"']],
    ["nodes zero", { keycloak: { nodes: 0 } }, ["keycloak.nodes: must be a whole number from 1 to 32"]],
    ["nodes fractional", { keycloak: { nodes: 2.5 } }, ["keycloak.nodes: must be a whole number from 1 to 32"]],
    ["nodes not a number", { keycloak: { nodes: "three" } }, ["keycloak.nodes: must be a whole number from 1 to 32"]],
    ["nodes with blanks", { keycloak: { nodes: " 3" } }, ["keycloak.nodes: must be a whole number from 1 to 32"]],
    ["bad version", { keycloak: { version: "26.7" } }, ["keycloak.version: must be a Keycloak version such as 26.7.3"]],
    [
      "too old version",
      { keycloak: { version: "25.0.6" } },
      ["keycloak.version: Keycloak 25.0.6 is too old: this project needs 26.4 or later (the pinned version is 26.7.3)"],
    ],
    ["unknown session mode", { keycloak: { sessionMode: "sticky" } }, ['keycloak.sessionMode: must be one of "persistent", "volatile"']],
    ["unknown cache mode", { keycloak: { cacheMode: "redis" } }, ['keycloak.cacheMode: must be one of "ispn", "local"']],
    [
      "local cache without acknowledgement",
      { keycloak: { cacheMode: "local" } },
      [
        'keycloak.cacheMode: "local" gives every node its own caches, so the nodes never form one cluster; it exists only to demonstrate that failure. Use "ispn", or also set keycloak.acknowledgeLocalCache to true',
      ],
    ],
    ["unknown discovery", { keycloak: { discovery: "udp" } }, ['keycloak.discovery: must be one of "jdbc-ping", "kubernetes"']],
    [
      "kubernetes discovery on docker",
      { keycloak: { discovery: "kubernetes" } },
      ['keycloak.discovery: "kubernetes" (DNS_PING) works only on the kubernetes and openshift targets; use "jdbc-ping"'],
    ],
    [
      "optimized official image",
      { keycloak: { optimizedImage: true } },
      [
        "keycloak.optimizedImage: the official image is not built for this cluster's build options; set keycloak.image to an image built with `kc.sh build` for them, or set optimizedImage to false",
      ],
    ],
    [
      "hostname not a URL",
      { keycloak: { hostname: "sso.example.test" } },
      [`keycloak.hostname: ${UrlMessage("it does not parse as a URL")}`],
    ],
    [
      "hostname with a query",
      { keycloak: { hostname: "https://sso.example.test/?a=b" } },
      [`keycloak.hostname: ${UrlMessage("it has a query (?…)")}`],
    ],
    [
      "hostname with a fragment",
      { keycloak: { hostname: "https://sso.example.test#top" } },
      [`keycloak.hostname: ${UrlMessage("it has a fragment (#…)")}`],
    ],
    [
      "hostname with surrounding blanks",
      { keycloak: { hostname: " https://sso.example.test " } },
      [`keycloak.hostname: ${UrlMessage("it has blanks")}`],
    ],
    [
      "hostname with a trailing slash",
      { keycloak: { hostname: "https://sso.example.test/" } },
      [`keycloak.hostname: ${UrlMessage("it ends in /")}`],
    ],
    [
      "hostname of another scheme",
      { keycloak: { hostname: "ftp://sso.example.test" } },
      [`keycloak.hostname: ${UrlMessage("its scheme is ftp")}`],
    ],
    [
      "hostname with credentials",
      { keycloak: { hostname: "https://a:b@sso.example.test" } },
      [`keycloak.hostname: ${UrlMessage("it carries credentials")}`],
    ],
    [
      "log level Keycloak does not know",
      { keycloak: { logLevel: "loud" } },
      [
        "keycloak.logLevel: must be a Keycloak log level (off, fatal, error, warn, info, debug, trace, all) or category:level pairs, e.g. info,org.keycloak.events:debug",
      ],
    ],
    [
      "log level with a bad pair",
      { keycloak: { logLevel: "info,org.keycloak:verbose" } },
      [
        "keycloak.logLevel: must be a Keycloak log level (off, fatal, error, warn, info, debug, trace, all) or category:level pairs, e.g. info,org.keycloak.events:debug",
      ],
    ],
    ["image with upper-case letters", { keycloak: { image: "Keycloak/Keycloak:26" } }, [`keycloak.image: ${ImageMessage}`]],
    [
      "image with blanks",
      { keycloak: { image: "quay.io/keycloak/keycloak:26.7.3 " } },
      [`keycloak.image: ${ImageMessage}, without leading or trailing blanks`],
    ],
    ["image with an empty tag", { docker: { databaseImage: "postgres:" } }, [`docker.databaseImage: ${ImageMessage}`]],
    [
      "admin name with blanks",
      { keycloak: { adminUsername: "admin " } },
      ["keycloak.adminUsername: must be a user name such as admin, without leading or trailing blanks"],
    ],
    ["optimizedImage not boolean", { keycloak: { optimizedImage: "yes" } }, ["keycloak.optimizedImage: must be true or false"]],
    [
      "keycloak memory too small",
      { keycloak: { resources: { limits: { memoryMb: 256, cpus: 1 } } } },
      ["keycloak.resources.limits.memoryMb: must be a whole number from 768 to 262144"],
    ],
    [
      "cpus zero",
      { keycloak: { resources: { limits: { cpus: 0, memoryMb: 1024 } } } },
      ["keycloak.resources.limits.cpus: must be a number from 0.05 to 64"],
    ],
    [
      "resources in the old shape",
      { keycloak: { resources: { cpus: 2 } } },
      [
        "keycloak.resources.cpus: moved to keycloak.resources.limits.cpus: pulumi config rm --path keycloak.resources.cpus, then set the new key",
      ],
    ],
    [
      "misspelt key",
      { keycloak: { node: 3 } },
      ["keycloak.node: unknown key; remove it (pulumi config rm --path keycloak.node) or did you mean keycloak.nodes?"],
    ],
    [
      "unknown top-level key",
      { replicas: 3 },
      ["replicas: unknown key; remove it (pulumi config rm --path replicas) or check its spelling"],
    ],
    [
      "a moved key",
      { database: { image: "postgres:16" } },
      [
        "database.image: moved to docker.databaseImage (or kubernetes.databaseImage): pulumi config rm --path database.image, then set the new key",
      ],
    ],
    [
      "a section that is not an object",
      { keycloak: 5 },
      ["keycloak: must be an object of keycloak settings; set each field with --path, e.g. pulumi config set --path keycloak.nodes 3"],
    ],
    [
      "bad database name",
      { database: { name: "Key-Cloak" } },
      ["database.name: must be a PostgreSQL identifier: lower-case letters, digits, _ (at most 63)"],
    ],
    [
      "realm master",
      { realm: { name: "master" } },
      ['realm.name: must not be "master": the chaos realm is imported and owned by the stack'],
    ],
    ["bad realm name", { realm: { name: "my realm" } }, ["realm.name: must be 1-64 letters, digits, '.', '_' or '-'"]],
    ["too many test users", { realm: { testUsers: 20000 } }, ["realm.testUsers: must be a whole number from 1 to 10000"]],
    [
      "bad redirect URI",
      { realm: { redirectUri: "callback" } },
      ["realm.redirectUri: must be an absolute http(s) URL such as https://app.example.com/callback: it does not parse as a URL"],
    ],
    ["bad bind address", { docker: { bindAddress: "localhost" } }, ["docker.bindAddress: must be an IPv4 address such as 127.0.0.1"]],
    ["privileged port", { docker: { loadBalancerPort: 80 } }, ["docker.loadBalancerPort: must be a whole number from 1024 to 65535"]],
    [
      "a node port on the load balancer's port",
      { docker: { loadBalancerPort: 18081 } },
      [
        "docker.nodeHttpBasePort: node kc-1's HTTP port (docker.nodeHttpBasePort + 1) is 18081, the same host port as docker.loadBalancerPort; choose ports that do not overlap",
      ],
    ],
    [
      "node ranges that overlap",
      { docker: { nodeManagementBasePort: 18082 } },
      [
        "docker.nodeManagementBasePort: node kc-0's management port (docker.nodeManagementBasePort) is 18082, the same host port as node kc-2's HTTP port (docker.nodeHttpBasePort + 2); choose ports that do not overlap",
      ],
    ],
    [
      "ports past 65535",
      { docker: { nodeHttpBasePort: 65534 } },
      ["docker.nodeHttpBasePort: node kc-2's port would be 65536, past 65535; lower docker.nodeHttpBasePort"],
    ],
    [
      "more nodes than the load balancer holds",
      { keycloak: { nodes: 12 }, database: { maxConnections: 500 } },
      ["keycloak.nodes: 12 nodes exceed docker.maxNodes (9); lower keycloak.nodes or raise docker.maxNodes"],
    ],
    [
      "requests on docker",
      { keycloak: { resources: { requests: { cpus: 1, memoryMb: 1024 } } } },
      [
        "keycloak.resources.requests: Docker has no resource requests, only limits; remove it (pulumi config rm --path keycloak.resources.requests) and set keycloak.resources.limits",
      ],
    ],
    [
      "a volume size on docker",
      { database: { storageGb: 20 } },
      ["database.storageGb: a Docker volume has no size; remove it (pulumi config rm --path database.storageGb)"],
    ],
    [
      "an external database without its URL and password",
      { database: { mode: "external" } },
      [
        "database.jdbcUrl: an external database needs it: pulumi config set --path database.jdbcUrl jdbc:postgresql://db.internal:5432/keycloak",
        "database.password: an external database needs it: pulumi config set --secret --path database.password <password>",
      ],
    ],
    [
      "an external database's password in plain text",
      { database: { mode: "external", jdbcUrl: "jdbc:postgresql://db:5432/kc", password: "visible" } },
      ["database.password: is stored in plain text; store it as a secret: pulumi config set --secret --path database.password <password>"],
    ],
    [
      "a password inside the JDBC URL",
      { database: { mode: "external", jdbcUrl: "jdbc:postgresql://db:5432/kc?user=kc&password=x", password: new SecretText("p") } },
      ["database.jdbcUrl: must not carry the password: put it in database.password (a secret)"],
    ],
    [
      "a managed database given a URL",
      { database: { jdbcUrl: "jdbc:postgresql://db:5432/kc" } },
      [
        "database.jdbcUrl: applies only to an external database: set database.mode to external, or remove it (pulumi config rm --path database.jdbcUrl); a managed database's password is generated",
      ],
    ],
    [
      "an external database given a name",
      { database: { mode: "external", jdbcUrl: "jdbc:postgresql://db:5432/kc", password: new SecretText("p"), name: "other" } },
      [
        "database.name: applies only to a managed database (database.mode managed); the external one is named by database.jdbcUrl: remove it (pulumi config rm --path database.name)",
      ],
    ],
  ];

  it.each(cases)("%s", (_name, values, expected) => {
    expect(problems(values)).toEqual(expected);
  });

  it("reports every schema problem at once", () => {
    expect(problems({ keycloak: { nodes: 0, sessionMode: "x", bogus: 1 }, realm: { testUsers: -1 } })).toEqual([
      "keycloak.nodes: must be a whole number from 1 to 32",
      'keycloak.sessionMode: must be one of "persistent", "volatile"',
      "keycloak.bogus: unknown key; remove it (pulumi config rm --path keycloak.bogus) or check its spelling",
      "realm.testUsers: must be a whole number from 1 to 10000",
    ]);
  });

  it("runs the rules across fields even when other fields fail the schema", () => {
    expect(
      problems({ keycloak: { nodes: 0, cacheMode: "local", optimizedImage: true }, docker: { loadBalancerPort: 18080, bindAddress: "x" } }),
    ).toEqual([
      "keycloak.nodes: must be a whole number from 1 to 32",
      "docker.bindAddress: must be an IPv4 address such as 127.0.0.1",
      'keycloak.cacheMode: "local" gives every node its own caches, so the nodes never form one cluster; it exists only to demonstrate that failure. Use "ispn", or also set keycloak.acknowledgeLocalCache to true',
      "keycloak.optimizedImage: the official image is not built for this cluster's build options; set keycloak.image to an image built with `kc.sh build` for them, or set optimizedImage to false",
    ]);
  });

  it("formats the problems with namespaced keys, one per line", () => {
    const result = parseConfig({ values: { keycloak: { nodes: 0 }, realm: { name: "master" } }, problems: [] }, context);
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
