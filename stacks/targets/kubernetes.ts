/** Targets kubernetes and openshift: their settings, defaults and rules. */
import { Target } from "../../components/keycloak/model";
import { TargetModule } from "./target";

export const kubernetesFields = {};
export const openshiftFields = {};

function notBuilt<T extends typeof Target.Kubernetes | typeof Target.OpenShift>(target: T): TargetModule<T, Record<string, never>, never> {
  return {
    target,
    defaultPublicUrl: () => undefined,
    defaults: { keycloak: {}, database: {} },
    rules(_config, problem) {
      problem("target", `the ${target} target is not built yet; use "docker" (pulumi config set target docker)`);
    },
    settings() {
      throw new Error(`internal error: the ${target} target is not built yet`);
    },
  };
}

export const kubernetesTarget = notBuilt(Target.Kubernetes);
export const openshiftTarget = notBuilt(Target.OpenShift);
