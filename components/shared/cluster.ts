/** What every target's cluster component exposes, so one builder turns any of them into the stack outputs. */
import * as pulumi from "@pulumi/pulumi";
import { TestUser } from "../keycloak/realm";
import { DriverHandle } from "./outputs";

/** How the target's load balancer takes a node out and retries, as the component configured it. */
export interface LoadBalancerTiming {
  readonly healthCheck: { readonly intervalSeconds: number; readonly timeoutSeconds: number; readonly fall: number };
  /** Safe requests (GET/HEAD) go to another node after this long without an answer; null: never retried. */
  readonly safeRetryAfterSeconds: number | null;
}

export interface KeycloakClusterParts {
  /** Stable identity of the cluster, e.g. docker/kc-dev. */
  readonly clusterId: pulumi.Output<string>;
  /** OpenID Connect issuer (fixed by the public URL). */
  readonly issuerUrl: pulumi.Output<string>;
  /** Where clients reach the load balancer from where the stack runs. */
  readonly loadBalancerUrl: pulumi.Output<string>;
  /** How the chaos command reaches the cluster's runtime. */
  readonly driver: pulumi.Output<DriverHandle>;
  readonly clientSecret: pulumi.Output<string>;
  readonly adminPassword: pulumi.Output<string>;
  readonly testUsers: pulumi.Output<TestUser[]>;
  readonly loadBalancerTiming: LoadBalancerTiming;
}

/**
 * The base of every target's cluster component: the parts as public outputs, set once by
 * `expose` at the end of the constructor, which also registers them (with any extra outputs).
 */
export abstract class KeycloakClusterComponent extends pulumi.ComponentResource implements KeycloakClusterParts {
  declare public readonly clusterId: pulumi.Output<string>;
  declare public readonly issuerUrl: pulumi.Output<string>;
  declare public readonly loadBalancerUrl: pulumi.Output<string>;
  declare public readonly driver: pulumi.Output<DriverHandle>;
  declare public readonly clientSecret: pulumi.Output<string>;
  declare public readonly adminPassword: pulumi.Output<string>;
  declare public readonly testUsers: pulumi.Output<TestUser[]>;
  declare public readonly loadBalancerTiming: LoadBalancerTiming;

  protected expose(parts: KeycloakClusterParts, extra: pulumi.Inputs = {}): void {
    Object.assign(this, parts);
    this.registerOutputs({ clusterId: parts.clusterId, driver: parts.driver, ...extra });
  }
}
