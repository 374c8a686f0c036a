import { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { apiError, kubeconfigFor, KubernetesApi, KubernetesDriver } from "../../../chaos/drivers/kubernetes";

const handle = {
  kind: "kubernetes" as const,
  namespace: "kc",
  statefulSet: "keycloak-kc",
  podLabels: { "app.kubernetes.io/name": "keycloak", "app.kubernetes.io/instance": "keycloak" },
  httpPort: 8080,
  managementPort: 9000,
  server: "https://127.0.0.1:16443",
};

const pod = (name: string, uid: string, ip?: string, isReady = true, deleting = false): V1Pod => ({
  metadata: { name, uid, ...(deleting ? { deletionTimestamp: new Date(0) } : {}) },
  status: { ...(ip ? { podIP: ip } : {}), phase: "Running", conditions: [{ type: "Ready", status: isReady ? "True" : "False" }] },
});

/** A fake API over a map of pods; the StatefulSet's ready count follows the pods. */
function fakeApi(pods: Map<string, V1Pod>) {
  const calls: string[] = [];
  const api: KubernetesApi = {
    listPods: async (ns, selector) => {
      calls.push(`list ${ns} ${selector}`);
      return [...pods.values()];
    },
    readPod: async (_ns, name) => pods.get(name),
    deletePod: async (ns, name, uid, grace) => {
      calls.push(`delete ${ns}/${name} uid=${uid} grace=${grace ?? "default"}`);
      pods.delete(name);
    },
    readStatefulSet: async () => ({
      replicas: 3,
      ready: [...pods.values()].filter((p) => p.status?.conditions?.[0]?.status === "True").length,
    }),
  };
  return { api, calls };
}

describe("the kubernetes driver", () => {
  it("finds the Keycloak pods at run time, in ordinal order, by their current addresses; terminating or addressless pods are not nodes", async () => {
    const pods = new Map([
      ["keycloak-kc-1", pod("keycloak-kc-1", "u1", "10.244.0.7")],
      ["keycloak-kc-0", pod("keycloak-kc-0", "u0", "10.244.0.5")],
      ["keycloak-kc-2", pod("keycloak-kc-2", "u2")],
    ]);
    const { api, calls } = fakeApi(pods);
    const driver = new KubernetesDriver(handle, api);
    expect(await driver.nodes()).toEqual([
      { id: "keycloak-kc-0", nodeName: "keycloak-kc-0", httpUrl: "http://10.244.0.5:8080", managementUrl: "http://10.244.0.5:9000" },
      { id: "keycloak-kc-1", nodeName: "keycloak-kc-1", httpUrl: "http://10.244.0.7:8080", managementUrl: "http://10.244.0.7:9000" },
    ]);
    expect(calls).toEqual(["list kc app.kubernetes.io/name=keycloak,app.kubernetes.io/instance=keycloak"]);
    pods.set("keycloak-kc-1", pod("keycloak-kc-1", "u1", "10.244.0.7", true, true));
    expect((await driver.nodes()).map((n) => n.id)).toEqual(["keycloak-kc-0"]);
  });

  it("deletes exactly the pod it prepared: with its grace period, or at once", async () => {
    const pods = new Map([["keycloak-kc-0", pod("keycloak-kc-0", "u0", "10.244.0.5")]]);
    const { api, calls } = fakeApi(pods);
    const driver = new KubernetesDriver(handle, api);
    const [node] = await driver.nodes();
    await driver.inject(await driver.prepare(node, "delete"));
    pods.set("keycloak-kc-0", pod("keycloak-kc-0", "u0b", "10.244.0.9"));
    await driver.inject(await driver.prepare(node, "force-delete"));
    expect(calls.filter((c) => c.startsWith("delete"))).toEqual([
      "delete kc/keycloak-kc-0 uid=u0 grace=default",
      "delete kc/keycloak-kc-0 uid=u0b grace=0",
    ]);
    await expect(driver.prepare(node, "kill")).rejects.toThrow("the kubernetes driver cannot kill a node (it can: delete, force-delete)");
  });

  it("counts the fault when the pod that held the sessions is gone, even when its replacement already has its name", async () => {
    const pods = new Map([["keycloak-kc-0", pod("keycloak-kc-0", "u0", "10.244.0.5")]]);
    const driver = new KubernetesDriver(handle, fakeApi(pods).api);
    const target = await driver.prepare((await driver.nodes())[0], "delete");
    pods.set("keycloak-kc-0", pod("keycloak-kc-0", "u0", "10.244.0.5", true, true));
    expect(await driver.observe(target)).toEqual({
      happened: false,
      detail: "pod keycloak-kc-0 (uid u0) is terminating since 1970-01-01T00:00:00.000Z",
    });
    pods.set("keycloak-kc-0", pod("keycloak-kc-0", "u9", undefined, false));
    expect(await driver.observe(target)).toEqual({ happened: true, detail: "pod keycloak-kc-0 (uid u0) is gone; its replacement is u9" });
    pods.delete("keycloak-kc-0");
    expect((await driver.observe(target)).happened).toBe(true);
  });

  it("restores by waiting until the replacement is Ready and the StatefulSet whole", async () => {
    const pods = new Map(["0", "1", "2"].map((i) => [`keycloak-kc-${i}`, pod(`keycloak-kc-${i}`, `u${i}`, `10.244.0.${i}`)]));
    let looks = 0;
    const driver = new KubernetesDriver(handle, fakeApi(pods).api, {
      sleep: async () => {
        looks++;
        // The controller recreates the pod; it becomes ready on the third look.
        pods.set("keycloak-kc-1", pod("keycloak-kc-1", "u1b", "10.244.0.8", looks >= 3));
      },
    });
    const target = await driver.prepare((await driver.nodes())[1], "force-delete");
    pods.delete("keycloak-kc-1");
    await driver.restore(target);
    expect(looks).toBe(3);
  });

  it("says what it saw when the replacement does not come", async () => {
    const pods = new Map([["keycloak-kc-0", pod("keycloak-kc-0", "u0", "10.244.0.5")]]);
    const driver = new KubernetesDriver(handle, fakeApi(pods).api, { restoreTimeoutMs: 30, pollMs: 5 });
    const target = await driver.prepare((await driver.nodes())[0], "delete");
    pods.delete("keycloak-kc-0");
    await expect(driver.restore(target)).rejects.toThrow(
      "pod keycloak-kc-0 was not replaced by a Ready pod in time: no replacement yet; StatefulSet 0/3 ready",
    );
  });

  it("turns API errors into a sentence; a 403 names the Role to bind", () => {
    const forbidden = Object.assign(new Error("HTTP-Code: 403"), {
      code: 403,
      body: JSON.stringify({ message: 'pods is forbidden: User "x" cannot list resource "pods"' }),
    });
    expect(apiError(forbidden, "cannot list the pods in kc").message).toBe(
      'cannot list the pods in kc: the API server answered 403: pods is forbidden: User "x" cannot list resource "pods" (bind the stack\'s <name>-chaos Role to this user: kubernetes.chaosUsers)',
    );
  });
});

describe("the runner's kubeconfig", () => {
  const load = (current: string) => (c: KubeConfig) =>
    c.loadFromOptions({
      clusters: [
        { name: "prod", server: "https://prod.example:6443", skipTLSVerify: false },
        { name: "local", server: "https://127.0.0.1:16443", skipTLSVerify: true },
      ],
      users: [{ name: "u" }],
      contexts: [
        { name: "prod", cluster: "prod", user: "u" },
        { name: "local", cluster: "local", user: "u" },
      ],
      currentContext: current,
    });

  it("switches to a context that reaches the stack's API server", () => {
    expect(kubeconfigFor("https://127.0.0.1:16443", load("prod")).getCurrentContext()).toBe("local");
    expect(kubeconfigFor("https://127.0.0.1:16443", load("local")).getCurrentContext()).toBe("local");
  });

  it("refuses when no context reaches it", () => {
    expect(() => kubeconfigFor("https://other:6443", load("prod"))).toThrow(
      "no context of your kubeconfig (KUBECONFIG or ~/.kube/config) reaches https://other:6443, the API server the stack deployed to",
    );
  });
});
