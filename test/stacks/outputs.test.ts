import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { ClusterOutputsSchema, OutputNames, SecretOutputs } from "../../components/shared/outputs";
import { parseClusterOutputs } from "../../chaos/cluster-outputs";
import { stackOutputs } from "../../stacks/outputs";
import { ResourceRecorder, resolve } from "../mocks";

const spec = {
  environment: "dev",
  keycloak: {
    version: "26.7.3",
    image: "i",
    optimizedImage: false,
    nodes: 2,
    sessionMode: "persistent",
    cacheMode: "ispn",
    discovery: "jdbc-ping",
    publicUrl: "http://127.0.0.1:8080",
    adminUsername: "admin",
    resources: {},
    logLevel: "info",
    dbPoolMaxSize: 20,
    clusterTls: true,
  },
  database: {
    mode: "managed",
    name: "k",
    username: "k",
    resources: {},
    storageGb: 1,
    maxConnections: 200,
    passwordRotation: 0,
    idleInTransactionSeconds: 10,
  },
  loadBalancer: { affinity: false },
  realm: { name: "chaos", clientId: "c", redirectUri: "http://127.0.0.1:8080/cb", testUsers: 1 },
} as const;

const parts = {
  clusterId: pulumi.output("docker/x"),
  issuerUrl: pulumi.output("http://127.0.0.1:8080/realms/chaos"),
  loadBalancerUrl: pulumi.output("http://127.0.0.1:8080"),
  driver: pulumi.output({
    kind: "docker" as const,
    nodes: [{ id: "kc-0", nodeName: "n", container: "c", httpUrl: "http://127.0.0.1:1", managementUrl: "http://127.0.0.1:2" }],
  }),
  // Plain on purpose: the builder, not the component, must make them secret.
  clientSecret: pulumi.output("cs"),
  adminPassword: pulumi.output("ap"),
  testUsers: pulumi.output([{ username: "user-1", password: "p" }]),
  loadBalancerTiming: { healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, fall: 2 }, safeRetryAfterSeconds: 4 },
};

describe("the stack outputs builder", () => {
  beforeAll(async () => {
    await pulumi.runtime.setMocks(new ResourceRecorder().mocks(), "keycloak-cluster", "out", false);
  });

  it("builds exactly the schema's outputs and makes exactly the secret ones secret", async () => {
    const outputs = stackOutputs("docker", spec, parts);
    expect(Object.keys(outputs)).toEqual(OutputNames);
    expect(OutputNames).toEqual(Object.keys(ClusterOutputsSchema.shape));
    for (const name of OutputNames) {
      expect((await resolve(outputs[name] as pulumi.Output<unknown>)).secret, name).toBe(
        (SecretOutputs as readonly string[]).includes(name),
      );
    }
  });

  it("what it builds is what the chaos command reads", async () => {
    const outputs = stackOutputs("docker", spec, parts);
    const entries = await Promise.all(
      OutputNames.map(async (n): Promise<[string, unknown]> => [n, (await resolve(outputs[n] as pulumi.Output<unknown>)).value]),
    );
    const plain: Record<string, unknown> = Object.fromEntries(entries);
    expect(parseClusterOutputs(plain, "built").clusterId).toBe("docker/x");
  });

  it("names the settings that decide failover: the cache stack and file, cluster TLS, the load balancer's timing", async () => {
    const tuned = {
      ...spec,
      keycloak: { ...spec.keycloak, clusterTls: false, cacheConfig: { fileName: "fast.xml", content: "<infinispan/>", stack: "fast-fd" } },
    };
    expect((await resolve(stackOutputs("docker", tuned, parts).failoverSettings as pulumi.Output<unknown>)).value).toEqual({
      cacheStack: "fast-fd",
      cacheConfigFile: "fast.xml",
      clusterTls: false,
      healthCheck: { intervalSeconds: 1, timeoutSeconds: 1, fall: 2 },
      safeRetryAfterSeconds: 4,
    });
    expect((await resolve(stackOutputs("docker", spec, parts).failoverSettings as pulumi.Output<unknown>)).value).toMatchObject({
      cacheStack: "jdbc-ping",
      cacheConfigFile: null,
      clusterTls: true,
    });
  });
});
