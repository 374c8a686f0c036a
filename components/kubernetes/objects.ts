/**
 * Plain functions that build the kubernetes and openshift targets' objects from the model: the
 * Keycloak StatefulSet (probes on the management port, security contexts, spread, drain), its
 * Services, PostgreSQL, the disruption budget, network policies, the Ingress or Route, and the
 * chaos runner's Role. The component wires them; the unit tests assert them through mocks.
 */
import { createHash } from "node:crypto";
import type * as k8s from "@pulumi/kubernetes";
import { cacheConfigPath } from "../keycloak/cache-config";
import { CacheMode, ClusterSpec, Discovery, ResourceSpec } from "../keycloak/model";
import { NodeValue } from "../keycloak/node-value";
import {
  databaseUrl,
  HealthPaths,
  ReadinessCheck,
  KeycloakHome,
  KeycloakPorts,
  nodeEnvironment,
  NodeEnvVar,
  PostgresPort,
  RealmImportDir,
  realmImportFile,
  SecretEnv,
  startCommand,
} from "../keycloak/settings";
import { clusterProbeCommand, probeTimeoutSeconds } from "./cluster-probe";
import { KubernetesTargetSpec } from "./spec";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** The official images' users: Keycloak runs as 1000, PostgreSQL as 999. Never set on OpenShift (restricted-v2 assigns them). */
export const KeycloakUser = 1000;
export const PostgresUser = 999;

/** Keys of the credentials Secret. */
export const CredentialKeys = {
  dbPassword: "db-password",
  dbPasswordPrevious: "db-password-previous",
  adminPassword: "admin-password",
} as const;

/** Where a re-encrypting Route's serving certificate is mounted in the nodes. */
export const TlsDir = "/etc/keycloak/tls";

/** True when the nodes serve HTTPS too: behind an OpenShift Route that re-encrypts. */
export function servesHttps(target: KubernetesTargetSpec): boolean {
  return target.flavor === "openshift" && target.route?.termination === "reencrypt";
}

export function objectNames(target: KubernetesTargetSpec) {
  const name = target.name;
  return {
    /** The serving certificate OpenShift's service CA writes for the traffic Service (reencrypt). */
    tls: `${name}-kc-tls`,
    keycloak: `${name}-kc`,
    headless: `${name}-kc-headless`,
    db: `${name}-db`,
    credentials: `${name}-credentials`,
    realm: `${name}-realm`,
    cacheConfig: `${name}-cache-config`,
    chaosRole: `${name}-chaos`,
  };
}

/** Labels that select the Keycloak pods (the chaos driver uses them too). */
export function keycloakSelector(target: KubernetesTargetSpec): Record<string, string> {
  return { "app.kubernetes.io/name": "keycloak", "app.kubernetes.io/instance": target.name, "app.kubernetes.io/component": "server" };
}

/** Labels of a password rotation's Job pod (components/kubernetes/role-password.ts): the database lets it in. */
export function rolePasswordSelector(target: KubernetesTargetSpec): Record<string, string> {
  return { "app.kubernetes.io/name": "db-password", "app.kubernetes.io/instance": target.name, "app.kubernetes.io/component": "rotation" };
}

