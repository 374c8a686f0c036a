/** Wiring for target aws: the provider (its region) and the component. */
import * as aws from "@pulumi/aws";
import { AwsKeycloakCluster } from "../../components/aws/keycloak-cluster";
import { AwsTargetSpec } from "../../components/aws/spec";
import { ClusterSpec } from "../../components/keycloak/model";
import { KeycloakClusterParts } from "../../components/shared/cluster";

export function deployAws(spec: ClusterSpec, target: AwsTargetSpec): KeycloakClusterParts {
  // Credentials come from the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...), as for the AWS CLI.
  const provider = new aws.Provider("aws", { region: target.region as aws.Region });
  return new AwsKeycloakCluster("keycloak", { spec, aws: target }, { providers: { aws: provider } });
}
