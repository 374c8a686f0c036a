/** PostgreSQL for the kubernetes and openshift targets when the stack manages its own database: one StatefulSet and its headless Service. */
import type * as k8s from "@pulumi/kubernetes";
import { ManagedDatabaseSpec } from "../keycloak/model";
import { idleTransactionGuard, PostgresPort, postgresCommand } from "../keycloak/settings";
import {
  containerSecurity,
  CredentialKeys,
  databaseSelector,
  EphemeralStorage,
  labels,
  objectNames,
  podSecurity,
  PostgresUser,
  resources,
  secretEnv,
} from "./objects";
import { KubernetesTargetSpec } from "./spec";

export function databaseStatefulSetSpec(
  database: ManagedDatabaseSpec,
  target: KubernetesTargetSpec,
): k8s.types.input.apps.v1.StatefulSetSpec {
  const names = objectNames(target);
  const selector = databaseSelector(target);
  const ready = ["pg_isready", "-h", "127.0.0.1", "-U", database.username, "-d", database.name];
  return {
    replicas: 1,
    serviceName: names.db,
    selector: { matchLabels: selector },
    template: {
      metadata: { labels: labels(selector) },
      spec: {
        securityContext: podSecurity(target, PostgresUser),
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 60,
        containers: [
          {
            name: "postgres",
            image: target.databaseImage,
            imagePullPolicy: target.imagePullPolicy,
            args: postgresCommand(database),
            env: [
              { name: "POSTGRES_DB", value: database.name },
              { name: "POSTGRES_USER", value: database.username },
              secretEnv("POSTGRES_PASSWORD", names.credentials, CredentialKeys.dbPassword),
              // A subdirectory: the volume's root may hold lost+found.
              { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
            ],
            ports: [{ name: "postgres", containerPort: PostgresPort, protocol: "TCP" }],
            readinessProbe: { exec: { command: ready }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
            // Alive while it accepts connections; ready only when it answers as the database.
            livenessProbe: {
              tcpSocket: { port: "postgres" },
              periodSeconds: 10,
              timeoutSeconds: 5,
              failureThreshold: 6,
              initialDelaySeconds: 30,
            },
            resources: resources(database.resources, EphemeralStorage.database),
            securityContext: containerSecurity(true),
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/postgresql/data" },
              { name: "run", mountPath: "/var/run/postgresql" },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
          ...guardContainer(database, target),
        ],
        volumes: [
          { name: "run", emptyDir: {} },
          { name: "tmp", emptyDir: {} },
        ],
      },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: "data", labels: labels(selector) },
        spec: {
          accessModes: ["ReadWriteOnce"],
          ...(target.storageClass ? { storageClassName: target.storageClass } : {}),
          resources: { requests: { storage: `${database.storageGb}Gi` } },
        },
      },
    ],
  };
}

/**
 * The idle-transaction guard (see idleTransactionGuard) as a sidecar of the database: it connects
 * over the pod's loopback with the credentials Secret's password (read again when it restarts).
 */
function guardContainer(database: ManagedDatabaseSpec, target: KubernetesTargetSpec): k8s.types.input.core.v1.Container[] {
  const guard = idleTransactionGuard(database);
  if (!guard) {
    return [];
  }
  return [
    {
      name: "idle-transaction-guard",
      image: target.databaseImage,
      imagePullPolicy: target.imagePullPolicy,
      command: guard.command,
      env: [
        ...Object.entries({ ...guard.env, PGHOST: "127.0.0.1" }).map(([name, value]) => ({ name, value })),
        secretEnv("PGPASSWORD", objectNames(target).credentials, CredentialKeys.dbPassword),
      ],
      resources: {
        requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "1Mi" },
        limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "16Mi" },
      },
      securityContext: containerSecurity(true),
    },
  ];
}

/** Headless: the StatefulSet's governing Service; its DNS name resolves to the database pod. */
export function databaseServiceSpec(target: KubernetesTargetSpec): k8s.types.input.core.v1.ServiceSpec {
  return {
    clusterIP: "None",
    selector: databaseSelector(target),
    ports: [{ name: "postgres", port: PostgresPort, targetPort: "postgres", protocol: "TCP" }],
  };
}