export function databaseSelector(target: KubernetesTargetSpec): Record<string, string> {
  return { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": target.name, "app.kubernetes.io/component": "database" };
}

export function labels(selector: Record<string, string>): Record<string, string> {
  return { ...selector, "app.kubernetes.io/part-of": "keycloak-cluster", "app.kubernetes.io/managed-by": "pulumi" };
}

/** Metadata of one object: its name in the namespace, labels, and the tests-only skipAwait annotation. */
export function metadata(
  target: KubernetesTargetSpec,
  name: string,
  selector: Record<string, string> = {},
  extraAnnotations: Record<string, string> = {},
): k8s.types.input.meta.v1.ObjectMeta {
  const annotations = { ...(target.skipAwait ? { "pulumi.com/skipAwait": "true" } : {}), ...extraAnnotations };
  return { name, namespace: target.namespace, labels: labels(selector), ...(Object.keys(annotations).length ? { annotations } : {}) };
}

/** Cluster-local DNS name of a Service. */
export function serviceHost(target: KubernetesTargetSpec, service: string): string {
  return `${service}.${target.namespace}.svc.cluster.local`;
}

/** Scratch space (emptyDir volumes, logs) each container may use: requested, and bounded. */
export const EphemeralStorage = {
  keycloak: { request: "256Mi", limit: "1Gi" },
  database: { request: "64Mi", limit: "512Mi" },
} as const;

export function resources(
  spec: ResourceSpec,
  storage: { readonly request: string; readonly limit: string },
): k8s.types.input.core.v1.ResourceRequirements {
  const amount = (a: { cpus: number; memoryMb: number }) => ({ cpu: `${Math.round(a.cpus * 1000)}m`, memory: `${a.memoryMb}Mi` });
  return {
    requests: { ...(spec.requests ? amount(spec.requests) : {}), "ephemeral-storage": storage.request },
    limits: { ...(spec.limits ? amount(spec.limits) : {}), "ephemeral-storage": storage.limit },
  };
}

/** A NodeEnvVar as a container environment variable: literals as values, pod fields through the downward API. */
export function toEnvVar(variable: NodeEnvVar): EnvVar {
  const { name, value } = variable;
  switch (value.source) {
    case "literal":
      return { name, value: value.value };
    case "pod":
      return { name, valueFrom: { fieldRef: { fieldPath: value.field } } };
    case "instance":
      throw new Error(`internal error: ${name} comes from the instance (${value.field}), which a pod cannot supply`);
  }
}

export function secretEnv(name: string, secret: string, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/** No privilege, no capabilities, the runtime's seccomp profile; a fixed user only on plain Kubernetes. */
export function containerSecurity(readOnlyRoot: boolean): k8s.types.input.core.v1.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: readOnlyRoot,
    runAsNonRoot: true,
    privileged: false,
  };
}

export function podSecurity(target: KubernetesTargetSpec, user: number): k8s.types.input.core.v1.PodSecurityContext {
  const fixed = target.flavor === "kubernetes" ? { runAsUser: user, runAsGroup: user, fsGroup: user } : {};
  return { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, ...fixed };
}

/** The Keycloak nodes' environment: shared options, per-pod values from the downward API, secrets from the credentials Secret. */
export function keycloakEnv(spec: ClusterSpec, target: KubernetesTargetSpec): EnvVar[] {
  const names = objectNames(target);
  const env = nodeEnvironment(spec, {
    // The pod name is stable in a StatefulSet: a session's route names its pod.
    nodeName: NodeValue.pod("metadata.name"),
    bindAddress: NodeValue.pod("status.podIP"),
    dbUrl: databaseUrl(spec, serviceHost(target, names.db)),
    ...(spec.keycloak.discovery === Discovery.Kubernetes ? { dnsQuery: serviceHost(target, names.headless) } : {}),
    ...(servesHttps(target) ? { tls: { certificateFile: `${TlsDir}/tls.crt`, keyFile: `${TlsDir}/tls.key` } } : {}),
  });
  return [
    ...env.map(toEnvVar),
    secretEnv(SecretEnv.dbPassword, names.credentials, CredentialKeys.dbPassword),
    secretEnv(SecretEnv.adminPassword, names.credentials, CredentialKeys.adminPassword),
  ];
}

export function keycloakPorts(target: KubernetesTargetSpec): k8s.types.input.core.v1.ContainerPort[] {
  return [
    { name: "http", containerPort: KeycloakPorts.http, protocol: "TCP" },
    ...(servesHttps(target) ? [{ name: "https", containerPort: KeycloakPorts.https, protocol: "TCP" }] : []),
    { name: "management", containerPort: KeycloakPorts.management, protocol: "TCP" },
    { name: "jgroups", containerPort: KeycloakPorts.jgroups, protocol: "TCP" },
    { name: "jgroups-fd", containerPort: KeycloakPorts.jgroupsFailureDetection, protocol: "TCP" },
  ];
}

