/**
 * Generated secrets on the real engine (test/e2e/programs/secrets: the cluster's secrets under a
 * component, no Keycloak): a rename with the alias keeps every value; a change that would replace
 * one is refused at preview and changes nothing; a rotation gives a new value and keeps the one
 * before; a protected secret (production stacks) is neither replaced on demand nor destroyed.
 */
import path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changes, requireToolchain } from "./harness";

const stackName = "e2e-secrets";
const workDir = path.join(__dirname, "programs", "secrets");

type Values = Record<string, string>;

async function values(stack: Stack): Promise<Values> {
  return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, String(v.value)]));
}

async function configure(stack: Stack, settings: Record<string, string | number | boolean | undefined>): Promise<void> {
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) {
      await stack.removeConfig(key);
    } else {
      await stack.setConfig(key, { value: String(value) });
    }
  }
}

/** The up's error text; fails the test when the up succeeds. */
async function refusedUp(stack: Stack): Promise<string> {
  const outcome = await stack.up({ onOutput: () => undefined }).then(
    () => undefined,
    (error: unknown) => String(error),
  );
  if (outcome === undefined) {
    throw new Error("expected the update to be refused");
  }
  return outcome;
}

describe("generated secrets on the real engine", () => {
  let stack: Stack;
  let first: Values;

  beforeAll(async () => {
    requireToolchain();
    const workspace = await LocalWorkspace.create({ workDir });
    await workspace.removeStack(stackName, { force: true }).catch(() => undefined);
    stack = await LocalWorkspace.createStack({ stackName, workDir });
    await configure(stack, { name: "cluster", protect: false, rotation: 0, sizedLength: 16 });
    expect((await stack.up({ onOutput: () => undefined })).summary.result).toBe("succeeded");
    first = await values(stack);
  });

  afterAll(async () => {
    if (stack) {
      // Protected resources cannot be destroyed: lift the protection first.
      await configure(stack, { name: "renamed", formerName: undefined, protect: false });
      await stack.up({ onOutput: () => undefined }).catch(() => undefined);
      await stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
      await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
    }
  });

  it("a rename with the alias keeps every secret: nothing created, nothing deleted, the same values", async () => {
    await configure(stack, { name: "renamed", formerName: "cluster" });
    const result = await stack.up({ onOutput: () => undefined });
    expect(changes(result.summary.resourceChanges)).toEqual({});
    expect(await values(stack)).toEqual(first);
  });

  it("a change that would replace a secret is refused at preview, with the reason; nothing changes", async () => {
    await configure(stack, { sizedLength: 20 });
    const error = await refusedUp(stack);
    expect(error).toContain("refusing to replace the sized secret: its length changed from 16 to 20");
    expect(error).toContain("keep the length; this secret has no rotation");
    await configure(stack, { sizedLength: 16 });
    expect(changes((await stack.up({ onOutput: () => undefined })).summary.resourceChanges)).toEqual({});
    expect(await values(stack)).toEqual(first);
  });

  it("a rotation gives a new value, keeps the one before, and touches no other secret", async () => {
    await configure(stack, { rotation: 1 });
    const result = await stack.up({ onOutput: () => undefined });
    // The rotating secret and the database password: updates in place, no replacement.
    expect(changes(result.summary.resourceChanges)).toEqual({ update: 2 });
    const rotated = await values(stack);
    expect(rotated.rotatingValue).not.toBe(first.rotatingValue);
    expect(rotated.rotatingPrevious).toBe(first.rotatingValue);
    expect(rotated.dbPassword).not.toBe(first.dbPassword);
    expect(rotated.dbPassword).toHaveLength(32);
    expect({ ...rotated, rotatingValue: "", rotatingPrevious: "", dbPassword: "" }).toEqual({
      ...first,
      rotatingValue: "",
      rotatingPrevious: "",
      dbPassword: "",
    });
    first = rotated;
  });

  it("protected (production): a forced replacement and a destroy are refused; every secret keeps its value", async () => {
    await configure(stack, { protect: true });
    expect((await stack.up({ onOutput: () => undefined })).summary.result).toBe("succeeded");
    const state = (await stack.exportStack()).deployment as { resources?: { urn: string; protect?: boolean }[] };
    const secrets = (state.resources ?? []).filter((r) => r.urn.includes("GeneratedSecret"));
    expect(secrets.map((r) => r.urn.split("::").pop()).sort()).toEqual([
      "renamed-admin-password",
      "renamed-client-secret",
      "renamed-db-password",
      "renamed-rotating",
      "renamed-sized",
      "renamed-test-user-seed",
    ]);
    expect(secrets.every((r) => r.protect === true)).toBe(true);

    const db = secrets.find((r) => r.urn.endsWith("::renamed-db-password"))?.urn ?? "";
    const replaced = await stack.up({ onOutput: () => undefined, replace: [db] }).then(
      () => "",
      (error: unknown) => String(error),
    );
    expect(replaced).toMatch(/protect/);
    const destroyed = await stack.destroy({ onOutput: () => undefined }).then(
      () => "",
      (error: unknown) => String(error),
    );
    expect(destroyed).toMatch(/protect/);

    expect(changes((await stack.up({ onOutput: () => undefined })).summary.resourceChanges)).toEqual({});
    expect(await values(stack)).toEqual(first);
  });
});
