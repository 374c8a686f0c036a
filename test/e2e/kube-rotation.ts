/**
 * A database password rotation on real pods: the role's Job completes, every Keycloak pod is
 * replaced before the up returns (rolling, each started in the cluster and Ready before the
 * next), they form one cluster again on the new password, and sessions opened before it are
 * still good afterwards (refresh through the Service).
 */
import { Stack } from "@pulumi/pulumi/automation";
import * as client from "openid-client";
import { expect } from "vitest";
import { KubernetesDriver } from "../../chaos/drivers/kubernetes";
import { Browser } from "../../chaos/oidc/browser";
import { clientFor } from "../../chaos/oidc/client";
import { openLoginPage, redeemCode, submitCredentials } from "../../chaos/oidc/login";
import { nodeHealth } from "../../chaos/probes/cluster";
import { changes, clusterOutputs, setConfig } from "./harness";
import { kubeConfig, kubeRequest } from "./kube";
import { stepLog } from "./session-watch";

async function podUids(namespace: string): Promise<string[]> {
  const { body } = await kubeRequest(
    kubeConfig(),
    "GET",
    `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent("app.kubernetes.io/component=server")}`,
  );
  return ((body.items ?? []) as { metadata: { uid: string } }[]).map((p) => p.metadata.uid).sort();
}

/** Rotates the stack's database password once and checks what it did; the seconds the up took. */
export async function rotateAndCheck(stack: Stack, users = 3): Promise<number> {
  const outputs = await clusterOutputs(stack);
  const viaService = await clientFor(outputs, outputs.loadBalancerUrl);
  const refreshTokens: string[] = [];
  for (const user of outputs.testUsers.slice(0, users)) {
    const browser = new Browser(outputs.publicUrl, outputs.loadBalancerUrl);
    const login = await openLoginPage(browser, viaService, outputs.redirectUri);
    const tokens = await redeemCode(viaService, login, await submitCredentials(browser, login, user.username, user.password));
    refreshTokens.push(tokens.refresh_token ?? "");
  }
  const before = await podUids(stack.name);

  await setConfig(stack, { "database.passwordRotation": 1 });
  const started = Date.now();
  const log = stepLog();
  const result = await stack.up({ onOutput: () => undefined, onEvent: log.onEvent });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  console.log("password rotation steps:\n  " + log.steps.join("\n  "));
  // The password and the StatefulSet updated, the Job created; the provider replaces a Secret
  // whose data changes (Secrets are immutable to it unless enableSecretMutable).
  expect(changes(result.summary.resourceChanges)).toEqual({ create: 1, replace: 1, update: 2 });
  expect(log.steps).toContain("end replace keycloak-credentials");
  const job = log.steps.indexOf("end create keycloak-db-role");
  const roll = log.steps.indexOf("start update keycloak-kc");
  expect(job, log.steps.join(", ")).toBeGreaterThanOrEqual(0);
  expect(roll).toBeGreaterThan(job);

  const done = await kubeRequest(kubeConfig(), "GET", `/apis/batch/v1/namespaces/${stack.name}/jobs/keycloak-db-password-1`);
  expect((done.body.status as { succeeded?: number }).succeeded).toBe(1);
  // The up itself waited for the roll (the StatefulSet's waitFor): when it returns, every pod
  // is new and Ready, nothing left to wait for.
  const { body } = await kubeRequest(kubeConfig(), "GET", `/apis/apps/v1/namespaces/${stack.name}/statefulsets/keycloak-kc`);
  const status = body.status as { updatedReplicas?: number; readyReplicas?: number };
  const after = await podUids(stack.name);
  expect({ updated: status.updatedReplicas, ready: status.readyReplicas, pods: after.length }).toEqual({ updated: 3, ready: 3, pods: 3 });
  expect(
    after.filter((uid) => before.includes(uid)),
    "pods the up returned before replacing",
  ).toEqual([]);

  if (outputs.driver.kind !== "kubernetes") {
    throw new Error("expected a kubernetes driver handle");
  }
  const nodes = await new KubernetesDriver(outputs.driver).nodes();
  const health = await Promise.all(nodes.map((n) => nodeHealth(n.managementUrl)));
  expect(health.map((h) => [h.ready, h.clusterSize])).toEqual(nodes.map(() => [true, 3]));
  for (const token of refreshTokens) {
    expect((await client.refreshTokenGrant(viaService, token)).access_token).toBeTruthy();
  }
  return seconds;
}
