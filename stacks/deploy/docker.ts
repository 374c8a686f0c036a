/** Wiring for target docker: the provider (on the stack's engine) and the component. */
import * as docker from "@pulumi/docker";
import { DockerTargetSpec } from "../../components/docker/containers";
import { DockerKeycloakCluster } from "../../components/docker/keycloak-cluster";
import { ClusterSpec } from "../../components/keycloak/model";
import { KeycloakClusterParts } from "../../components/shared/cluster";

export function deployDocker(spec: ClusterSpec, target: DockerTargetSpec): KeycloakClusterParts {
  // The engine is explicit, so the chaos command's driver (from the outputs) reaches the same one.
  const provider = new docker.Provider("docker", target.host ? { host: target.host } : {});
  return new DockerKeycloakCluster("keycloak", { spec, docker: target }, { providers: { docker: provider } });
}
