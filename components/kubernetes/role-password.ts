/**
 * Password rotation on kubernetes and openshift: a Job sets the new password on PostgreSQL's role
 * (over the database Service, logged in with the one before), and only then do the nodes roll
 * (the StatefulSet's readiness-gated rolling update, started by the rotation's pod annotation).
 */
import type * as k8s from "@pulumi/kubernetes";
import { ManagedDatabaseSpec } from "../keycloak/model";
import { PostgresPort } from "../keycloak/settings";
import { rolePasswordCommand, RolePasswordEnv, rolePasswordEnv } from "../shared/role-password";
import {
  containerSecurity,
  CredentialKeys,
  EphemeralStorage,
  labels,
  objectNames,
  podSecurity,
  PostgresUser,
  resources,
  rolePasswordSelector,
  secretEnv,
  serviceHost,
} from "./objects";
import { KubernetesTargetSpec } from "./spec";

/** The Job's name: one per rotation, so each rotation runs once (a Job's pod template cannot change). */
export function rolePasswordJobName(target: KubernetesTargetSpec, rotation: number): string {
  return `${objectNames(target).db}-password-${rotation}`;
}

export function rolePasswordJobSpec(database: ManagedDatabaseSpec, target: KubernetesTargetSpec): k8s.types.input.batch.v1.JobSpec {
  const names = objectNames(target);
  const env = Object.entries({
    ...rolePasswordEnv({ username: database.username, database: database.name }),
    PGHOST: serviceHost(target, names.db),
    PGPORT: String(PostgresPort),
  }).map(([name, value]) => ({ name, value }));
  return {
    backoffLimit: 4,
    activeDeadlineSeconds: 300,
    template: {
      metadata: { labels: labels(rolePasswordSelector(target)) },
      spec: {
        restartPolicy: "Never",
        securityContext: podSecurity(target, PostgresUser),
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        containers: [
          {
            name: "set-password",
            image: target.databaseImage,
            imagePullPolicy: target.imagePullPolicy,
            command: rolePasswordCommand(true),
            env: [
              ...env,
              secretEnv(RolePasswordEnv.newPassword, names.credentials, CredentialKeys.dbPassword),
              secretEnv(RolePasswordEnv.oldPassword, names.credentials, CredentialKeys.dbPasswordPrevious),
            ],
            resources: resources(
              { requests: { cpus: 0.05, memoryMb: 32 }, limits: { cpus: 0.5, memoryMb: 64 } },
              EphemeralStorage.database,
            ),
            securityContext: containerSecurity(true),
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          },
        ],
        volumes: [{ name: "tmp", emptyDir: {} }],
      },
    },
  };
}