function probe(path: string, periodSeconds: number, failureThreshold: number, timeoutSeconds: number): k8s.types.input.core.v1.Probe {
  return { httpGet: { path, port: "management", scheme: "HTTP" }, periodSeconds, failureThreshold, timeoutSeconds };
}

/**
 * The startup probe: Keycloak started and, with clustered caches, its cluster view holds every
 * ready peer (pods 0 … maxNodes-1 by name on the headless Service). Up to 10 min to start.
 */
export function clusterStartupProbe(spec: ClusterSpec, target: KubernetesTargetSpec): k8s.types.input.core.v1.Probe {
  const names = objectNames(target);
  // Every pod the stack may have, not only the current ones: scaling leaves the template alone.
  const peers = Array.from({ length: target.maxNodes }, (_, i) => `${names.keycloak}-${i}`).map((pod) => ({
    name: pod,
    address: `${pod}.${serviceHost(target, names.headless)}:${KeycloakPorts.management}`,
  }));
  const command = clusterProbeCommand({
    clustered: spec.keycloak.cacheMode !== CacheMode.Local,
    self: `127.0.0.1:${KeycloakPorts.management}`,
    peers,
  });
  return { exec: { command }, periodSeconds: 5, failureThreshold: 120, timeoutSeconds: probeTimeoutSeconds(peers.length) };
}

/**
 * What `pulumi up` waits for on the Keycloak StatefulSet: the controller has seen this spec
 * (the provider's JSONPath conditions check observedGeneration) and every pod runs it and is
 * Ready. Replaces the provider's StatefulSet await, which can read the old status right after
 * an update and return before the roll (pulumi-kubernetes#4094, after the provider built here).
 */
export function rolloutWaitFor(spec: ClusterSpec, target: KubernetesTargetSpec): Record<string, string> {
  const n = spec.keycloak.nodes;
  if (target.skipAwait) {
    return {};
  }
  return {
    "pulumi.com/waitFor": JSON.stringify([`jsonpath={.status.updatedReplicas}=${n}`, `jsonpath={.status.readyReplicas}=${n}`]),
  };
}

/** Long enough for every pod to start in turn (each may take its startup probe's 10 min). */
export function rolloutTimeout(spec: ClusterSpec): string {
  return `${Math.max(10, 5 * spec.keycloak.nodes)}m`;
}

export function keycloakStatefulSetSpec(spec: ClusterSpec, target: KubernetesTargetSpec): k8s.types.input.apps.v1.StatefulSetSpec {
  const names = objectNames(target);
  const selector = keycloakSelector(target);
  // An optimized image writes only to data/ and /tmp; a plain start re-augments into lib/.
  const readOnlyRoot = spec.keycloak.optimizedImage;
  const cacheConfig = spec.keycloak.cacheConfig;
  return {
    replicas: spec.keycloak.nodes,
    serviceName: names.headless,
    // The first pod migrates the schema alone and is ready before the next one starts.
    podManagementPolicy: "OrderedReady",
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
    selector: { matchLabels: selector },
    template: {
      metadata: { labels: labels(selector), ...podAnnotations(spec) },
      spec: {
        securityContext: podSecurity(target, KeycloakUser),
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: target.terminationGracePeriodSeconds,
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" } },
            ],
          },
        },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: selector },
          },
          {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: selector },
          },
        ],
        containers: [
          {
            name: "keycloak",
            image: spec.keycloak.image,
            imagePullPolicy: target.imagePullPolicy,
            args: startCommand(spec),
            env: keycloakEnv(spec, target),
            ports: keycloakPorts(target),
            // Started, and in one cluster with every ready peer: the roll's cluster gate.
            startupProbe: clusterStartupProbe(spec, target),
            // Out of the Service within ~2 s of a freeze, as the load balancer on the other targets.
            readinessProbe: probe(HealthPaths.ready, ReadinessCheck.intervalSeconds, ReadinessCheck.fall, ReadinessCheck.timeoutSeconds),
            livenessProbe: probe(HealthPaths.live, 10, 3, 3),
            // Keep serving while the Service and Ingress take the pod out, then stop.
            lifecycle: { preStop: { sleep: { seconds: target.preStopSeconds } } },
            resources: resources(spec.keycloak.resources, EphemeralStorage.keycloak),
            securityContext: containerSecurity(readOnlyRoot),
            volumeMounts: [
              { name: "data", mountPath: `${KeycloakHome}/data` },
              { name: "tmp", mountPath: "/tmp" },
              { name: "realm", mountPath: RealmImportDir, readOnly: true },
              ...(servesHttps(target) ? [{ name: "tls", mountPath: TlsDir, readOnly: true }] : []),
              ...(cacheConfig
                ? [{ name: "cache-config", mountPath: cacheConfigPath(cacheConfig), subPath: cacheConfig.fileName, readOnly: true }]
                : []),
            ],
          },
        ],
        volumes: [
          { name: "data", emptyDir: {} },
          { name: "tmp", emptyDir: {} },
          { name: "realm", secret: { secretName: names.realm, defaultMode: 0o440 } },
          ...(servesHttps(target) ? [{ name: "tls", secret: { secretName: names.tls, defaultMode: 0o440 } }] : []),
          ...(cacheConfig ? [{ name: "cache-config", configMap: { name: names.cacheConfig, defaultMode: 0o444 } }] : []),
        ],
      },
    },
  };
}

