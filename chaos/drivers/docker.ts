/** Breaks Docker containers through the Docker API, on the engine the stack deployed to. */
import Docker from "dockerode";
import { engineOptions as dockerEngineOptions } from "../../components/docker/engine";
import { DriverHandle } from "../../components/shared/outputs";
import { FaultKind } from "../events";
import { DriverError, FaultTarget, LiveNode, NodeDriver, Observation } from "./driver";

/** Seconds a graceful stop waits before SIGKILL. */
export const StopTimeoutSeconds = 30;

type DockerHandle = Extract<DriverHandle, { kind: "docker" }>;

/** The part of dockerode this driver uses (tests give a fake). */
export interface DockerApi {
  getContainer(name: string): Pick<Docker.Container, "stop" | "kill" | "pause" | "unpause" | "start" | "inspect">;
}

/** dockerode options for the stack's engine; an address it cannot reach is a driver error. */
export function engineOptions(host: string | undefined): Docker.DockerOptions | undefined {
  try {
    return dockerEngineOptions(host);
  } catch (error) {
    throw new DriverError((error as Error).message);
  }
}

type RuntimeState = "running" | "stopped" | "paused" | "missing";

export class DockerDriver implements NodeDriver {
  readonly kind = "docker";
  readonly faults = [FaultKind.Kill, FaultKind.Stop, FaultKind.Pause] as const;

  constructor(
    private readonly handle: DockerHandle,
    private readonly docker: DockerApi = new Docker(engineOptions(handle.host)),
  ) {}

  async nodes(): Promise<LiveNode[]> {
    // Published ports are fixed by the stack: the node list is the deployed one.
    return this.handle.nodes.map(({ id, nodeName, httpUrl, managementUrl }) => ({ id, nodeName, httpUrl, managementUrl }));
  }

  async prepare(node: LiveNode, fault: FaultKind): Promise<FaultTarget> {
    if (!(this.faults as readonly FaultKind[]).includes(fault)) {
      throw new DriverError(`the docker driver cannot ${fault} a node (it can: ${this.faults.join(", ")})`);
    }
    const container = this.handle.nodes.find((n) => n.id === node.id)?.container;
    if (!container) {
      throw new DriverError(`node ${node.id} is not a container of this stack`);
    }
    return { node: node.id, fault, ref: { container } };
  }

  async inject(target: FaultTarget): Promise<void> {
    const container = this.docker.getContainer(target.ref.container);
    switch (target.fault) {
      case FaultKind.Stop:
        await container.stop({ t: StopTimeoutSeconds });
        return;
      case FaultKind.Kill:
        await container.kill({ signal: "SIGKILL" });
        return;
      case FaultKind.Pause:
        await container.pause();
        return;
      default:
        throw new DriverError(`the docker driver cannot ${target.fault} a node`);
    }
  }

  async observe(target: FaultTarget): Promise<Observation> {
    const state = await this.state(target.ref.container);
    const want: RuntimeState = target.fault === FaultKind.Pause ? "paused" : "stopped";
    return { happened: state === want, detail: `container ${target.ref.container} is ${state} (want ${want})` };
  }

  async restore(target: FaultTarget): Promise<void> {
    const container = this.docker.getContainer(target.ref.container);
    // Undo what is there, whatever the fault was meant to be (a record may be stale).
    switch (await this.state(target.ref.container)) {
      case "missing":
        throw new DriverError(`container ${target.ref.container} of node ${target.node} is gone; run pulumi up to recreate it`);
      case "paused":
        await container.unpause();
        return;
      case "stopped":
        await container.start();
        return;
      case "running":
        return;
    }
  }

  private async state(name: string): Promise<RuntimeState> {
    try {
      const info = await this.docker.getContainer(name).inspect();
      if (info.State.Paused) {
        return "paused";
      }
      return info.State.Running ? "running" : "stopped";
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) {
        return "missing";
      }
      throw error;
    }
  }
}
