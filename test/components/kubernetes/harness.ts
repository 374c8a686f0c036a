/** What the kubernetes target's tests under mocks share: the stack's base config, the pod shapes, a deploy. */
import { RecordedResource } from "../../mocks";
import { ProgramRun, runProgram } from "../../program";
import { writeKubeconfig } from "../../kubeconfig";

export const StatefulSet = "kubernetes:apps/v1:StatefulSet";
export const Service = "kubernetes:core/v1:Service";
export const Secret = "kubernetes:core/v1:Secret";
export const Policy = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

export const base = {
  keycloak: { nodes: 3, hostname: "https://sso.example.test", image: "keycloak-cluster/keycloak:26.7.3-persistent", optimizedImage: true },
  realm: { testUsers: 3 },
};

export type Container = {
  name: string;
  image?: string;
  command?: string[];
  env: { name: string; value?: string; valueFrom?: Record<string, Record<string, string>> }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  startupProbe: { exec: { command: string[] }; periodSeconds: number; failureThreshold: number; timeoutSeconds: number };
  readinessProbe: { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number; timeoutSeconds: number };
  livenessProbe: { httpGet: { path: string; port: string } };
  lifecycle: { preStop: { sleep: { seconds: number } } };
  resources: Record<string, Record<string, string>>;
};
export type PodSpec = {
  securityContext: Record<string, unknown>;
  containers: Container[];
  terminationGracePeriodSeconds: number;
  affinity: Record<string, unknown>;
  topologySpreadConstraints: { topologyKey: string }[];
  automountServiceAccountToken: boolean;
};
export const pod = (sts: RecordedResource) => (sts.inputs.spec as { template: { spec: PodSpec } }).template.spec;
export const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));

/** Every key named `key` anywhere in a value, with its path. */
export function findKeys(value: unknown, key: string, at = ""): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => findKeys(v, key, `${at}[${i}]`));
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => [...(k === key ? [`${at}.${k}`] : []), ...findKeys(v, key, `${at}.${k}`)]);
  }
  return [];
}

export async function deploy(target: "kubernetes" | "openshift", config: Record<string, unknown> = {}, stack = "k8s"): Promise<ProgramRun> {
  process.env.KUBECONFIG = writeKubeconfig();
  return runProgram({ target, ...base, ...config }, stack);
}
