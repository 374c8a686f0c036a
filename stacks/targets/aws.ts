/** Target aws: its settings, defaults and rules. */
import { Target } from "../../components/keycloak/model";
import { TargetModule } from "./target";

export const awsFields = {};

export const awsTarget: TargetModule<typeof Target.Aws, Record<string, never>, never> = {
  target: Target.Aws,
  defaultPublicUrl: () => undefined,
  defaults: { keycloak: {}, database: {} },
  rules(_config, problem) {
    problem("target", 'the aws target is not built yet; use "docker" (pulumi config set target docker)');
  },
  settings() {
    throw new Error("internal error: the aws target is not built yet");
  },
};
