/** Parsing stack configuration in tests: the problems of a refused one, the model of an accepted one. */
import { formatProblems, parseConfig, StackModel } from "../../stacks/config";
import { TargetContext } from "../../stacks/targets/target";

/** `path: message` of every problem; throws when the configuration is accepted. */
export function problemsOf(values: Record<string, unknown>, context: TargetContext): string[] {
  const result = parseConfig({ values, problems: [] }, context);
  if (result.ok) {
    throw new Error("expected the configuration to be refused");
  }
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

/** The model; throws with every problem when the configuration is refused. */
export function modelOf(values: Record<string, unknown>, context: TargetContext): StackModel {
  const result = parseConfig({ values, problems: [] }, context);
  if (!result.ok) {
    throw new Error(formatProblems(result.problems));
  }
  return result.model;
}

/** The model of a docker stack; throws for any other target. */
export function dockerModelOf(values: Record<string, unknown>, context: TargetContext) {
  const model = modelOf(values, context);
  if (model.target !== "docker") {
    throw new Error(`expected a docker model, got ${model.target}`);
  }
  return model;
}
