/** What breaks a node, behind one interface per target (docker now; kubernetes and aws with their targets). */
import { FaultKind } from "../events";
import { DriverHandle, NodeEndpoint } from "../../components/shared/outputs";

/** What the target's runtime says about a node. */
export type RuntimeState = "running" | "stopped" | "paused" | "missing";

export interface NodeDriver {
  /** Which handles this driver understands. */
  readonly kind: DriverHandle["kind"];
  /** Breaks the node. */
  inject(node: NodeEndpoint, fault: FaultKind): Promise<void>;
  /** Undoes the fault; a no-op on a node that is already running. */
  restore(node: NodeEndpoint, fault: FaultKind): Promise<void>;
  state(node: NodeEndpoint): Promise<RuntimeState>;
}

/** The runtime state a fault must leave the node in. */
export function expectedState(fault: FaultKind): RuntimeState {
  return fault === "pause" ? "paused" : "stopped";
}

export class DriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DriverError";
  }
}
