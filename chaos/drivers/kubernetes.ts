/**
 * Breaks Keycloak pods through the Kubernetes API (@kubernetes/client-node), on the API server
 * the stack deployed to, with the credentials of the runner's own kubeconfig. A deleted pod is
 * replaced by its StatefulSet at once: the fault counts when the pod that held the sessions (its
 * uid) is gone; the restore waits until the replacement is Ready and the StatefulSet is whole.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, V1Pod } from "@kubernetes/client-node";
import { DriverHandle } from "../../components/shared/outputs";
import { FaultKind } from "../events";
import { pollUntil } from "../poll";
import { DriverError, FaultTarget, LiveNode, NodeDriver, Observation } from "./driver";

type KubernetesHandle = Extract<DriverHandle, { kind: "kubernetes" }>;

/** The part of the Kubernetes API this driver uses (tests give a fake for timing, the real one for requests). */
export interface KubernetesApi {
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  /** Undefined when there is no such pod. */
  readPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  /** Deletes exactly the pod with this uid (a precondition), with the given grace period (default: the pod's own). */
  deletePod(namespace: string, name: string, uid: string, gracePeriodSeconds?: number): Promise<void>;
  /** Replicas wanted and ready. */
  readStatefulSet(namespace: string, name: string): Promise<{ replicas: number; ready: number }>;
}

/** What the Kubernetes API answered, in a sentence; a 403 names the Role the runner needs. */
export function apiError(error: unknown, what: string): DriverError {
  const code = (error as { code?: unknown }).code;
  const body = (error as { body?: unknown }).body;
  let message = error instanceof Error ? error.message : String(error);
  if (typeof body === "string") {
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      message = body || message;
    }
  } else if (body && typeof body === "object" && typeof (body as { message?: unknown }).message === "string") {
    message = (body as { message: string }).message;
  }
  const hint = code === 403 ? " (bind the stack's <name>-chaos Role to this user: kubernetes.chaosUsers)" : "";
  return new DriverError(`${what}: the API server answered ${typeof code === "number" ? code : "an error"}: ${message}${hint}`);
}

/** The real API, from a kubeconfig. */
export function clientApi(config: KubeConfig): KubernetesApi {
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  return {
    async listPods(namespace, labelSelector) {
      try {
        return (await core.listNamespacedPod({ namespace, labelSelector })).items;
      } catch (error) {
        throw apiError(error, `cannot list the pods in ${namespace}`);
      }
    },
    async readPod(namespace, name) {
      try {
        return await core.readNamespacedPod({ namespace, name });
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) {
          return undefined;
        }
        throw apiError(error, `cannot read pod ${namespace}/${name}`);
      }
    },
    async deletePod(namespace, name, uid, gracePeriodSeconds) {
      try {
        await core.deleteNamespacedPod({
          namespace,
          name,
          ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
          body: { preconditions: { uid }, ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}) },
        });
      } catch (error) {
        throw apiError(error, `cannot delete pod ${namespace}/${name}`);
      }
    },
    async readStatefulSet(namespace, name) {
      try {
        const sts = await apps.readNamespacedStatefulSet({ namespace, name });
        return { replicas: sts.spec?.replicas ?? 0, ready: sts.status?.readyReplicas ?? 0 };
      } catch (error) {
        throw apiError(error, `cannot read StatefulSet ${namespace}/${name}`);
      }
    },
  };
}

/**
 * The runner's kubeconfig (KUBECONFIG or ~/.kube/config), on a context that reaches `server`: the
 * current one when it does, else the first that does.
 */
export function kubeconfigFor(server: string, load: (config: KubeConfig) => void = (c) => c.loadFromDefault()): KubeConfig {
  const config = new KubeConfig();
  load(config);
  const reaches = (context: string) => config.getCluster(config.getContextObject(context)?.cluster ?? "")?.server === server;
  const current = config.getCurrentContext();
  if (!current || !reaches(current)) {
    const other = config.getContexts().find((c) => reaches(c.name));
    if (!other) {
      throw new DriverError(
        `no context of your kubeconfig (KUBECONFIG or ~/.kube/config) reaches ${server}, the API server the stack deployed to`,
      );
    }
    config.setCurrentContext(other.name);
  }
  return config;
}

