/**
 * The project's one-node Kubernetes for end-to-end tests (offline/kube/cluster.sh): its
 * kubeconfigs, raw requests to its API server, and the objects a stack renders (under mocks),
 * to dry-run them with strict field validation.
 */
import { execFileSync } from "node:child_process";
import https from "node:https";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { runProgram } from "../program";
import { repoRoot } from "./harness";

const cluster = path.join(repoRoot, "offline/kube/cluster.sh");

/** Starts what is not running yet: the control plane alone, or the whole node. */
export function startCluster(mode: "api-only" | "node"): void {
  execFileSync("bash", [cluster, "start", ...(mode === "api-only" ? ["--api-only"] : [])], { stdio: "inherit" });
}

export function kubeconfigFile(user: "admin" | "chaos-runner" = "admin"): string {
  return execFileSync("bash", [cluster, "kubeconfig", ...(user === "chaos-runner" ? ["--chaos-runner"] : [])], { encoding: "utf8" }).trim();
}

export function kubeConfig(user: "admin" | "chaos-runner" = "admin"): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigFile(user));
  return config;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One request to the API server with the kubeconfig's CA and credentials. */
export async function kubeRequest(
  config: KubeConfig,
  method: string,
  apiPath: string,
  body?: unknown,
  contentType = "application/json",
): Promise<KubeResponse> {
  const server = new URL(config.getCurrentCluster()?.server ?? "");
  const options: https.RequestOptions = {
    method,
    hostname: server.hostname,
    port: server.port,
    path: apiPath,
    headers: { "content-type": contentType, accept: "application/json" },
  };
  await config.applyToHTTPSOptions(options);
  return new Promise((ok, fail) => {
    const request = https.request(options, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => {
        let parsed: Record<string, unknown> = {};
        try {
          parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          parsed = { message: text };
        }
        ok({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    request.on("error", fail);
    if (body !== undefined) {
      request.write(typeof body === "string" ? body : JSON.stringify(body));
    }
    request.end();
  });
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

const Plurals: Readonly<Record<string, string>> = {
  Namespace: "namespaces",
  Secret: "secrets",
  Service: "services",
  StatefulSet: "statefulsets",
  PodDisruptionBudget: "poddisruptionbudgets",
  NetworkPolicy: "networkpolicies",
  Ingress: "ingresses",
  Route: "routes",
  Role: "roles",
  RoleBinding: "rolebindings",
};

/** The REST path of an object. */
export function objectPath(object: KubeObject): string {
  const plural = Plurals[object.kind];
  if (!plural) {
    throw new Error(`no REST path known for kind ${object.kind}`);
  }
  const group = object.apiVersion.includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const scope = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : "";
  return `${group}${scope}/${plural}/${object.metadata.name}`;
}

/** Server-side apply as a dry run, refusing unknown fields: what the API server says of the object. */
export function strictDryRun(config: KubeConfig, object: KubeObject): Promise<KubeResponse> {
  return kubeRequest(
    config,
    "PATCH",
    `${objectPath(object)}?dryRun=All&fieldValidation=Strict&fieldManager=e2e-strict-check&force=true`,
    object,
    "application/apply-patch+yaml",
  );
}

/** The Kubernetes objects a stack's program registers, rendered under mocks (no engine, no cluster). */
export async function renderObjects(config: Record<string, unknown>, stack: string): Promise<KubeObject[]> {
  const { recorder } = await runProgram(config, stack);
  return recorder.resources
    .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:index"))
    .map((r) => r.inputs as unknown as KubeObject);
}

/**
 * Writes the log of every container of every pod in the namespace (and of its previous instance,
 * after a restart) to dir/<pod>.<container>.log: what a failed case's post-mortem reads (Keycloak
 * logs its LOGIN_ERROR events, with the reason, at WARN). Returns the files written.
 */
export async function savePodLogs(config: KubeConfig, namespace: string, dir: string): Promise<string[]> {
  const list = await kubeRequest(config, "GET", `/api/v1/namespaces/${namespace}/pods`);
  const pods = (list.body.items ?? []) as { metadata: { name: string }; spec: { containers: { name: string }[] } }[];
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const pod of pods) {
    for (const container of pod.spec.containers) {
      for (const previous of [false, true]) {
        const base = `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/log?container=${container.name}`;
        const response = await kubeRequest(config, "GET", previous ? `${base}&previous=true` : base);
        if (response.status !== 200) {
          continue;
        }
        const file = path.join(dir, `${pod.metadata.name}.${container.name}${previous ? ".previous" : ""}.log`);
        const text = response.body.message;
        writeFileSync(file, typeof text === "string" ? text : JSON.stringify(response.body));
        written.push(file);
      }
    }
  }
  return written;
}

/** Loads local Docker images into the node's containerd (pods run them with imagePullPolicy Never). */
export function loadImages(...images: string[]): void {
  execFileSync("bash", [cluster, "load-images", ...images], { stdio: "inherit" });
}

const NodeProcesses = new Set(["etcd", "kube-apiserver", "kube-controller", "kube-scheduler", "kubelet", "kube-proxy", "coredns"]);

/** Resident memory of the whole one-node cluster: its daemons, containerd and every pod's processes, in MiB. */
export function nodeMemoryMiB(): number {
  let kib = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const ours =
        NodeProcesses.has(comm) ||
        cgroup.includes("/k8s.io") ||
        (comm.startsWith("containerd") && cmdline.includes("keycloak-cluster/kube"));
      if (ours) {
        kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return Math.round(kib / 1024);
}

/** Wipes the local volumes whose claims are gone and offers them again (the cluster has no provisioner). */
export function reclaimVolumes(): void {
  execFileSync("bash", [cluster, "reclaim"], { stdio: "inherit" });
}
