import { beforeAll, describe, expect, it } from "vitest";
import { OutputNames, SecretOutputs } from "../../../components/shared/outputs";
import { ResourceRecorder, resolve } from "../../mocks";
import { ProgramRun, runProgram } from "../../program";
import { TestToken, writeKubeconfig } from "../../kubeconfig";
import { rolePasswordCommand } from "../../../components/shared/role-password";
import { rolloutTimeout } from "../../../components/kubernetes/objects";
import type { ClusterSpec } from "../../../components/keycloak/model";
import { base, Container, deploy, envOf, findKeys, pod, PodSpec, Policy, Secret, Service, StatefulSet } from "./harness";

const Job = "kubernetes:batch/v1:Job";

describe("the kubernetes stack under mocks", () => {
  let run: ProgramRun;
  let recorder: ResourceRecorder;
  beforeAll(async () => {
    run = await deploy("kubernetes", { kubernetes: { ingressClassName: "nginx", tlsSecret: "sso-tls", managementFrom: ["10.0.0.0/24"] } });
    recorder = run.recorder;
  });

  it("registers the namespace, Secrets, PostgreSQL, Keycloak, its Services, the budget, policies, the Ingress and the chaos Role", () => {
    const kinds = recorder.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .map((r) => `${r.type.split(":")[1]}/${r.type.split(":")[2]}`);
    expect(kinds.sort()).toEqual(
      [
        "apps/v1/StatefulSet",
        "apps/v1/StatefulSet",
        "core/v1/Namespace",
        "core/v1/Secret",
        "core/v1/Secret",
        "core/v1/Service",
        "core/v1/Service",
        "core/v1/Service",
        "networking.k8s.io/v1/Ingress",
        "networking.k8s.io/v1/NetworkPolicy",
        "networking.k8s.io/v1/NetworkPolicy",
        "networking.k8s.io/v1/NetworkPolicy",
        "networking.k8s.io/v1/NetworkPolicy",
        "policy/v1/PodDisruptionBudget",
        "rbac.authorization.k8s.io/v1/Role",
      ].sort(),
    );
    expect(recorder.ofType("kubernetes:route.openshift.io/v1:Route")).toEqual([]);
  });

  it("hands every object the stack's provider, whose kubeconfig is a secret", () => {
    const [provider] = recorder.ofType("pulumi:providers:kubernetes");
    expect(provider.secretInputs).toContain("kubeconfig");
    expect(String(provider.inputs.kubeconfig)).toContain(TestToken);
    // Provider inputs reach the engine as strings.
    expect(provider.inputs.enableServerSideApply).toBe("true");
    for (const r of recorder.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      expect(r.provider?.startsWith(`${provider.urn}::`), r.name).toBe(true);
    }
  });

  it("runs Keycloak as a StatefulSet of N, one pod at a time, probed on the management port", () => {
    const sts = recorder.typed(StatefulSet, "keycloak-kc");
    expect(sts.inputs.spec).toMatchObject({ replicas: 3, serviceName: "keycloak-kc-headless", podManagementPolicy: "OrderedReady" });
    const [c] = pod(sts).containers;
    expect(c.ports).toEqual(
      expect.arrayContaining([
        { name: "management", containerPort: 9000, protocol: "TCP" },
        { name: "http", containerPort: 8080, protocol: "TCP" },
      ]),
    );
    expect([c.readinessProbe.httpGet, c.livenessProbe.httpGet]).toEqual([
      { path: "/health/ready", port: "management", scheme: "HTTP" },
      { path: "/health/live", port: "management", scheme: "HTTP" },
    ]);
    // The cluster gate: started, and in one cluster with every ready peer, asked by pod name.
    const [shell, flag, , name, clustered, self, ...peers] = c.startupProbe.exec.command;
    expect([shell, flag, name, clustered, self]).toEqual(["bash", "-c", "cluster-startup", "1", "127.0.0.1:9000"]);
    // Every pod the stack may have (kubernetes.maxNodes, 9), not only the current 3.
    expect(peers).toEqual(
      Array.from({ length: 9 }, (_, i) => `keycloak-kc-${i}=keycloak-kc-${i}.keycloak-kc-headless.keycloak.svc.cluster.local:9000`),
    );
    expect(c.startupProbe).toMatchObject({ periodSeconds: 5, failureThreshold: 120, timeoutSeconds: 23 });
    // The up waits for the roll itself: every pod on the new spec and Ready.
    expect((sts.inputs.metadata as { annotations?: Record<string, string> }).annotations).toEqual({
      "pulumi.com/waitFor": '["jsonpath={.status.updatedReplicas}=3","jsonpath={.status.readyReplicas}=3"]',
    });
    // A frozen pod leaves the Service after two failed 1 s checks, as a node leaves HAProxy.
    expect(c.readinessProbe).toMatchObject({ periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 1 });
    expect(c.resources).toEqual({
      requests: { cpu: "500m", memory: "1024Mi", "ephemeral-storage": "256Mi" },
      limits: { cpu: "2000m", memory: "1536Mi", "ephemeral-storage": "1Gi" },
    });
  });

  it("lets the load balancer drain a stopping pod first", () => {
    const spec = pod(recorder.typed(StatefulSet, "keycloak-kc"));
    expect(spec.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 10 } } });
    expect(spec.terminationGracePeriodSeconds).toBe(60);
  });

  it("spreads the pods over hosts and zones", () => {
    const spec = pod(recorder.typed(StatefulSet, "keycloak-kc"));
    expect(spec.topologySpreadConstraints.map((t) => t.topologyKey)).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    expect(JSON.stringify(spec.affinity)).toContain('"topologyKey":"kubernetes.io/hostname"');
  });

  it("runs unprivileged: non-root user 1000, no escalation, no capabilities, RuntimeDefault seccomp, a read-only root", () => {
    const spec = pod(recorder.typed(StatefulSet, "keycloak-kc"));
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
    });
    expect(spec.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      privileged: false,
    });
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(pod(recorder.typed(StatefulSet, "keycloak-db")).securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
  });

  it("names each node after its pod and binds the transport to the pod's address (downward API); passwords come from the Secret", () => {
    const env = envOf(pod(recorder.typed(StatefulSet, "keycloak-kc")).containers[0]);
    expect(env).toMatchObject({
      KC_SPI_CACHE_EMBEDDED__DEFAULT__NODE_NAME: { fieldRef: { fieldPath: "metadata.name" } },
      KC_CACHE_EMBEDDED_NETWORK_BIND_ADDRESS: { fieldRef: { fieldPath: "status.podIP" } },
      KC_CACHE_STACK: "jdbc-ping",
      KC_DB_URL: "jdbc:postgresql://keycloak-db.keycloak.svc.cluster.local:5432/keycloak",
      KC_HOSTNAME: "https://sso.example.test",
      KC_DB_PASSWORD: { secretKeyRef: { name: "keycloak-credentials", key: "db-password" } },
      KC_BOOTSTRAP_ADMIN_PASSWORD: { secretKeyRef: { name: "keycloak-credentials", key: "admin-password" } },
    });
  });

  it("keeps secrets in Secret objects, secret in state; the realm document too", () => {
    const credentials = recorder.named("keycloak-credentials");
    expect(credentials.secretInputs).toContain("stringData");
    expect(credentials.inputs.stringData).toEqual({
      "db-password": "generated-keycloak-db-password",
      "db-password-previous": "",
      "admin-password": "generated-keycloak-admin-password",
    });
    const realm = recorder.named("keycloak-realm");
    expect(realm.secretInputs).toContain("stringData");
    expect(Object.keys(realm.inputs.stringData as object)).toEqual(["chaos-realm.json"]);
    const sts = JSON.stringify(recorder.ofType(StatefulSet).map((s) => s.inputs));
    expect(sts).not.toContain("generated-keycloak");
  });

  it("runs the idle-transaction guard as the database's sidecar: its image, loopback, the password from the credentials Secret", async () => {
    const db = recorder.typed(StatefulSet, "keycloak-db");
    const [postgres, guard] = pod(db).containers;
    expect(guard).toMatchObject({
      name: "idle-transaction-guard",
      image: postgres.image,
      securityContext: { readOnlyRootFilesystem: true },
    });
    expect(guard.command).toEqual(["sh", "-c", expect.stringContaining("psql -X -q -At -v ON_ERROR_STOP=1")]);
    expect(envOf(guard)).toMatchObject({
      PGHOST: "127.0.0.1",
      PGUSER: "keycloak",
      PGDATABASE: "keycloak",
      PGPASSWORD: { secretKeyRef: { name: "keycloak-credentials", key: "db-password" } },
    });
    expect(envOf(guard).KC_GUARD_SQL).toContain("interval '10 seconds'");
    const off = await deploy("kubernetes", { database: { idleInTransactionSeconds: 0 } }, "k8s-noguard");
    expect(pod(off.recorder.typed(StatefulSet, "keycloak-db")).containers.map((c) => c.name)).toEqual(["postgres"]);
  });

  it("runs PostgreSQL as a StatefulSet with a volume claim, the stack's connection limit and a Service", () => {
    const db = recorder.typed(StatefulSet, "keycloak-db");
    expect((pod(db).containers[0] as { args?: string[] }).args).toEqual(["postgres", "-c", "max_connections=200"]);
    expect((db.inputs.spec as { volumeClaimTemplates: unknown[] }).volumeClaimTemplates).toEqual([
      expect.objectContaining({ spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } } }),
    ]);
    expect(
      recorder
        .ofType(Service)
        .map((s) => (s.inputs.metadata as { name: string }).name)
        .sort(),
    ).toEqual(["keycloak-db", "keycloak-kc", "keycloak-kc-headless"]);
  });

  it("allows 7800, 57800 and 9000 between Keycloak pods, 9000 from the given CIDRs, 5432 only from Keycloak and a rotation's Job", () => {
    const policies = Object.fromEntries(recorder.ofType(Policy).map((p) => [(p.inputs.metadata as { name: string }).name, p.inputs.spec]));
    const kc = {
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/name": "keycloak",
          "app.kubernetes.io/instance": "keycloak",
          "app.kubernetes.io/component": "server",
        },
      },
    };
    const rotationJob = {
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/name": "db-password",
          "app.kubernetes.io/instance": "keycloak",
          "app.kubernetes.io/component": "rotation",
        },
      },
    };
    expect(policies["keycloak-cluster"]).toEqual({
      ...kc,
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [kc],
          ports: [
            { port: 7800, protocol: "TCP" },
            { port: 57800, protocol: "TCP" },
            { port: 9000, protocol: "TCP" },
          ],
        },
      ],
    });
    expect(policies["keycloak-management"]).toEqual({
      ...kc,
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ port: 9000, protocol: "TCP" }] }],
    });
    expect(policies["keycloak-http"]).toEqual({ ...kc, policyTypes: ["Ingress"], ingress: [{ ports: [{ port: 8080, protocol: "TCP" }] }] });
    expect(policies["keycloak-database"]).toMatchObject({
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [kc, rotationJob], ports: [{ port: 5432, protocol: "TCP" }] }],
      egress: [],
    });
  });

  it("routes the Ingress (class, TLS secret) to the traffic Service's HTTP port, never to 9000", () => {
    const [ingress] = recorder.ofType("kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingress.inputs.spec).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: ["sso.example.test"], secretName: "sso-tls" }],
      rules: [
        {
          host: "sso.example.test",
          http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "keycloak-kc", port: { name: "http" } } } }] },
        },
      ],
    });
    expect(JSON.stringify(recorder.typed(Service, "keycloak-kc").inputs)).not.toContain("9000");
  });

  it("allows one Keycloak pod down at a time", () => {
    expect(recorder.ofType("kubernetes:policy/v1:PodDisruptionBudget")[0].inputs.spec).toMatchObject({ maxUnavailable: 1 });
  });

  it("gives the chaos runner a Role to see and delete pods, bound to no one unless configured", () => {
    expect(recorder.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role")[0].inputs.rules).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
      { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "list", "watch"] },
    ]);
    expect(recorder.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")).toEqual([]);
  });

  it("never skips the provider's readiness logic unless the stack says so", () => {
    expect(
      findKeys(
        recorder.resources.map((r) => r.inputs),
        "pulumi.com/skipAwait",
      ),
    ).toEqual([]);
  });

  it("exports the outputs shape with the kubernetes driver handle", async () => {
    expect(Object.keys(run.outputs).sort()).toEqual([...OutputNames].sort());
    for (const key of SecretOutputs) {
      expect((await resolve(run.outputs[key] as never)).secret).toBe(true);
    }
    expect((await resolve(run.outputs.driver as never)).value).toEqual({
      kind: "kubernetes",
      namespace: "keycloak",
      statefulSet: "keycloak-kc",
      podLabels: {
        "app.kubernetes.io/name": "keycloak",
        "app.kubernetes.io/instance": "keycloak",
        "app.kubernetes.io/component": "server",
      },
      httpPort: 8080,
      managementPort: 9000,
      server: "https://127.0.0.1:16443",
    });
    expect((await resolve(run.outputs.clusterId as never)).value).toBe("kubernetes/keycloak/keycloak");
  });
});

