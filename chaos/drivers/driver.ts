/**
 * What breaks a node, behind one interface every target implements (docker now; kubernetes and
 * aws with their targets). The driver, not the stack outputs, says where each node is right now,
 * and whether a fault really happened as that target sees it.
 */
import { DriverHandle } from "../../components/shared/outputs";
import { FaultKind } from "../events";

/** A node as it is at run time. */
export interface LiveNode {
  /** Stable id within the cluster for reports (kc-0; a pod name; an instance id). */
  readonly id: string;
  /** Infinispan node name; every AUTH_SESSION_ID cookie of a session this node created ends in `.<nodeName>`. */
  readonly nodeName: string;
  /** Direct URL of the node's HTTP port, as the chaos command reaches it now. */
  readonly httpUrl: string;
  /** Direct URL of the node's management port (health, metrics). */
  readonly managementUrl: string;
}

/**
 * One fault on one node, resolved before anything is broken, so the restore record can name it
 * first: `ref` holds what the target needs to undo it or to tell it happened (a container name, a
 * pod's uid, an instance id). Plain JSON: it is written to the restore record.
 */
export interface FaultTarget {
  readonly node: string;
  readonly fault: FaultKind;
  readonly ref: Readonly<Record<string, string>>;
}

/** Whether a fault is in effect as the target's runtime sees it. */
export interface Observation {
  readonly happened: boolean;
  /** What the runtime said, for the report. */
  readonly detail: string;
}

export interface NodeDriver {
  readonly kind: DriverHandle["kind"];
  /** The faults this driver can inject; the first is the default. */
  readonly faults: readonly [FaultKind, ...FaultKind[]];
  /** The cluster's nodes as they are now. */
  nodes(): Promise<LiveNode[]>;
  /** Resolves what `fault` on `node` will break; touches nothing. */
  prepare(node: LiveNode, fault: FaultKind): Promise<FaultTarget>;
  /** Breaks it. */
  inject(target: FaultTarget): Promise<void>;
  /** Whether the fault happened (docker: the container is stopped or paused; kubernetes: the pod that held the sessions is gone). */
  observe(target: FaultTarget): Promise<Observation>;
  /** Undoes the fault, or waits until the target has replaced what it broke; a no-op when there is nothing left to undo. */
  restore(target: FaultTarget): Promise<void>;
}

export class DriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DriverError";
  }
}
