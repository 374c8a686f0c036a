/** Wiring for targets kubernetes and openshift: the provider (its kubeconfig kept secret) and the component. */
import * as k8s from "@pulumi/kubernetes";
import { ClusterSpec } from "../../components/keycloak/model";
import { KubernetesKeycloakCluster } from "../../components/kubernetes/keycloak-cluster";
import { KeycloakClusterParts } from "../../components/shared/cluster";
import { secretInput } from "../../components/shared/secret";
import { KubernetesDeployment } from "../targets/kubernetes";

export function deployKubernetes(spec: ClusterSpec, deployment: KubernetesDeployment): KeycloakClusterParts {
  // Secret: the kubeconfig carries credentials, and the provider's inputs are stored in the state.
  const provider = new k8s.Provider("kubernetes", {
    kubeconfig: secretInput(deployment.provider.kubeconfig),
    ...(deployment.provider.context ? { context: deployment.provider.context } : {}),
    enableServerSideApply: true,
  });
  return new KubernetesKeycloakCluster("keycloak", { spec, kubernetes: deployment.target }, { providers: { kubernetes: provider } });
}