describe("the openshift stack under mocks", () => {
  let recorder: ResourceRecorder;
  beforeAll(async () => {
    recorder = (await deploy("openshift", {}, "ocp")).recorder;
  });

  it("sets no fixed user, group or fsGroup anywhere (restricted-v2 SCC assigns them)", () => {
    const objects = recorder.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs);
    expect([...findKeys(objects, "runAsUser"), ...findKeys(objects, "runAsGroup"), ...findKeys(objects, "fsGroup")]).toEqual([]);
    expect(pod(recorder.typed(StatefulSet, "keycloak-kc")).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("exposes the cluster through a Route with edge TLS, not an Ingress", () => {
    const [route] = recorder.ofType("kubernetes:route.openshift.io/v1:Route");
    expect(route.inputs).toMatchObject({ apiVersion: "route.openshift.io/v1", kind: "Route" });
    expect(route.inputs.spec).toEqual({
      host: "sso.example.test",
      to: { kind: "Service", name: "keycloak-kc", weight: 100 },
      port: { targetPort: "http" },
      tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" },
      wildcardPolicy: "None",
    });
    expect(recorder.ofType("kubernetes:networking.k8s.io/v1:Ingress")).toEqual([]);
  });

  it("re-encrypts with the service CA's certificate: HTTPS on the nodes, the Service annotated for it", async () => {
    const reencrypt = (await deploy("openshift", { openshift: { routeTermination: "reencrypt" } }, "ocp2")).recorder;
    expect(reencrypt.ofType("kubernetes:route.openshift.io/v1:Route")[0].inputs.spec).toMatchObject({
      port: { targetPort: "https" },
      tls: { termination: "reencrypt" },
    });
    const service = reencrypt.ofType(Service).find((s) => (s.inputs.metadata as { name: string }).name === "keycloak-kc");
    expect((service?.inputs.metadata as { annotations: Record<string, string> }).annotations).toEqual({
      "service.beta.openshift.io/serving-cert-secret-name": "keycloak-kc-tls",
    });
    const env = envOf(pod(reencrypt.typed(StatefulSet, "keycloak-kc")).containers[0]);
    expect(env).toMatchObject({
      KC_HTTPS_PORT: "8443",
      KC_HTTPS_CERTIFICATE_FILE: "/etc/keycloak/tls/tls.crt",
      KC_HTTPS_CERTIFICATE_KEY_FILE: "/etc/keycloak/tls/tls.key",
    });
  });
});

describe("kubernetes settings from config", () => {
  it("keeps the realm in step through the access URL (a RealmSync), except with skipAwait, when nothing says the pods answer", async () => {
    const sync = "pulumi-nodejs:dynamic/keycloak-cluster:RealmSync";
    const synced = await deploy("kubernetes", { kubernetes: { accessUrl: "http://127.0.0.1:30080" } }, "sync");
    expect(synced.recorder.ofType(sync).map((r) => r.inputs.baseUrl)).toEqual(["http://127.0.0.1:30080"]);
    expect(synced.recorder.ofType(sync)[0].secretInputs).toEqual(expect.arrayContaining(["adminPassword", "realmJson"]));
    const skipped = await deploy("kubernetes", { kubernetes: { skipAwait: true } }, "nosync");
    expect(skipped.recorder.ofType(sync)).toEqual([]);
  });

  it("no rotation: no Job, and the pods carry no rotation annotation (existing pods stay as they are)", async () => {
    const { recorder } = await deploy("kubernetes", {}, "norotate");
    expect(recorder.ofType(Job)).toEqual([]);
    expect(JSON.stringify(recorder.typed(StatefulSet, "keycloak-kc").inputs)).not.toContain("db-password-rotation");
  });

  it("database.passwordRotation: a Job sets the new password on the role over the database Service, logged in with the old one; the rotation rolls the pods", async () => {
    const { recorder } = await deploy("kubernetes", { database: { passwordRotation: 2 } }, "rotate");
    const [job] = recorder.ofType(Job);
    expect(job.name).toBe("keycloak-db-role");
    expect(job.inputs.metadata).toMatchObject({ name: "keycloak-db-password-2", namespace: "keycloak" });
    const spec = job.inputs.spec as {
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec & { restartPolicy: string } };
    };
    expect(spec.template.metadata.labels).toMatchObject({
      "app.kubernetes.io/name": "db-password",
      "app.kubernetes.io/component": "rotation",
    });
    const container = spec.template.spec.containers[0] as Container & { command: string[]; image: string };
    expect(container.command).toEqual(rolePasswordCommand(true));
    expect(envOf(container)).toMatchObject({
      PGHOST: "keycloak-db.keycloak.svc.cluster.local",
      PGUSER: "keycloak",
      PGDATABASE: "keycloak",
      NEW_PASSWORD: { secretKeyRef: { name: "keycloak-credentials", key: "db-password" } },
      OLD_PASSWORD: { secretKeyRef: { name: "keycloak-credentials", key: "db-password-previous" } },
    });
    expect(JSON.stringify(job.inputs)).not.toContain("generated-keycloak");
    const template = (
      recorder.typed(StatefulSet, "keycloak-kc").inputs.spec as { template: { metadata: { annotations: Record<string, string> } } }
    ).template;
    expect(template.metadata.annotations["keycloak-cluster/db-password-rotation"]).toBe("2");
    // The database pod keeps running: its template does not change.
    expect(JSON.stringify(recorder.typed(StatefulSet, "keycloak-db").inputs)).not.toContain("rotation");
  });

  it("the tests-only skipAwait annotation goes on every object when the stack sets it", async () => {
    const { recorder } = await deploy("kubernetes", { kubernetes: { skipAwait: true } }, "skip");
    for (const r of recorder.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      expect((r.inputs.metadata as { annotations?: Record<string, string> }).annotations?.["pulumi.com/skipAwait"], r.name).toBe("true");
    }
    // Nothing is waited for: no rollout condition either.
    const sts = recorder.typed(StatefulSet, "keycloak-kc");
    expect((sts.inputs.metadata as { annotations: Record<string, string> }).annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  it("scaling changes the replicas and the rollout condition, never the pod template (no pod rolls)", async () => {
    const sts = async (nodes: number) =>
      (await deploy("kubernetes", { keycloak: { ...base.keycloak, nodes } }, `scale${nodes}`)).recorder.typed(StatefulSet, "keycloak-kc")
        .inputs as { metadata: { annotations: Record<string, string> }; spec: { replicas: number; template: unknown } };
    const [three, four] = [await sts(3), await sts(4)];
    expect([three.spec.replicas, four.spec.replicas]).toEqual([3, 4]);
    expect(four.metadata.annotations["pulumi.com/waitFor"]).toContain("readyReplicas}=4");
    expect(JSON.stringify(four.spec.template)).toEqual(JSON.stringify(three.spec.template));
  });

  it("gives the roll time for every pod's start in turn: 5 min a pod, 10 min at least", () => {
    const nodes = (n: number) => ({ keycloak: { nodes: n } }) as ClusterSpec;
    expect([rolloutTimeout(nodes(1)), rolloutTimeout(nodes(3)), rolloutTimeout(nodes(9))]).toEqual(["10m", "15m", "45m"]);
  });

  it("local caches: the startup probe waits for started only, there is no cluster to join", async () => {
    const { recorder } = await deploy(
      "kubernetes",
      { keycloak: { ...base.keycloak, cacheMode: "local", acknowledgeLocalCache: true } },
      "localcache",
    );
    const [c] = pod(recorder.typed(StatefulSet, "keycloak-kc")).containers;
    expect(c.startupProbe.exec.command.slice(3, 5)).toEqual(["cluster-startup", "0"]);
  });

  it("an external database: no PostgreSQL objects; its secret password in the credentials Secret", async () => {
    process.env.KUBECONFIG = writeKubeconfig();
    const { recorder } = await runProgram(
      {
        target: "kubernetes",
        ...base,
        database: { mode: "external", jdbcUrl: "jdbc:postgresql://db.internal:5432/kc", username: "kc", password: "from-config" },
      },
      "ext",
      { secretKeys: ["database"] },
    );
    expect(recorder.ofType(StatefulSet)).toHaveLength(1);
    expect(
      recorder.ofType(Secret).find((s) => (s.inputs.metadata as { name: string }).name === "keycloak-credentials")?.inputs.stringData,
    ).toMatchObject({
      "db-password": "from-config",
    });
    expect(envOf(pod(recorder.typed(StatefulSet, "keycloak-kc")).containers[0]).KC_DB_URL).toBe("jdbc:postgresql://db.internal:5432/kc");
    expect(recorder.ofType(Policy).map((p) => (p.inputs.metadata as { name: string }).name)).not.toContain("keycloak-database");
  });

  it("a NodePort Service for a local cluster; an existing namespace is not created", async () => {
    const { recorder } = await deploy(
      "kubernetes",
      { kubernetes: { serviceType: "NodePort", nodePort: 30080, createNamespace: false, namespace: "kc", ingress: false } },
      "np",
    );
    expect(recorder.ofType("kubernetes:core/v1:Namespace")).toEqual([]);
    expect(recorder.ofType("kubernetes:networking.k8s.io/v1:Ingress")).toEqual([]);
    const service = recorder.ofType(Service).find((s) => (s.inputs.metadata as { name: string }).name === "keycloak-kc");
    expect(service?.inputs.spec).toMatchObject({
      type: "NodePort",
      ports: [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP", nodePort: 30080 }],
    });
  });
});
