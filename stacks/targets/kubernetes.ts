/** Targets kubernetes and openshift: their settings (`keycloak-cluster:kubernetes` / `:openshift`), defaults and rules. */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { Environment, ResourceAmount, Target } from "../../components/keycloak/model";
import { KubernetesTargetSpec } from "../../components/kubernetes/spec";
import { SecretText } from "../../components/shared/secret";
import type { LenientConfig, RawConfig } from "../schema";
import { bool, imageRef, int, oneOf, text, url } from "../schema-kit";
import { Problem, TargetContext, TargetModule } from "./target";

const dnsLabel = (what: string) =>
  text(`${what}: a DNS label of lower-case letters, digits and '-' (at most 40)`, /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/);
const cidr = z
  .string({ error: "must be a list of IPv4 CIDRs such as 10.0.0.0/8" })
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, { error: "must be a list of IPv4 CIDRs such as 10.0.0.0/8" });

/** The most pods a stack may scale to unless it says otherwise. */
export const DefaultMaxNodes = 9;

/** Fields both flavors share. */
const commonFields = {
  namespace: dnsLabel("the namespace").default("keycloak"),
  createNamespace: bool.default(true),
  name: dnsLabel("the objects' base name").default("keycloak"),
  kubeconfig: text("the path of a kubeconfig file").optional(),
  context: text("a context of the kubeconfig").optional(),
  databaseImage: imageRef.default("postgres:17"),
  storageClass: text("a storage class name", /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/).optional(),
  imagePullPolicy: oneOf({ Always: "Always", IfNotPresent: "IfNotPresent", Never: "Never" } as const).default("IfNotPresent"),
  serviceType: oneOf({ ClusterIP: "ClusterIP", NodePort: "NodePort", LoadBalancer: "LoadBalancer" } as const).default("ClusterIP"),
  nodePort: int(30000, 32767).optional(),
  managementFrom: z.array(cidr, { error: "must be a list of IPv4 CIDRs such as 10.0.0.0/8" }).default([]),
  preStopSeconds: int(0, 120).default(10),
  terminationGracePeriodSeconds: int(10, 600).default(60),
  skipAwait: bool.default(false),
  /** The most pods the stack may scale to: the startup probe asks that many peers (a new value rolls the pods). */
  maxNodes: int(1, 32).default(DefaultMaxNodes),
  chaosUsers: z
    .array(text("a user name"), {
      error: "must be a list of user names, e.g. pulumi config set --path 'kubernetes.chaosUsers[0]' chaos-runner",
    })
    .default([]),
  accessUrl: url("http://127.0.0.1:30080").optional(),
};

export const kubernetesFields = {
  ...commonFields,
  /** An Ingress in front of the traffic Service (off: reach it through the Service alone, e.g. a NodePort). */
  ingress: bool.default(true),
  ingressClassName: text("an IngressClass name", /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/).optional(),
  tlsSecret: text("the name of a kubernetes.io/tls Secret", /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/).optional(),
};

export const openshiftFields = {
  ...commonFields,
  routeTermination: oneOf({ Edge: "edge", Reencrypt: "reencrypt" } as const).default("edge"),
};

type Own = NonNullable<RawConfig["kubernetes"]> | NonNullable<RawConfig["openshift"]>;

/** What the kubernetes provider needs: the kubeconfig (a secret: it carries credentials) and its context. */
export interface KubernetesProviderSettings {
  readonly kubeconfig: SecretText;
  readonly context?: string;
}

export interface KubernetesDeployment {
  readonly target: KubernetesTargetSpec;
  readonly provider: KubernetesProviderSettings;
}

/** The kubeconfig the stack deploys with: kubernetes.kubeconfig, else KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(setting: string | undefined, context: TargetContext): string {
  const fromEnv = context.provider.KUBECONFIG?.split(path.delimiter)[0];
  return setting ?? (fromEnv || path.join(context.provider.HOME ?? os.homedir(), ".kube", "config"));
}

/** Reads the kubeconfig and the API server of its (chosen) context; a string when it cannot. */
export function readKubeconfig(file: string, contextName: string | undefined): { text: string; server: string } | string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return `cannot read the kubeconfig ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); set kubernetes.kubeconfig to its path, or KUBECONFIG`;
  }
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch (error) {
    return `the kubeconfig ${file} does not parse (${error instanceof Error ? error.message : String(error)})`;
  }
  if (contextName !== undefined) {
    if (!config.getContextObject(contextName)) {
      return `the kubeconfig ${file} has no context "${contextName}" (it has: ${
        config
          .getContexts()
          .map((c) => c.name)
          .join(", ") || "none"
      })`;
    }
    config.setCurrentContext(contextName);
  }
  const server = config.getCurrentCluster()?.server;
  return server ? { text, server } : `the kubeconfig ${file} names no cluster for its current context; set kubernetes.context`;
}

