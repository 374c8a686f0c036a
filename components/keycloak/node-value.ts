/**
 * Per-node values that may only be known at run time. A target says where each one comes
 * from; the Keycloak settings module decides which options take them; each target only maps
 * the three sources to its own mechanism (an environment value, the downward API, a shell
 * variable read from the instance metadata at boot).
 */

/** Fields of a pod that the Kubernetes downward API hands to a container. */
export type PodField = "metadata.name" | "metadata.namespace" | "status.podIP" | "spec.nodeName";

/** What an EC2 instance reads from its metadata service (IMDSv2) at boot. */
export type InstanceField = "instance-id" | "local-ipv4" | "placement/availability-zone";

export type NodeValue =
  /** Known when the stack is deployed (Docker: the container name). */
  | { readonly source: "literal"; readonly value: string }
  /** From the pod, through the downward API (Kubernetes, OpenShift). */
  | { readonly source: "pod"; readonly field: PodField }
  /** From the instance metadata at boot (EC2). */
  | { readonly source: "instance"; readonly field: InstanceField };

export const NodeValue = {
  literal: (value: string): NodeValue => ({ source: "literal", value }),
  pod: (field: PodField): NodeValue => ({ source: "pod", field }),
  instance: (field: InstanceField): NodeValue => ({ source: "instance", field }),
} as const;

/** The literal text of a value; throws for run-time values (a target that can only take literals). */
export function literalValue(name: string, value: NodeValue): string {
  if (value.source !== "literal") {
    throw new Error(`internal error: ${name} comes from the ${value.source} (${value.field}), which this target cannot supply`);
  }
  return value.value;
}
