/** Generated secrets never change by accident: a new value only from an explicit rotation; a replacement is refused with its reason. */
import { describe, expect, it } from "vitest";
import { GeneratedSecretState, replacementRefusal, rotatedState } from "../../../components/shared/generated-secret";

const db = { length: 32, purpose: "the database password", rotation: 0, rotateWith: "raise database.passwordRotation" };
const stored: GeneratedSecretState = { ...db, value: "old-value", previous: "" };
const generate = (length: number) => "n".repeat(length);

describe("replacementRefusal", () => {
  it("refuses a new length without a rotation, naming the secret, both lengths and how to rotate on purpose", () => {
    expect(replacementRefusal(db, { ...db, length: 48 })).toBe(
      "refusing to replace the database password: its length changed from 32 to 48, and a new value would reach the nodes but not what already uses the old one (PostgreSQL's role, Keycloak's admin user, the test users): keep the length, or rotate it on purpose: raise database.passwordRotation",
    );
  });

  it("says so when the secret has no rotation", () => {
    const admin = { length: 24, purpose: "the admin password" };
    expect(replacementRefusal(admin, { ...admin, length: 30 })).toMatch(
      /the admin password: .*keep the length; this secret has no rotation/,
    );
  });

  it("lets an unchanged length through, and a new length that comes with a rotation", () => {
    expect(replacementRefusal(db, { ...db, purpose: "reworded" })).toBeUndefined();
    expect(replacementRefusal(db, { ...db, length: 48, rotation: 1 })).toBeUndefined();
  });

  it("treats state written before rotations existed as generation 0", () => {
    const old = { length: 32, purpose: "" };
    expect(replacementRefusal(old, db)).toBeUndefined();
    expect(rotatedState({ ...old, value: "v" }, db, generate).value).toBe("v");
  });
});

describe("rotatedState", () => {
  it("keeps the value while the rotation is unchanged", () => {
    expect(rotatedState(stored, { ...db, purpose: "reworded" }, generate)).toEqual({
      ...db,
      purpose: "reworded",
      value: "old-value",
      previous: "",
    });
  });

  it("generates a new value of the new length on a rotation and keeps the one before it", () => {
    expect(rotatedState(stored, { ...db, rotation: 1, length: 40 }, generate)).toEqual({
      ...db,
      rotation: 1,
      length: 40,
      value: "n".repeat(40),
      previous: "old-value",
    });
  });
});
