/**
 * The Pulumi program: read and validate the stack configuration (before any resource is
 * registered), then deploy the configured target. Stack outputs: see components/shared/outputs.ts.
 */
import { Target } from "../components/keycloak/model";
import { deployDocker } from "./docker";
import { loadStackModel } from "./load";
import { StackOutputs } from "./outputs";

function deploy(): StackOutputs {
  const model = loadStackModel();
  switch (model.spec.target) {
    case Target.Docker:
      if (!model.docker) {
        throw new Error("internal error: docker target without docker settings");
      }
      return deployDocker(model.spec, model.docker);
    default:
      // Refused by the configuration rules already; kept for exhaustiveness.
      throw new Error(`the ${model.spec.target} target is not built yet`);
  }
}

const outputs = deploy();

export const schemaVersion = outputs.schemaVersion;
export const target = outputs.target;
export const environment = outputs.environment;
export const sessionMode = outputs.sessionMode;
export const cacheMode = outputs.cacheMode;
export const clusterSize = outputs.clusterSize;
export const publicUrl = outputs.publicUrl;
export const issuerUrl = outputs.issuerUrl;
export const realm = outputs.realm;
export const clientId = outputs.clientId;
export const clientSecret = outputs.clientSecret;
export const redirectUri = outputs.redirectUri;
export const testUsers = outputs.testUsers;
export const adminUsername = outputs.adminUsername;
export const adminPassword = outputs.adminPassword;
export const nodes = outputs.nodes;
export const loadBalancer = outputs.loadBalancer;
