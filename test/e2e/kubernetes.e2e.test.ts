/**
 * The kubernetes and openshift stacks through the real Pulumi engine and the REAL kubernetes
 * provider plugin (4.25.0, built from Go modules, from the project's plugin cache) onto a real
 * API server on 127.0.0.1 (offline/kube/cluster.sh).
 *
 * First the API server only (no node: pods cannot run, so the stacks set the provider's skipAwait): every
 * object is accepted under strict field validation, a second up changes nothing, destroy removes
 * everything, a broken object and a broken stack are refused with the server's message, the
 * provider's kubeconfig is a secret in the state, and the chaos driver works against the server
 * with exactly the Role the stack ships.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientApi, KubernetesDriver } from "../../chaos/drivers/kubernetes";
import { ChaosEvent } from "../../chaos/events";
import { nodeHealth } from "../../chaos/probes/cluster";
import { KeycloakVersion } from "../../components/keycloak/version";
import { localKeycloakImage } from "../../offline/local-image";
import { rotateAndCheck } from "./kube-rotation";
import {
  changes,
  chaos,
  checkFailures,
  clusterOutputs,
  eventually,
  reportsDir,
  repoRoot,
  selectStack,
  StackConfig,
  TunedFailover,
} from "./harness";
import {
  KubeObject,
  kubeConfig,
  kubeconfigFile,
  kubeRequest,
  loadImages,
  nodeMemoryMiB,
  reclaimVolumes,
  savePodLogs,
  objectPath,
  renderObjects,
  startCluster,
  strictDryRun,
} from "./kube";

const images: StackConfig = {
  "keycloak.image": localKeycloakImage(KeycloakVersion.pinned.toString(), "persistent"),
  "keycloak.optimizedImage": true,
};

function stackConfig(target: "kubernetes" | "openshift", namespace: string): StackConfig {
  return {
    target,
    ...images,
    "keycloak.nodes": 3,
    "keycloak.hostname": `https://${namespace}.sso.test`,
    "realm.testUsers": 3,
    [`${target}.kubeconfig`]: kubeconfigFile(),
    [`${target}.namespace`]: namespace,
    [`${target}.databaseImage`]: "keycloak-cluster/postgres:15",
    [`${target}.imagePullPolicy`]: "Never",
    [`${target}.managementFrom[0]`]: "10.244.0.1/32",
    [`${target}.chaosUsers[0]`]: "chaos-runner",
    // No node here: pods cannot run, so nothing would ever be ready.
    [`${target}.skipAwait`]: true,
    ...(target === "kubernetes"
      ? { "kubernetes.ingressClassName": "nginx", "kubernetes.tlsSecret": "sso-tls" }
      : { "openshift.routeTermination": "edge" }),
  };
}

/** The same settings as the program reads them (objects, not paths), for rendering under mocks. */
function programConfig(target: "kubernetes" | "openshift", namespace: string): Record<string, unknown> {
  const nested: Record<string, Record<string, unknown>> = {};
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stackConfig(target, namespace))) {
    const match = /^([^.]+)\.([^[]+)(\[0\])?$/.exec(key);
    if (!match) {
      top[key] = value;
      continue;
    }
    nested[match[1]] ??= {};
    nested[match[1]][match[2]] = match[3] ? [value] : value;
  }
  return { ...top, ...nested };
}

const deployed: Stack[] = [];
const timings: Record<string, number> = {};
async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    timings[name] = Math.round((Date.now() - started) / 100) / 10;
  }
}

beforeAll(() => {
  startCluster("api-only");
  process.env.KUBECONFIG = kubeconfigFile();
});

afterAll(async () => {
  for (const stack of deployed) {
    await stack.destroy({ onOutput: () => undefined }).catch((e: unknown) => console.error("cleanup destroy failed", e));
  }
  console.log("kubernetes e2e timings (s):", JSON.stringify(timings));
});