/**
 * The pod template carries what the pods read only at start and the StatefulSet cannot see: the
 * cache configuration's digest (its ConfigMap) and the database password's rotation (its Secret).
 * A change rolls the pods. (No rotation yet: no annotation, so existing pods stay as they are.)
 */
function podAnnotations(spec: ClusterSpec): { annotations?: Record<string, string> } {
  const file = spec.keycloak.cacheConfig;
  const rotation = spec.database.mode === "managed" ? spec.database.passwordRotation : 0;
  const annotations = {
    ...(file ? { "keycloak-cluster/cache-config-sha256": createHash("sha256").update(file.content).digest("hex") } : {}),
    ...(rotation > 0 ? { [RotationAnnotation]: String(rotation) } : {}),
  };
  return Object.keys(annotations).length ? { annotations } : {};
}

/** Pod annotation of the nodes: a new database password rotation rolls them. */
export const RotationAnnotation = "keycloak-cluster/db-password-rotation";

/** The realm import file's name in its Secret (mounted as RealmImportDir). */
export function realmFileName(spec: ClusterSpec): string {
  return realmImportFile(spec.realm.name).slice(RealmImportDir.length + 1);
}

export function headlessServiceSpec(target: KubernetesTargetSpec): k8s.types.input.core.v1.ServiceSpec {
  return {
    clusterIP: "None",
    // Peers find each other before they are ready (DNS_PING; the StatefulSet's identities).
    publishNotReadyAddresses: true,
    selector: keycloakSelector(target),
    ports: [
      { name: "http", port: KeycloakPorts.http, targetPort: "http", protocol: "TCP" },
      { name: "jgroups", port: KeycloakPorts.jgroups, targetPort: "jgroups", protocol: "TCP" },
    ],
  };
}

export function trafficServiceSpec(spec: ClusterSpec, target: KubernetesTargetSpec): k8s.types.input.core.v1.ServiceSpec {
  return {
    type: target.service.type,
    selector: keycloakSelector(target),
    sessionAffinity: spec.loadBalancer.affinity ? "ClientIP" : "None",
    ports: [
      {
        name: "http",
        port: KeycloakPorts.http,
        targetPort: "http",
        protocol: "TCP",
        ...(target.service.nodePort !== undefined ? { nodePort: target.service.nodePort } : {}),
      },
      ...(servesHttps(target) ? [{ name: "https", port: KeycloakPorts.https, targetPort: "https", protocol: "TCP" }] : []),
    ],
  };
}

