/**
 * Pure parts of the aws target: subnet addresses and the security rules, least privilege:
 * the load balancer takes 443 (and 80, to redirect) from the given CIDRs; the nodes take 8080
 * and 9000 from the load balancer only, 7800 and 57800 from each other only; the database takes
 * 5432 from the nodes only.
 */
import { KeycloakPorts, PostgresPort } from "../keycloak/settings";

/** The `index`-th subnet of `cidr` with `newBits` more prefix bits (like Terraform's cidrsubnet). */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const [address, prefixText] = cidr.split("/");
  const prefix = Number(prefixText) + newBits;
  if (prefix > 32 || index >= 2 ** newBits) {
    throw new Error(`cannot take subnet ${index} of ${cidr} with ${newBits} more bits`);
  }
  const base = address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
  const value = base + index * 2 ** (32 - prefix);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".")}/${prefix}`;
}

/** Public subnet i and private subnet i of the VPC (/20s: room for 16 zones each). */
export function subnetCidrs(vpcCidr: string, zones: number): { public: string[]; private: string[] } {
  return {
    public: Array.from({ length: zones }, (_, i) => cidrSubnet(vpcCidr, 4, i)),
    private: Array.from({ length: zones }, (_, i) => cidrSubnet(vpcCidr, 4, 8 + i)),
  };
}

export type Peer = { readonly cidr: string } | { readonly group: "lb" | "nodes" | "db" };

export interface Rule {
  /** Whose rule it is. */
  readonly group: "lb" | "nodes" | "db";
  readonly direction: "ingress" | "egress";
  readonly port: number;
  readonly peer: Peer;
  readonly description: string;
}

export function securityRules(ingressCidrs: readonly string[], plainHttp: boolean): Rule[] {
  const rules: Rule[] = [];
  for (const cidr of ingressCidrs) {
    rules.push({ group: "lb", direction: "ingress", port: 443, peer: { cidr }, description: "HTTPS from the allowed clients" });
    rules.push({
      group: "lb",
      direction: "ingress",
      port: 80,
      peer: { cidr },
      description: plainHttp ? "HTTP from the allowed clients (dev only)" : "HTTP, only to redirect to HTTPS",
    });
  }
  for (const [port, what] of [
    [KeycloakPorts.http, "traffic"],
    [KeycloakPorts.management, "health checks"],
  ] as const) {
    rules.push({ group: "lb", direction: "egress", port, peer: { group: "nodes" }, description: `to the nodes: ${what}` });
    rules.push({ group: "nodes", direction: "ingress", port, peer: { group: "lb" }, description: `from the load balancer: ${what}` });
  }
  for (const port of [KeycloakPorts.jgroups, KeycloakPorts.jgroupsFailureDetection]) {
    rules.push({ group: "nodes", direction: "ingress", port, peer: { group: "nodes" }, description: "cluster traffic between the nodes" });
  }
  rules.push({ group: "db", direction: "ingress", port: PostgresPort, peer: { group: "nodes" }, description: "PostgreSQL from the nodes" });
  return rules;
}
