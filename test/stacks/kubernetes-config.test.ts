import { describe, expect, it } from "vitest";
import { TargetContext } from "../../stacks/targets/target";
import { modelOf, problemsOf } from "./parse";
import { TestServer, writeKubeconfig } from "../kubeconfig";

const context: TargetContext = { stack: "k8s", provider: { KUBECONFIG: writeKubeconfig() } };
const hostname = { keycloak: { hostname: "https://sso.example.test" } };

const problems = (values: Record<string, unknown>, ctx = context) => problemsOf(values, ctx);

function model(values: Record<string, unknown>, ctx = context) {
  const m = modelOf(values, ctx);
  if (m.target !== "kubernetes" && m.target !== "openshift") {
    throw new Error("expected a kubernetes model");
  }
  return { spec: m.spec, deployment: m.target === "kubernetes" ? m.kubernetes : m.openshift };
}

describe("kubernetes and openshift settings", () => {
  it("defaults: namespace keycloak, requests and limits, the API server of the kubeconfig, the kubeconfig kept secret", () => {
    const { spec, deployment } = model({ target: "kubernetes", ...hostname });
    expect(spec.keycloak.resources).toEqual({ requests: { cpus: 0.5, memoryMb: 1024 }, limits: { cpus: 2, memoryMb: 1536 } });
    expect(spec.database).toMatchObject({ mode: "managed", storageGb: 10 });
    expect(deployment.target).toMatchObject({
      flavor: "kubernetes",
      namespace: "keycloak",
      createNamespace: true,
      name: "keycloak",
      imagePullPolicy: "IfNotPresent",
      service: { type: "ClusterIP" },
      ingress: {},
      skipAwait: false,
      maxNodes: 9,
      accessUrl: "https://sso.example.test",
      server: TestServer,
    });
    expect(String(deployment.provider.kubeconfig)).toBe("[secret]");
    expect(deployment.provider.kubeconfig.reveal()).toContain("token:");
  });

  it("openshift gets a Route termination instead of an Ingress", () => {
    const { deployment } = model({ target: "openshift", ...hostname, openshift: { routeTermination: "reencrypt" } });
    expect(deployment.target).toMatchObject({ flavor: "openshift", route: { termination: "reencrypt" } });
    expect(deployment.target.ingress).toBeUndefined();
  });

  it("allows the kubernetes discovery (DNS_PING) here", () => {
    expect(
      model({ target: "kubernetes", keycloak: { hostname: "https://sso.example.test", discovery: "kubernetes" } }).spec.keycloak.discovery,
    ).toBe("kubernetes");
  });
});

describe("bad kubernetes configuration: one exact message per problem", () => {
  const cases: [string, Record<string, unknown>, string[], TargetContext?][] = [
    [
      "the public URL missing",
      { target: "openshift" },
      [
        "keycloak.hostname: the openshift target needs the public URL of its load balancer: pulumi config set --path keycloak.hostname https://sso.example.com",
      ],
    ],
    [
      "docker settings on another target",
      { target: "kubernetes", ...hostname, docker: {} },
      [
        'docker: docker settings apply only to target "docker" (this stack\'s target is "kubernetes"); remove them (pulumi config rm docker)',
      ],
    ],
    [
      "openshift settings on kubernetes",
      { target: "kubernetes", ...hostname, openshift: { routeTermination: "edge" } },
      [
        'openshift: openshift settings apply only to target "openshift" (this stack\'s target is "kubernetes"); remove them (pulumi config rm openshift)',
      ],
    ],
    [
      "a namespace that is no DNS label",
      { target: "kubernetes", ...hostname, kubernetes: { namespace: "Key_cloak" } },
      ["kubernetes.namespace: must be the namespace: a DNS label of lower-case letters, digits and '-' (at most 40)"],
    ],
    [
      "a node port without a NodePort Service",
      { target: "kubernetes", ...hostname, kubernetes: { nodePort: 30080 } },
      [
        "kubernetes.nodePort: applies only with kubernetes.serviceType NodePort; set it, or remove the port (pulumi config rm --path kubernetes.nodePort)",
      ],
    ],
    [
      "more pods than the startup probe asks about",
      { target: "openshift", keycloak: { ...hostname.keycloak, nodes: 10 }, database: { maxConnections: 500 } },
      [
        "keycloak.nodes: 10 nodes exceed openshift.maxNodes (9); lower keycloak.nodes or raise openshift.maxNodes (a new maxNodes rolls the pods once)",
      ],
    ],
    [
      "a node port out of range",
      { target: "kubernetes", ...hostname, kubernetes: { serviceType: "NodePort", nodePort: 8080 } },
      ["kubernetes.nodePort: must be a whole number from 30000 to 32767"],
    ],
    [
      "skipAwait in production",
      { target: "kubernetes", environment: "production", ...hostname, kubernetes: { skipAwait: true } },
      ["kubernetes.skipAwait: is for tests against an API server without nodes; a production stack waits for its objects: remove it"],
    ],
    [
      "requests above limits",
      {
        target: "kubernetes",
        keycloak: {
          hostname: "https://sso.example.test",
          resources: { requests: { cpus: 4, memoryMb: 1024 }, limits: { cpus: 2, memoryMb: 1536 } },
        },
      },
      ["keycloak.resources.requests.cpus: is more than keycloak.resources.limits.cpus; a request cannot exceed its limit"],
    ],
    [
      "a bad CIDR",
      { target: "kubernetes", ...hostname, kubernetes: { managementFrom: ["10.0.0.0"] } },
      ["kubernetes.managementFrom.0: must be a list of IPv4 CIDRs such as 10.0.0.0/8"],
    ],
    [
      "Ingress settings with the Ingress off",
      { target: "kubernetes", ...hostname, kubernetes: { ingress: false, tlsSecret: "x" } },
      ["kubernetes.tlsSecret: applies only to the Ingress, which kubernetes.ingress false turns off; remove it or turn the Ingress on"],
    ],
    [
      "a kubeconfig that is not there",
      { target: "kubernetes", ...hostname, kubernetes: { kubeconfig: "/nonexistent/config" } },
      [
        "kubernetes.kubeconfig: cannot read the kubeconfig /nonexistent/config (ENOENT); set kubernetes.kubeconfig to its path, or KUBECONFIG",
      ],
    ],
    [
      "a context the kubeconfig does not have",
      { target: "openshift", ...hostname, openshift: { context: "prod" } },
      [`openshift.kubeconfig: the kubeconfig ${context.provider.KUBECONFIG} has no context "prod" (it has: local)`],
    ],
  ];

  it.each(cases)("%s", (_name, values, expected, ctx) => {
    expect(problems(values, ctx)).toEqual(expected);
  });
});