/** Annotations of the traffic Service: OpenShift's service CA issues the nodes' certificate for a re-encrypting Route. */
export function trafficServiceAnnotations(target: KubernetesTargetSpec): Record<string, string> {
  return servesHttps(target) ? { "service.beta.openshift.io/serving-cert-secret-name": objectNames(target).tls } : {};
}

export function disruptionBudgetSpec(spec: ClusterSpec, target: KubernetesTargetSpec): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
  // One node at a time: never both owners of a distributed cache entry.
  void spec;
  return { maxUnavailable: 1, selector: { matchLabels: keycloakSelector(target) } };
}

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** Network policies: cluster traffic (and 9000) between the nodes, 9000 from the given CIDRs, 5432 only from the nodes. */
export function networkPolicySpecs(target: KubernetesTargetSpec, managedDatabase: boolean): Record<string, PolicySpec> {
  const nodes = { podSelector: { matchLabels: keycloakSelector(target) } };
  const tcp = (port: number) => ({ port, protocol: "TCP" });
  const policies: Record<string, PolicySpec> = {
    cluster: {
      ...nodes,
      policyTypes: ["Ingress"],
      // The management port too: a starting pod asks its peers whether they are ready.
      ingress: [
        {
          from: [nodes],
          ports: [tcp(KeycloakPorts.jgroups), tcp(KeycloakPorts.jgroupsFailureDetection), tcp(KeycloakPorts.management)],
        },
      ],
    },
    http: { ...nodes, policyTypes: ["Ingress"], ingress: [{ ports: [tcp(KeycloakPorts.http)] }] },
    management: {
      ...nodes,
      policyTypes: ["Ingress"],
      ingress: target.managementFrom.length
        ? [{ from: target.managementFrom.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(KeycloakPorts.management)] }]
        : [],
    },
  };
  if (managedDatabase) {
    // The database talks to no one: ingress from the nodes (and a password rotation's Job) only, no egress at all.
    policies.database = {
      podSelector: { matchLabels: databaseSelector(target) },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [nodes, { podSelector: { matchLabels: rolePasswordSelector(target) } }], ports: [tcp(PostgresPort)] }],
      egress: [],
    };
  }
  return policies;
}

/** The public host name of the cluster, when it is a DNS name (an Ingress or Route host cannot be an IP address). */
export function publicHost(spec: ClusterSpec): string | undefined {
  const host = new URL(spec.keycloak.publicUrl).hostname;
  return /^[0-9.]+$/.test(host) || host.startsWith("[") ? undefined : host;
}

export function ingressSpec(spec: ClusterSpec, target: KubernetesTargetSpec): k8s.types.input.networking.v1.IngressSpec {
  const names = objectNames(target);
  const host = publicHost(spec);
  const backend = { service: { name: names.keycloak, port: { name: "http" } } };
  const path = new URL(spec.keycloak.publicUrl).pathname.replace(/\/+$/, "") || "/";
  return {
    ...(target.ingress?.className ? { ingressClassName: target.ingress.className } : {}),
    ...(target.ingress?.tlsSecret ? { tls: [{ ...(host ? { hosts: [host] } : {}), secretName: target.ingress.tlsSecret }] } : {}),
    rules: [{ ...(host ? { host } : {}), http: { paths: [{ path, pathType: "Prefix", backend }] } }],
  };
}

/** The OpenShift Route (route.openshift.io/v1): edge or reencrypt TLS, HTTP redirected to HTTPS. */
export function routeSpec(spec: ClusterSpec, target: KubernetesTargetSpec): Record<string, unknown> {
  const names = objectNames(target);
  const termination = target.route?.termination ?? "edge";
  const host = publicHost(spec);
  return {
    ...(host ? { host } : {}),
    to: { kind: "Service", name: names.keycloak, weight: 100 },
    port: { targetPort: termination === "reencrypt" ? "https" : "http" },
    tls: { termination, insecureEdgeTerminationPolicy: "Redirect" },
    wildcardPolicy: "None",
  };
}

/** What the chaos runner may do in the namespace: see and delete the pods, see the StatefulSet. */
export function chaosRoleRules(): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "delete"] },
    { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "list", "watch"] },
  ];
}
