import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, DatabaseMode } from "../keycloak/model";
import { issuerUrl, KeycloakPorts, ReadinessCheck } from "../keycloak/settings";
import { KeycloakClusterComponent } from "../shared/cluster";
import { clusterSecrets } from "../shared/cluster-secrets";
import { DriverHandle } from "../shared/outputs";
import { RealmSync, syncedUsers } from "../shared/realm-sync";
import { databaseServiceSpec, databaseStatefulSetSpec } from "./database";
import { rolePasswordJobName, rolePasswordJobSpec } from "./role-password";
import {
  chaosRoleRules,
  CredentialKeys,
  databaseSelector,
  disruptionBudgetSpec,
  headlessServiceSpec,
  ingressSpec,
  keycloakSelector,
  keycloakStatefulSetSpec,
  metadata,
  networkPolicySpecs,
  objectNames,
  realmFileName,
  rolePasswordSelector,
  rolloutTimeout,
  rolloutWaitFor,
  routeSpec,
  trafficServiceAnnotations,
  trafficServiceSpec,
} from "./objects";
import { KubernetesTargetSpec } from "./spec";

export interface KubernetesKeycloakClusterArgs {
  /** The validated cluster model. */
  readonly spec: ClusterSpec;
  /** Kubernetes- or OpenShift-specific settings. */
  readonly kubernetes: KubernetesTargetSpec;
}

/**
 * A Keycloak cluster on Kubernetes or OpenShift: Secrets, the realm import, PostgreSQL as a
 * StatefulSet (or an external database), Keycloak as a StatefulSet behind a headless and a
 * traffic Service, a disruption budget, network policies, an Ingress (Kubernetes) or a Route
 * (OpenShift), and the chaos runner's Role. The kubernetes provider comes in through `opts.providers`.
 */
