/** Runs the real Pulumi program (stacks/index.ts) under mocks with a given stack configuration. */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { ResourceRecorder, value } from "./mocks";

export interface ProgramRun {
  readonly recorder: ResourceRecorder;
  readonly outputs: Record<string, unknown>;
}

/** Config as top-level keys of the namespace; objects are stored as JSON like Pulumi does. */
export async function runProgram(config: Record<string, unknown>, stack = "dev"): Promise<ProgramRun> {
  const recorder = new ResourceRecorder();
  await pulumi.runtime.setMocks(recorder.mocks(), "keycloak-cluster", stack, false);
  const all: Record<string, string> = {};
  for (const [key, val] of Object.entries(config)) {
    all[`keycloak-cluster:${key}`] = typeof val === "string" ? val : JSON.stringify(val);
  }
  pulumi.runtime.setAllConfig(all);
  vi.resetModules();
  const outputs = (await import("../stacks/index.js")) as Record<string, unknown>;
  // Resolve every output, then let the component's registerOutputs reach this run's monitor
  // before the next run replaces it.
  await Promise.all(Object.values(outputs).map((o) => value(o)));
  await new Promise((ok) => setTimeout(ok, 20));
  return { recorder, outputs };
}
