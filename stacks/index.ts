/**
 * The Pulumi program: read and validate the stack configuration (before any resource is
 * registered), deploy the configured target, and return the stack outputs (the documented shape,
 * components/shared/outputs.ts, built by stacks/outputs.ts for every target).
 */
import { Target } from "../components/keycloak/model";
import { StackModel } from "./config";
import { deployAws } from "./deploy/aws";
import { deployDocker } from "./deploy/docker";
import { deployKubernetes } from "./deploy/kubernetes";
import { loadStackModel } from "./load";
import { StackOutputs, stackOutputs } from "./outputs";

function deploy(model: StackModel): StackOutputs {
  switch (model.target) {
    case Target.Docker:
      return stackOutputs(model.target, model.spec, deployDocker(model.spec, model.docker));
    case Target.Kubernetes:
      return stackOutputs(model.target, model.spec, deployKubernetes(model.spec, model.kubernetes));
    case Target.OpenShift:
      return stackOutputs(model.target, model.spec, deployKubernetes(model.spec, model.openshift));
    case Target.Aws:
      return stackOutputs(model.target, model.spec, deployAws(model.spec, model.aws));
  }
}

export = (): StackOutputs => deploy(loadStackModel());
