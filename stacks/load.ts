/** Reads the stack's configuration (the only place that does) and validates it. */
import * as pulumi from "@pulumi/pulumi";
import { Namespace, parseConfig, StackModel, throwProblems } from "./config";

/** The namespace's keys, structured values decoded from the JSON Pulumi stores them as. */
export function rawConfig(all: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith(`${Namespace}:`)) {
      continue;
    }
    raw[key.slice(Namespace.length + 1)] = decode(value);
  }
  return raw;
}

function decode(value: string): unknown {
  const trimmed = value.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}

/** The validated model of this stack; throws one error listing every problem. */
export function loadStackModel(): StackModel {
  const result = parseConfig(rawConfig(pulumi.runtime.allConfig()), pulumi.getStack());
  if (!result.ok) {
    throwProblems(result.problems);
  }
  return result.model;
}
