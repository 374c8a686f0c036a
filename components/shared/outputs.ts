/**
 * The one shape of stack outputs every target produces and the chaos command reads (from a
 * stack through the Automation API, or from a JSON file of `pulumi stack output --json
 * --show-secrets`). Top-level keys are separate stack outputs so only the secret ones are secret.
 */
import { CacheMode, Environment, SessionMode, Target } from "../keycloak/model";

/** How the chaos command reaches a node to stop and start it, per target. */
export type DriverHandle =
  | { readonly kind: "docker"; readonly container: string }
  | { readonly kind: "kubernetes"; readonly namespace: string; readonly pod: string }
  | { readonly kind: "aws"; readonly region: string; readonly instanceId: string; readonly autoScalingGroup?: string };

export interface NodeEndpoint {
  /** Stable id within the cluster, e.g. kc-0. */
  readonly id: string;
  /** Infinispan node name; every AUTH_SESSION_ID cookie of a session this node created ends in `.<nodeName>`. */
  readonly nodeName: string;
  readonly driver: DriverHandle;
  /** Direct URL of the node's HTTP port (bypassing the load balancer). */
  readonly httpUrl: string;
  /** Direct URL of the node's management port (health, metrics). */
  readonly managementUrl: string;
}

export interface TestUserOutput {
  readonly username: string;
  readonly password: string;
}

/** Stack outputs, by output name. Secret ones are marked. */
export interface ClusterOutputs {
  readonly schemaVersion: 1;
  readonly target: Target;
  readonly environment: Environment;
  readonly sessionMode: SessionMode;
  readonly cacheMode: CacheMode;
  /** Number of nodes; every node must report this cluster size. */
  readonly clusterSize: number;
  /** Base URL through the load balancer. */
  readonly publicUrl: string;
  /** OpenID Connect issuer through the load balancer. */
  readonly issuerUrl: string;
  readonly realm: string;
  readonly clientId: string;
  /** Secret. */
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** Secret. */
  readonly testUsers: readonly TestUserOutput[];
  readonly adminUsername: string;
  /** Secret. */
  readonly adminPassword: string;
  readonly nodes: readonly NodeEndpoint[];
  readonly loadBalancer: { readonly url: string; readonly driver?: DriverHandle };
}

/** Output names that hold secrets. */
export const SecretOutputs = ["clientSecret", "testUsers", "adminPassword"] as const satisfies readonly (keyof ClusterOutputs)[];
