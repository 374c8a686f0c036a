/** Wiring for target docker: provider, component, stack outputs. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DockerKeycloakCluster } from "../components/docker/keycloak-cluster";
import { DockerTargetSpec } from "../components/docker/containers";
import { ClusterSpec } from "../components/keycloak/model";
import { StackOutputs } from "./outputs";

export function deployDocker(spec: ClusterSpec, target: DockerTargetSpec): StackOutputs {
  // DOCKER_HOST (or the default socket) selects the engine; the provider flows in through opts.
  const provider = new docker.Provider("docker", {});
  const cluster = new DockerKeycloakCluster("keycloak", { spec, docker: target }, { providers: { docker: provider } });
  return {
    schemaVersion: 1,
    target: spec.target,
    environment: spec.environment,
    sessionMode: spec.keycloak.sessionMode,
    cacheMode: spec.keycloak.cacheMode,
    clusterSize: spec.keycloak.nodes,
    publicUrl: cluster.publicUrl,
    issuerUrl: cluster.issuerUrl,
    realm: spec.realm.name,
    clientId: spec.realm.clientId,
    clientSecret: pulumi.secret(cluster.clientSecret),
    redirectUri: spec.realm.redirectUri,
    testUsers: pulumi.secret(cluster.testUsers),
    adminUsername: spec.keycloak.adminUsername,
    adminPassword: pulumi.secret(cluster.adminPassword),
    nodes: cluster.nodes,
    loadBalancer: pulumi.all([cluster.loadBalancerUrl, cluster.loadBalancerContainer]).apply(([url, container]) => ({
      url,
      driver: { kind: "docker" as const, container },
    })),
  };
}
