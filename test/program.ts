/** Runs the real Pulumi program (stacks/index.ts) under mocks with a given stack configuration. */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { ResourceRecorder, value } from "./mocks";

export interface ProgramRun {
  readonly recorder: ResourceRecorder;
  readonly outputs: Record<string, unknown>;
}

export interface ProgramFailure {
  readonly recorder: ResourceRecorder;
  readonly error: unknown;
}

export interface ProgramOptions {
  /** Top-level keys (without the namespace) stored as secrets. */
  readonly secretKeys?: readonly string[];
  /** Other namespaces' keys, e.g. { "docker:host": "tcp://..." }. */
  readonly providerConfig?: Readonly<Record<string, string>>;
}

/** Config as top-level keys of the namespace; objects are stored as JSON like Pulumi does. */
async function start(
  config: Record<string, unknown>,
  stack: string,
  options: ProgramOptions,
): Promise<{ recorder: ResourceRecorder; program: () => unknown }> {
  const recorder = new ResourceRecorder();
  await pulumi.runtime.setMocks(recorder.mocks(), "keycloak-cluster", stack, false);
  const all: Record<string, string> = { ...options.providerConfig };
  for (const [key, val] of Object.entries(config)) {
    all[`keycloak-cluster:${key}`] = typeof val === "string" ? val : JSON.stringify(val);
  }
  pulumi.runtime.setAllConfig(
    all,
    (options.secretKeys ?? []).map((k) => `keycloak-cluster:${k}`),
  );
  vi.resetModules();
  const module = (await import("../stacks/index.js")) as { default?: () => unknown };
  if (typeof module.default !== "function") {
    throw new Error("stacks/index.ts must export the program as a function (export =)");
  }
  return { recorder, program: module.default };
}

/** Runs the program; resolves every output before returning. */
export async function runProgram(config: Record<string, unknown>, stack = "dev", options: ProgramOptions = {}): Promise<ProgramRun> {
  const { recorder, program } = await start(config, stack, options);
  const outputs = (await program()) as Record<string, unknown>;
  // Resolve every output, then let the component's registerOutputs reach this run's monitor
  // before the next run replaces it.
  await Promise.all(Object.values(outputs).map((o) => value(o)));
  await new Promise((ok) => setTimeout(ok, 20));
  return { recorder, outputs };
}

/** Runs a program that must fail; returns the error and what was registered before it. */
export async function failProgram(config: Record<string, unknown>, stack = "bad", options: ProgramOptions = {}): Promise<ProgramFailure> {
  const { recorder, program } = await start(config, stack, options);
  try {
    await program();
  } catch (error) {
    await new Promise((ok) => setTimeout(ok, 20));
    return { recorder, error };
  }
  throw new Error("expected the program to fail");
}
