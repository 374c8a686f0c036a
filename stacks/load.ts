/** Reads the stack's configuration (the only place that does) and validates it. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig, StackModel, throwProblems } from "./config";
import { decodeConfig } from "./decode";
import { TargetContext } from "./targets/target";

/** Pulumi's record of which configuration keys are secret (the runtime exports it, its typings do not). */
function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret !== "function") {
    throw new Error("internal error: this @pulumi/pulumi has no runtime.isConfigSecret; secret settings cannot be told apart");
  }
  return runtime.isConfigSecret(key);
}

/**
 * The project's folder (where Pulumi.yaml is): files the configuration names are read from there,
 * whatever the program's working directory (the language host runs it from stacks/).
 */
export function projectRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      return process.cwd();
    }
  }
}

/** What the target modules may know beyond the namespace: provider settings and the deploying environment. */
export function targetContext(all: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv, stack: string): TargetContext {
  const root = projectRoot();
  return {
    stack,
    provider: { "docker:host": all["docker:host"], DOCKER_HOST: env.DOCKER_HOST, KUBECONFIG: env.KUBECONFIG, HOME: env.HOME },
    readFile: (relativePath) => readFileSync(path.join(root, relativePath), "utf8"),
  };
}

/** The validated model of this stack; throws one error listing every problem. */
export function loadStackModel(): StackModel {
  const all = pulumi.runtime.allConfig();
  const result = parseConfig(decodeConfig(all, isConfigSecret), targetContext(all, process.env, pulumi.getStack()));
  if (!result.ok) {
    throwProblems(result.problems);
  }
  return result.model;
}