export class KubernetesKeycloakCluster extends KeycloakClusterComponent {
  constructor(name: string, args: KubernetesKeycloakClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("keycloak:kubernetes:KeycloakCluster", name, {}, opts);
    const { spec, kubernetes: target } = args;
    const names = objectNames(target);
    const secrets = clusterSecrets(name, spec, this);
    const namespace = target.createNamespace
      ? new k8s.core.v1.Namespace(
          `${name}-ns`,
          { metadata: { ...metadata(target, target.namespace), namespace: undefined } },
          { parent: this },
        )
      : undefined;
    const child = { parent: this, dependsOn: namespace ? [namespace] : [] };

    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: metadata(target, names.credentials),
        type: "Opaque",
        stringData: pulumi.secret({
          [CredentialKeys.dbPassword]: secrets.dbPassword,
          // What a rotation's Job logs in with ("" before the first rotation).
          [CredentialKeys.dbPasswordPrevious]: secrets.dbPasswordPrevious,
          [CredentialKeys.adminPassword]: secrets.adminPassword,
        }),
      },
      child,
    );
    const realm = new k8s.core.v1.Secret(
      `${name}-realm`,
      { metadata: metadata(target, names.realm), type: "Opaque", stringData: pulumi.secret({ [realmFileName(spec)]: secrets.realmJson }) },
      child,
    );

    const files: pulumi.Resource[] = [];
    if (spec.keycloak.cacheConfig) {
      files.push(
        new k8s.core.v1.ConfigMap(
          `${name}-cache-config`,
          {
            metadata: metadata(target, names.cacheConfig),
            data: { [spec.keycloak.cacheConfig.fileName]: spec.keycloak.cacheConfig.content },
          },
          child,
        ),
      );
    }

    const database: pulumi.Resource[] = [];
    if (spec.database.mode === DatabaseMode.Managed) {
      database.push(
        new k8s.core.v1.Service(
          `${name}-db`,
          { metadata: metadata(target, names.db, databaseSelector(target)), spec: databaseServiceSpec(target) },
          child,
        ),
        new k8s.apps.v1.StatefulSet(
          `${name}-db`,
          { metadata: metadata(target, names.db, databaseSelector(target)), spec: databaseStatefulSetSpec(spec.database, target) },
          { ...child, dependsOn: [...child.dependsOn, credentials] },
        ),
      );
      // A rotation: PostgreSQL's role gets the new password (a Job the provider waits for) before
      // the nodes roll (their pod annotation names the rotation, and they depend on the Job).
      if (spec.database.passwordRotation > 0) {
        database.push(
          new k8s.batch.v1.Job(
            `${name}-db-role`,
            {
              metadata: metadata(target, rolePasswordJobName(target, spec.database.passwordRotation), rolePasswordSelector(target)),
              spec: rolePasswordJobSpec(spec.database, target),
            },
            { ...child, dependsOn: [...child.dependsOn, ...database], deleteBeforeReplace: true },
          ),
        );
      }
    }

    const selector = keycloakSelector(target);
    const headless = new k8s.core.v1.Service(
      `${name}-kc-headless`,
      { metadata: metadata(target, names.headless, selector), spec: headlessServiceSpec(target) },
      child,
    );
    const traffic = new k8s.core.v1.Service(
      `${name}-kc`,
      {
        metadata: metadata(target, names.keycloak, selector, trafficServiceAnnotations(target)),
        spec: trafficServiceSpec(spec, target),
      },
      child,
    );
    const nodes = new k8s.apps.v1.StatefulSet(
      `${name}-kc`,
      { metadata: metadata(target, names.keycloak, selector, rolloutWaitFor(spec, target)), spec: keycloakStatefulSetSpec(spec, target) },
      // The schema migration needs the database first; the pods need their Secrets and their Service.
      {
        ...child,
        dependsOn: [...child.dependsOn, ...database, credentials, realm, ...files, headless],
        customTimeouts: { create: rolloutTimeout(spec), update: rolloutTimeout(spec) },
      },
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-kc`,
      { metadata: metadata(target, names.keycloak, selector), spec: disruptionBudgetSpec(spec, target) },
      child,
    );
    for (const [role, policy] of Object.entries(networkPolicySpecs(target, spec.database.mode === DatabaseMode.Managed))) {
      new k8s.networking.v1.NetworkPolicy(`${name}-${role}`, { metadata: metadata(target, `${target.name}-${role}`), spec: policy }, child);
    }
    if (target.flavor === "openshift") {
      new k8s.apiextensions.CustomResource(
        `${name}-route`,
        {
          apiVersion: "route.openshift.io/v1",
          kind: "Route",
          metadata: metadata(target, target.name, selector),
          spec: routeSpec(spec, target),
        },
        { ...child, dependsOn: [...child.dependsOn, traffic] },
      );
    } else if (target.ingress) {
      new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        { metadata: metadata(target, target.name, selector), spec: ingressSpec(spec, target) },
        {
          ...child,
          dependsOn: [...child.dependsOn, traffic],
        },
      );
    }
    // The realm in step with the configuration, through the access URL once every pod is Ready
    // (the pods import it at their first start; a later realm change rolls no pod). Not with
    // skipAwait: nothing says when the pods answer.
    const realmSync =
      target.skipAwait || !target.accessUrl
        ? undefined
        : new RealmSync(
            `${name}-realm-sync`,
            {
              baseUrl: target.accessUrl,
              adminUsername: spec.keycloak.adminUsername,
              adminPassword: secrets.adminPassword,
              realmJson: secrets.realmJson,
              timeoutSeconds: 600,
            },
            { parent: this, dependsOn: [nodes, traffic] },
          );
    const role = new k8s.rbac.v1.Role(`${name}-chaos`, { metadata: metadata(target, names.chaosRole), rules: chaosRoleRules() }, child);
    if (target.chaosUsers.length) {
      new k8s.rbac.v1.RoleBinding(
        `${name}-chaos`,
        {
          metadata: metadata(target, names.chaosRole),
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subjects: target.chaosUsers.map((user) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user })),
        },
        child,
      );
    }

    this.expose({
      clusterId: pulumi.output(`${target.flavor}/${target.namespace}/${target.name}`),
      issuerUrl: pulumi.output(issuerUrl(spec.keycloak.publicUrl, spec.realm.name)),
      loadBalancerUrl: pulumi.output(target.accessUrl),
      driver: nodes.metadata.name.apply((statefulSet): DriverHandle => ({
        kind: "kubernetes",
        namespace: target.namespace,
        statefulSet,
        podLabels: selector,
        httpPort: KeycloakPorts.http,
        managementPort: KeycloakPorts.management,
        server: target.server,
      })),
      clientSecret: secrets.clientSecret,
      adminPassword: secrets.adminPassword,
      testUsers: realmSync ? syncedUsers(realmSync, secrets.testUsers) : secrets.testUsers,
      // The pod leaves the Service on its readiness probe; a Service never retries a request.
      loadBalancerTiming: { healthCheck: ReadinessCheck, safeRetryAfterSeconds: null },
    });
  }
}
