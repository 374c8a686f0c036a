/**
 * The one builder of stack outputs, for every target: the documented shape
 * (components/shared/outputs.ts) from the model and the cluster component. Exactly the
 * outputs listed in SecretOutputs are made secret; the list of outputs is the schema's.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, Target } from "../components/keycloak/model";
import { KeycloakClusterParts } from "../components/shared/cluster";
import { ClusterOutputs, isSecretOutput, OutputName, OutputNames, OutputsSchemaVersion } from "../components/shared/outputs";

export type StackOutputs = { readonly [K in OutputName]: pulumi.Output<ClusterOutputs[K]> };

export function stackOutputs(target: Target, spec: ClusterSpec, cluster: KeycloakClusterParts): StackOutputs {
  const values: { readonly [K in OutputName]: pulumi.Input<ClusterOutputs[K]> } = {
    schemaVersion: OutputsSchemaVersion,
    clusterId: cluster.clusterId,
    target,
    environment: spec.environment,
    sessionMode: spec.keycloak.sessionMode,
    cacheMode: spec.keycloak.cacheMode,
    clusterSize: spec.keycloak.nodes,
    publicUrl: spec.keycloak.publicUrl,
    issuerUrl: cluster.issuerUrl,
    realm: spec.realm.name,
    clientId: spec.realm.clientId,
    clientSecret: cluster.clientSecret,
    redirectUri: spec.realm.redirectUri,
    testUsers: cluster.testUsers,
    adminUsername: spec.keycloak.adminUsername,
    adminPassword: cluster.adminPassword,
    loadBalancerUrl: cluster.loadBalancerUrl,
    driver: cluster.driver,
    failoverSettings: {
      cacheStack: spec.keycloak.cacheConfig?.stack ?? spec.keycloak.discovery,
      cacheConfigFile: spec.keycloak.cacheConfig?.fileName ?? null,
      clusterTls: spec.keycloak.clusterTls,
      ...cluster.loadBalancerTiming,
    },
  };
  return Object.fromEntries(
    OutputNames.map((name) => [name, isSecretOutput(name) ? pulumi.secret(values[name]) : pulumi.output(values[name])]),
  ) as unknown as StackOutputs;
}