function ready(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** Pod ordinal for ordering: keycloak-kc-2 → 2. */
function ordinal(name: string): number {
  return Number(/-(\d+)$/.exec(name)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

export interface KubernetesDriverOptions {
  /** How often restore looks at the replacement. */
  readonly pollMs?: number;
  /** How long restore waits for it at most. */
  readonly restoreTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class KubernetesDriver implements NodeDriver {
  readonly kind = "kubernetes";
  readonly faults = [FaultKind.Delete, FaultKind.ForceDelete] as const;
  private readonly selector: string;

  constructor(
    private readonly handle: KubernetesHandle,
    private readonly api: KubernetesApi = clientApi(kubeconfigFor(handle.server)),
    private readonly options: KubernetesDriverOptions = {},
  ) {
    this.selector = Object.entries(handle.podLabels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
  }

  /** The Keycloak pods that run and have an address, in ordinal order; a replaced pod has its new address. */
  async nodes(): Promise<LiveNode[]> {
    const pods = await this.api.listPods(this.handle.namespace, this.selector);
    return pods
      .filter((p) => p.metadata?.name && p.status?.podIP && !p.metadata.deletionTimestamp)
      .sort((a, b) => ordinal(a.metadata?.name ?? "") - ordinal(b.metadata?.name ?? ""))
      .map((p) => {
        const name = p.metadata?.name ?? "";
        const ip = p.status?.podIP ?? "";
        return {
          id: name,
          nodeName: name,
          httpUrl: `http://${ip}:${this.handle.httpPort}`,
          managementUrl: `http://${ip}:${this.handle.managementPort}`,
        };
      });
  }

  async prepare(node: LiveNode, fault: FaultKind): Promise<FaultTarget> {
    if (!(this.faults as readonly FaultKind[]).includes(fault)) {
      throw new DriverError(`the kubernetes driver cannot ${fault} a node (it can: ${this.faults.join(", ")})`);
    }
    const pod = await this.api.readPod(this.handle.namespace, node.id);
    const uid = pod?.metadata?.uid;
    if (!uid) {
      throw new DriverError(`pod ${this.handle.namespace}/${node.id} is gone already`);
    }
    return { node: node.id, fault, ref: { namespace: this.handle.namespace, pod: node.id, uid } };
  }

  async inject(target: FaultTarget): Promise<void> {
    const grace = target.fault === FaultKind.ForceDelete ? 0 : undefined;
    await this.api.deletePod(target.ref.namespace, target.ref.pod, target.ref.uid, grace);
  }

  async observe(target: FaultTarget): Promise<Observation> {
    const pod = await this.api.readPod(target.ref.namespace, target.ref.pod);
    const uid = pod?.metadata?.uid;
    if (uid === undefined) {
      return { happened: true, detail: `pod ${target.ref.pod} (uid ${target.ref.uid}) is gone` };
    }
    if (uid !== target.ref.uid) {
      return { happened: true, detail: `pod ${target.ref.pod} (uid ${target.ref.uid}) is gone; its replacement is ${uid}` };
    }
    const terminating = pod?.metadata?.deletionTimestamp
      ? `terminating since ${new Date(pod.metadata.deletionTimestamp).toISOString()}`
      : `still ${pod?.status?.phase ?? "there"}`;
    return { happened: false, detail: `pod ${target.ref.pod} (uid ${uid}) is ${terminating}` };
  }

  /** Nothing to undo: waits until the StatefulSet's replacement is Ready and every replica is. */
  async restore(target: FaultTarget): Promise<void> {
    const last = await pollUntil(
      async () => {
        const pod = await this.api.readPod(target.ref.namespace, target.ref.pod);
        const sts = await this.api.readStatefulSet(this.handle.namespace, this.handle.statefulSet);
        const replaced = pod?.metadata?.uid !== undefined && pod.metadata.uid !== target.ref.uid;
        if (replaced && pod && ready(pod) && sts.ready === sts.replicas) {
          return { done: true };
        }
        const replacement = replaced
          ? `replacement ${pod?.metadata?.uid} ${pod && ready(pod) ? "ready" : "not ready"}`
          : "no replacement yet";
        return { done: false, seen: `${replacement}; StatefulSet ${sts.ready}/${sts.replicas} ready` };
      },
      { timeoutMs: this.options.restoreTimeoutMs ?? 600_000, intervalMs: this.options.pollMs ?? 1000, sleep: this.options.sleep },
    );
    if (!last.done) {
      throw new DriverError(`pod ${target.ref.pod} was not replaced by a Ready pod in time: ${last.seen}`);
    }
  }
}
