/**
 * A secret value from stack configuration. It never prints itself (messages, JSON, `util.inspect`
 * all show "[secret]"), and components turn it into a Pulumi secret with {@link secretInput}, so a
 * value the user stored with `--secret` stays secret in state and outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { inspect } from "node:util";

export class SecretText {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plain value: only for handing it to Pulumi as a secret, or to a validation rule. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return "[secret]";
  }

  toJSON(): string {
    return "[secret]";
  }

  [inspect.custom](): string {
    return "[secret]";
  }
}

/** The value as a Pulumi secret. */
export function secretInput(text: SecretText): pulumi.Output<string> {
  return pulumi.secret(text.reveal());
}