describe.each(["kubernetes", "openshift"] as const)("the %s stack on a real API server (no node)", (target) => {
  const namespace = `e2e-${target === "kubernetes" ? "k8s" : "ocp"}`;
  let stack: Stack;
  let output = "";

  beforeAll(async () => {
    stack = await selectStack(namespace, stackConfig(target, namespace));
    deployed.push(stack);
    const result = await timed(`${target}: first up`, () => stack.up({ onOutput: (line) => void (output += line) }));
    expect(result.summary.result).toBe("succeeded");
  });

  it("ran the real provider from the project's plugin cache, not from PATH", async () => {
    expect(output).not.toContain("pulumi-resource-kubernetes from $PATH");
    const plugins = await stack.workspace.listPlugins();
    expect(plugins.map((p) => `${p.name}@${p.version ?? ""}`)).toContain("kubernetes@4.25.0");
  });

  it("every object is accepted by the API server under strict field validation", async () => {
    const objects = await renderObjects(programConfig(target, namespace), `${namespace}-render`);
    expect(objects.length).toBeGreaterThan(10);
    const config = kubeConfig();
    const answers = await Promise.all(
      objects.map(async (o) => ({ object: `${o.kind}/${o.metadata.name}`, ...(await strictDryRun(config, o)) })),
    );
    expect(answers.filter((a) => a.status >= 300).map((a) => `${a.object}: ${a.status} ${String(a.body.message)}`)).toEqual([]);
    const kinds = new Set(objects.map((o) => o.kind));
    expect(kinds.has(target === "openshift" ? "Route" : "Ingress")).toBe(true);
  });

  it("a broken object is refused with the server's message", async () => {
    const objects = await renderObjects(programConfig(target, namespace), `${namespace}-render`);
    const sts = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name.endsWith("-kc"));
    const spec = structuredClone(sts?.spec) as { template: { spec: { containers: Record<string, unknown>[] } } };
    spec.template.spec.containers[0].bogusField = true;
    const broken = { ...(sts as KubeObject), metadata: { ...(sts as KubeObject).metadata, name: "broken" }, spec } as KubeObject;
    // A create (under a new name) answers with the strict decoder's message; an apply refuses it too.
    const created = await kubeRequest(
      kubeConfig(),
      "POST",
      `${objectPath(broken).replace(/\/broken$/, "")}?dryRun=All&fieldValidation=Strict`,
      broken,
    );
    expect(created.status).toBe(400);
    expect(String(created.body.message)).toContain('strict decoding error: unknown field "spec.template.spec.containers[0].bogusField"');
    const answer = await strictDryRun(kubeConfig(), broken);
    expect(answer.status).toBe(500);
    expect(String(answer.body.message)).toContain(".bogusField: field not declared in schema");
  });

  it("keeps the provider's kubeconfig a secret in the state", async () => {
    // The state file itself, as the backend stores it (the Automation API's export decrypts).
    const state = readFileSync(path.join(repoRoot, ".pulumi/state/.pulumi/stacks/keycloak-cluster", `${namespace}.json`), "utf8");
    const token = /token: (\S+)/.exec(readFileSync(kubeconfigFile(), "utf8"))?.[1] ?? "no-token";
    expect(state).toContain("pulumi:providers:kubernetes");
    expect(state).not.toContain(token);
    const provider = (
      JSON.parse(state) as { checkpoint: { latest: { resources: { type: string; inputs: { kubeconfig: unknown } }[] } } }
    ).checkpoint.latest.resources.find((r) => r.type === "pulumi:providers:kubernetes");
    const kubeconfig = provider?.inputs.kubeconfig as Record<string, unknown>;
    expect(kubeconfig["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
    expect(typeof kubeconfig.ciphertext).toBe("string");
  });

  it("a second up changes nothing", async () => {
    const result = await timed(`${target}: second up`, () => stack.up({ onOutput: () => undefined }));
    expect(changes(result.summary.resourceChanges)).toEqual({});
  });

  if (target === "kubernetes") {
    it("the chaos driver, as the user bound to the stack's Role, finds, deletes and sees the pods go", async () => {
      const outputs = await clusterOutputs(stack);
      if (outputs.driver.kind !== "kubernetes") {
        throw new Error("expected a kubernetes driver handle");
      }
      const api = clientApi(kubeConfig("chaos-runner"));
      const selector = Object.entries(outputs.driver.podLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      // The StatefulSet controller creates the first pod (OrderedReady: one until it is ready); no node schedules it.
      await eventually("the first Keycloak pod", async () => (await api.listPods(namespace, selector)).length > 0, 60_000, 1000);
      const [pod] = await api.listPods(namespace, selector);
      const name = pod.metadata?.name ?? "";
      await expect(api.deletePod(namespace, name, "not-its-uid")).rejects.toThrow(
        /^cannot delete pod e2e-k8s\/keycloak-kc-0: the API server answered 409: .*the UID in the precondition \(not-its-uid\) does not match/,
      );
      const driver = new KubernetesDriver(outputs.driver, api);
      const target = { node: name, fault: "force-delete" as const, ref: { namespace, pod: name, uid: pod.metadata?.uid ?? "" } };
      await driver.inject(target);
      await eventually("the pod gone or replaced", async () => (await driver.observe(target)).happened, 30_000, 500);
      await expect(api.listPods("default", selector)).rejects.toThrow(
        'cannot list the pods in default: the API server answered 403: pods is forbidden: User "chaos-runner" cannot list resource "pods" in API group "" in the namespace "default"',
      );
      expect(await api.readStatefulSet(namespace, outputs.driver.statefulSet)).toMatchObject({ replicas: 3 });
    });
  }

  it("destroy removes everything, the namespace included", async () => {
    const result = await timed(`${target}: destroy`, () => stack.destroy({ onOutput: () => undefined }));
    expect(result.summary.result).toBe("succeeded");
    deployed.splice(deployed.indexOf(stack), 1);
    expect(((await stack.exportStack()).deployment as { resources?: unknown[] }).resources ?? []).toEqual([]);
    await eventually(
      `namespace ${namespace} gone`,
      async () => (await kubeRequest(kubeConfig(), "GET", `/api/v1/namespaces/${namespace}`)).status === 404,
      60_000,
      1000,
    );
  });
});

describe("a stack the API server refuses", () => {
  it("names the server's reason", async () => {
    const stack = await selectStack("e2e-k8s-missing", {
      ...stackConfig("kubernetes", "e2e-missing"),
      "kubernetes.createNamespace": false,
    });
    deployed.push(stack);
    const error = await stack.up({ onOutput: () => undefined }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).toContain('namespaces "e2e-missing" not found');
  });
});

/**
 * Real pods (the whole node: scheduler, kubelet, containerd, kube-proxy, CoreDNS): `pulumi up`
 * waits with the provider's own readiness logic until PostgreSQL and 3 Keycloak pods are Ready;
 * every pod reports a cluster of 3; the chaos command deletes pods. These cases carry the
 * volatile-session claims for the whole suite (the Docker suite keeps persistent and local-cache).
 */
describe("real pods on the one-node cluster", () => {
  const port = 30180;
  const podsConfig = (namespace: string, mode: "persistent" | "volatile"): StackConfig => ({
    target: "kubernetes",
    "keycloak.image": localKeycloakImage(KeycloakVersion.pinned.toString(), mode),
    "keycloak.optimizedImage": true,
    "keycloak.sessionMode": mode,
    "keycloak.nodes": 3,
    "keycloak.hostname": `http://127.0.0.1:${port}`,
    "keycloak.resources.requests.cpus": 0.25,
    "keycloak.resources.requests.memoryMb": 768,
    "keycloak.resources.limits.cpus": 2,
    "keycloak.resources.limits.memoryMb": 1536,
    "database.resources.requests.cpus": 0.1,
    "database.resources.requests.memoryMb": 256,
    "database.resources.limits.cpus": 1,
    "database.resources.limits.memoryMb": 512,
    "realm.testUsers": 6,
    // Set, not left to its default: the rotation case raises it, and an interrupted run leaves it in the stack file.
    "database.passwordRotation": 0,
    "kubernetes.kubeconfig": kubeconfigFile(),
    "kubernetes.namespace": namespace,
    "kubernetes.databaseImage": "keycloak-cluster/postgres:15",
    "kubernetes.imagePullPolicy": "Never",
    "kubernetes.serviceType": "NodePort",
    "kubernetes.nodePort": port,
    "kubernetes.ingress": false,
    "kubernetes.storageClass": "kc-local",
    "kubernetes.managementFrom[0]": "10.244.0.1/32",
  });

  async function deployPods(namespace: string, mode: "persistent" | "volatile", extra: StackConfig): Promise<Stack> {
    const stack = await selectStack(namespace, { ...podsConfig(namespace, mode), ...extra });
    deployed.push(stack);
    const result = await timed(`pods ${mode}: up to all pods Ready`, () => stack.up({ onOutput: () => undefined }));
    expect(result.summary.result).toBe("succeeded");
    return stack;
  }

  async function destroyPods(stack: Stack): Promise<void> {
    await timed(`pods: destroy`, () => stack.destroy({ onOutput: () => undefined }));
    deployed.splice(deployed.indexOf(stack), 1);
    await eventually(
      `namespace ${stack.name} gone`,
      async () => (await kubeRequest(kubeConfig(), "GET", `/api/v1/namespaces/${stack.name}`)).status === 404,
      120_000,
      1000,
    );
    reclaimVolumes();
  }

  /** Runs a case on a deployed stack, then saves its pods' logs (reports/e2e/<case>/pods) and destroys it, pass or fail. */
  async function withPods(
    namespace: string,
    mode: "persistent" | "volatile",
    extra: StackConfig,
    body: (stack: Stack) => Promise<void>,
  ): Promise<void> {
    const stack = await deployPods(namespace, mode, extra);
    try {
      await body(stack);
    } finally {
      const logs = await savePodLogs(kubeConfig(), namespace, path.join(reportsDir(namespace), "pods")).catch((e: unknown) => {
        console.error(`saving the pods' logs of ${namespace} failed`, e);
        return [];
      });
      console.log(`${namespace}: ${logs.length} pod log(s) in ${path.join(reportsDir(namespace), "pods")}`);
      await destroyPods(stack);
    }
  }

  /** Seconds from each round's restore to the pod back Ready (the driver's restore waits for it). */
  function restoreSeconds(events: ChaosEvent[]): number[] {
    const begun = new Map<string, number>();
    const seconds: number[] = [];
    for (const e of events) {
      if (e.type === "fault" && e.action === "restore") {
        begun.set(`${e.round}/${e.node}`, Date.parse(e.at));
      } else if (e.type === "fault" && e.action === "restored" && e.ok) {
        seconds.push(Math.round((Date.parse(e.at) - (begun.get(`${e.round}/${e.node}`) ?? Date.parse(e.at))) / 100) / 10);
      }
    }
    return seconds;
  }

  beforeAll(() => {
    const started = Date.now();
    startCluster("node");
    timings["one-node cluster: add the node"] = Math.round((Date.now() - started) / 100) / 10;
    loadImages(
      localKeycloakImage(KeycloakVersion.pinned.toString(), "persistent"),
      localKeycloakImage(KeycloakVersion.pinned.toString(), "volatile"),
      "keycloak-cluster/postgres:15",
    );
  });

  it("persistent sessions on the tuned failover (as the dev stack): up waits for every pod Ready, one cluster of 3; deleted pods lose no session; a password rotation rolls them onto the new one", () =>
    withPods("e2e-pods-p", "persistent", TunedFailover, async (stack) => {
      const outputs = await clusterOutputs(stack);
      if (outputs.driver.kind !== "kubernetes") {
        throw new Error("expected a kubernetes driver handle");
      }
      const nodes = await new KubernetesDriver(outputs.driver).nodes();
      expect(nodes.map((n) => n.id)).toEqual(["keycloak-kc-0", "keycloak-kc-1", "keycloak-kc-2"]);
      expect(nodes.every((n) => n.httpUrl.startsWith("http://10.244.0."))).toBe(true);
      const health = await Promise.all(nodes.map((n) => nodeHealth(n.managementUrl)));
      expect(health.map((h) => [h.ready, h.clusterSize])).toEqual([
        [true, 3],
        [true, 3],
        [true, 3],
      ]);
      console.log(`memory of the whole node with 3 Keycloak pods and PostgreSQL: ${nodeMemoryMiB()} MiB`);
      const run = await chaos(
        ["--stack", stack.name, "--rounds", "2", "--seed", "21", "--sessions", "24", "--fault", "delete"],
        reportsDir("k8s-persistent"),
      );
      expect(run.code).toBe(0);
      expect(run.journal.events.find((e) => e.type === "run-end")).toMatchObject({ verdict: "passed", lost: [] });
      expect(run.journal.events.find((e) => e.type === "run-start")).toMatchObject({
        config: { failoverSettings: { cacheStack: "jdbc-ping-fast-fd", clusterTls: false, safeRetryAfterSeconds: null } },
      });
      expect(run.journal.events.filter((e) => e.type === "fault" && e.action === "verified" && e.ok)).toHaveLength(2);
      console.log(`a deleted pod back to Ready (s): ${restoreSeconds(run.journal.events).join(", ")}`);
      // Day 2 on the same pods: a database password rotation (the Job, then the rolling pods).
      timings["pods persistent: password rotation"] = await rotateAndCheck(stack);
    }));

  it("volatile sessions: one pod force-deleted per round loses nothing; two of three at once lose sessions, and the run names them", () =>
    withPods("e2e-pods-v", "volatile", {}, async (stack) => {
      const one = await chaos(
        ["--stack", stack.name, "--rounds", "2", "--seed", "5", "--sessions", "24", "--fault", "force-delete"],
        reportsDir("k8s-volatile"),
      );
      // Nothing lost, and nothing failed but blips while the fault held (see checkFailures): the run's
      // own verdict fails on those, as it should; this case's claim is that no session is lost.
      expect(one.journal.events.find((e) => e.type === "run-end")).toMatchObject({ lost: [] });
      const { blips, other } = checkFailures(one.journal.events);
      expect(other).toEqual([]);
      expect(one.code).toBe(blips.length ? 1 : 0);
      console.log(
        `a force-deleted pod back to Ready (s): ${restoreSeconds(one.journal.events).join(", ")}; blips: ${blips.length ? blips.join("; ") : "none"}`,
      );

      const refused = await chaos(
        ["--stack", stack.name, "--rounds", "1", "--nodes-per-fault", "2", "--fault", "force-delete"],
        reportsDir("k8s-refused"),
      );
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("Add --allow-loss to run it anyway");

      const two = await chaos(
        [
          "--stack",
          stack.name,
          "--rounds",
          "1",
          "--seed",
          "3",
          "--sessions",
          "24",
          "--fault",
          "force-delete",
          "--nodes-per-fault",
          "2",
          "--allow-loss",
        ],
        reportsDir("k8s-two"),
      );
      expect(two.code).toBe(1);
      const end = two.journal.events.find((e) => e.type === "run-end");
      expect(end?.type === "run-end" ? end.lost.length : 0).toBeGreaterThan(0);
      expect(two.stdout).toMatch(/session\(s\) lost: s\d+:user-\d+@keycloak-kc-\d/);
    }));
});