function exceeds(requests: ResourceAmount | undefined, limits: ResourceAmount | undefined): string[] {
  if (!requests || !limits) {
    return [];
  }
  return [requests.cpus > limits.cpus ? "cpus" : "", requests.memoryMb > limits.memoryMb ? "memoryMb" : ""].filter(Boolean);
}

function kubernetesModule<T extends typeof Target.Kubernetes | typeof Target.OpenShift>(
  target: T,
): TargetModule<T, Own, KubernetesDeployment> {
  return {
    target,
    // The public URL is the Ingress's or Route's: the stack cannot guess it.
    defaultPublicUrl: () => undefined,
    defaults: {
      keycloak: { requests: { cpus: 0.5, memoryMb: 1024 }, limits: { cpus: 2, memoryMb: 1536 } },
      database: { requests: { cpus: 0.25, memoryMb: 256 }, limits: { cpus: 1, memoryMb: 512 } },
      storageGb: 10,
    },

    rules(config: LenientConfig, problem: Problem, context: TargetContext) {
      const own: Partial<Own> = config[target] ?? {};
      if (own.nodePort !== undefined && own.serviceType !== "NodePort") {
        problem(
          `${target}.nodePort`,
          `applies only with ${target}.serviceType NodePort; set it, or remove the port (pulumi config rm --path ${target}.nodePort)`,
        );
      }
      const nodes = config.keycloak?.nodes;
      const maxNodes = own.maxNodes ?? DefaultMaxNodes;
      if (typeof nodes === "number" && typeof maxNodes === "number" && nodes > maxNodes) {
        problem(
          "keycloak.nodes",
          `${nodes} nodes exceed ${target}.maxNodes (${maxNodes}); lower keycloak.nodes or raise ${target}.maxNodes (a new maxNodes rolls the pods once)`,
        );
      }
      if (own.skipAwait === true && config.environment === Environment.Production) {
        problem(
          `${target}.skipAwait`,
          "is for tests against an API server without nodes; a production stack waits for its objects: remove it",
        );
      }
      for (const key of ["keycloak", "database"] as const) {
        const r = config[key]?.resources;
        for (const field of exceeds(r?.requests, r?.limits)) {
          problem(`${key}.resources.requests.${field}`, `is more than ${key}.resources.limits.${field}; a request cannot exceed its limit`);
        }
      }
      if ("ingress" in own && own.ingress === false) {
        for (const key of ["ingressClassName", "tlsSecret"] as const) {
          if (own[key] !== undefined) {
            problem(
              `kubernetes.${key}`,
              "applies only to the Ingress, which kubernetes.ingress false turns off; remove it or turn the Ingress on",
            );
          }
        }
      }
      const read = readKubeconfig(kubeconfigPath(own.kubeconfig, context), own.context);
      if (typeof read === "string") {
        problem(`${target}.kubeconfig`, read);
      }
    },

    settings(config: RawConfig, own: Own, context: TargetContext): KubernetesDeployment {
      const read = readKubeconfig(kubeconfigPath(own.kubeconfig, context), own.context);
      if (typeof read === "string") {
        throw new Error(`internal error: ${read}`);
      }
      const spec: KubernetesTargetSpec = {
        flavor: target,
        namespace: own.namespace,
        createNamespace: own.createNamespace,
        name: own.name,
        databaseImage: own.databaseImage,
        ...(own.storageClass ? { storageClass: own.storageClass } : {}),
        imagePullPolicy: own.imagePullPolicy,
        service: { type: own.serviceType, ...(own.nodePort !== undefined ? { nodePort: own.nodePort } : {}) },
        ...("routeTermination" in own ? { route: { termination: own.routeTermination } } : {}),
        ...("ingress" in own && own.ingress
          ? {
              ingress: {
                ...(own.ingressClassName ? { className: own.ingressClassName } : {}),
                ...(own.tlsSecret ? { tlsSecret: own.tlsSecret } : {}),
              },
            }
          : {}),
        managementFrom: own.managementFrom,
        preStopSeconds: own.preStopSeconds,
        terminationGracePeriodSeconds: own.terminationGracePeriodSeconds,
        skipAwait: own.skipAwait,
        maxNodes: own.maxNodes,
        chaosUsers: own.chaosUsers,
        accessUrl: own.accessUrl ?? config.keycloak.hostname ?? "",
        server: read.server,
      };
      return { target: spec, provider: { kubeconfig: new SecretText(read.text), ...(own.context ? { context: own.context } : {}) } };
    },
  };
}

export const kubernetesTarget = kubernetesModule(Target.Kubernetes);
export const openshiftTarget = kubernetesModule(Target.OpenShift);
