/** What the kubernetes and openshift targets know beyond the shared model. */

/** Plain Kubernetes or OpenShift (restricted-v2 SCC: no fixed user or group ids; a Route instead of an Ingress). */
export type Flavor = "kubernetes" | "openshift";

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";
export type PullPolicy = "Always" | "IfNotPresent" | "Never";
export type RouteTermination = "edge" | "reencrypt";

export interface KubernetesTargetSpec {
  readonly flavor: Flavor;
  /** Namespace of every object. */
  readonly namespace: string;
  /** Create the namespace (true) or use an existing one (false). */
  readonly createNamespace: boolean;
  /** Base name of the objects (`<name>-kc`, `<name>-db`, ...). */
  readonly name: string;
  /** PostgreSQL image of a managed database. */
  readonly databaseImage: string;
  /** Storage class of the database's volume; absent: the cluster's default. */
  readonly storageClass?: string;
  readonly imagePullPolicy: PullPolicy;
  /** The Service in front of the nodes (the Ingress or Route points at it). */
  readonly service: { readonly type: ServiceType; readonly nodePort?: number };
  /** Kubernetes only: the Ingress (class, TLS secret). */
  readonly ingress?: { readonly className?: string; readonly tlsSecret?: string };
  /** OpenShift only: the Route's TLS termination. */
  readonly route?: { readonly termination: RouteTermination };
  /**
   * CIDRs allowed to reach the management port 9000 (health, metrics): the nodes' addresses
   * (kubelet probes) and the chaos runner's. Never the Ingress or Route.
   */
  readonly managementFrom: readonly string[];
  /** Seconds a stopping pod keeps serving (preStop) so the Service and Ingress drain it first. */
  readonly preStopSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  /**
   * Tests only, against an API server without nodes: the provider's `pulumi.com/skipAwait`
   * annotation on every object. Never a default; refused in production.
   */
  readonly skipAwait: boolean;
  /**
   * The most pods the stack may scale to: the startup probe asks pods 0 … maxNodes-1, so the pod
   * template does not change with the number of pods (scaling rolls no pod).
   */
  readonly maxNodes: number;
  /** User names bound to the chaos runner's Role (pods: get, list, watch, delete). */
  readonly chaosUsers: readonly string[];
  /** Where the chaos command reaches the Service (default: the public URL). */
  readonly accessUrl: string;
  /** The API server's URL, for the chaos command's driver (credentials come from its own kubeconfig). */
  readonly server: string;
}
