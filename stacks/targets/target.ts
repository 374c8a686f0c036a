/** What each target's configuration module provides: its defaults, its rules and its typed settings. */
import { ResourceSpec, Target } from "../../components/keycloak/model";
import type { LenientConfig, RawConfig } from "../schema";

/** Records one problem: the key path (without the namespace) and what is wrong and how to fix it. */
export type Problem = (path: string, message: string) => void;

/** What the configuration alone does not say. */
export interface TargetContext {
  /** The stack's name. */
  readonly stack: string;
  /** Provider settings from the stack (e.g. `docker:host`) and the deploying process's environment. */
  readonly provider: Readonly<Record<string, string | undefined>>;
  /** Reads a file by its path from the project's folder, where Pulumi.yaml is (default: from the working directory). */
  readonly readFile?: (relativePath: string) => string;
}

export interface TargetModule<T extends Target, Own, S> {
  readonly target: T;
  /** The public URL when keycloak.hostname is unset; undefined when this target needs one set. */
  defaultPublicUrl(config: LenientConfig, context: TargetContext): string | undefined;
  /** Requests and limits of each Keycloak node and of a managed database when none are set. */
  readonly defaults: {
    readonly keycloak: ResourceSpec;
    readonly database: ResourceSpec;
    readonly storageGb?: number;
  };
  /** Rules over the shared settings and the target's own; runs on whatever passed the schema. */
  rules(config: LenientConfig, problem: Problem, context: TargetContext): void;
  /** The target's typed settings, from a configuration that passed every check (`own`: its section, defaults filled). */
  settings(config: RawConfig, own: Own, context: TargetContext): S;
}
