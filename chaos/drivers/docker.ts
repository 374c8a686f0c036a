/** Breaks Docker containers by name (from the stack outputs) through the Docker API. */
import Docker from "dockerode";
import { NodeEndpoint } from "../../components/shared/outputs";
import { FaultKind } from "../events";
import { DriverError, NodeDriver, RuntimeState } from "./driver";

/** Seconds a graceful stop waits before SIGKILL. */
export const StopTimeoutSeconds = 30;

export class DockerDriver implements NodeDriver {
  readonly kind = "docker";

  constructor(private readonly docker: Docker = new Docker()) {}

  private container(node: NodeEndpoint): Docker.Container {
    if (node.driver.kind !== "docker") {
      throw new DriverError(`node ${node.id} has a ${node.driver.kind} handle; the docker driver needs a container name`);
    }
    return this.docker.getContainer(node.driver.container);
  }

  async inject(node: NodeEndpoint, fault: FaultKind): Promise<void> {
    const container = this.container(node);
    switch (fault) {
      case "stop":
        await container.stop({ t: StopTimeoutSeconds });
        return;
      case "kill":
        await container.kill({ signal: "SIGKILL" });
        return;
      case "pause":
        await container.pause();
        return;
    }
  }

  async restore(node: NodeEndpoint, fault: FaultKind): Promise<void> {
    const container = this.container(node);
    const state = await this.state(node);
    if (state === "missing") {
      throw new DriverError(`container of node ${node.id} is gone; run pulumi up to recreate it`);
    }
    // Undo what is there, whatever the fault was meant to be (a record may be stale).
    if (state === "paused") {
      await container.unpause();
    } else if (state === "stopped") {
      await container.start();
    }
    void fault;
  }

  async state(node: NodeEndpoint): Promise<RuntimeState> {
    try {
      const info = await this.container(node).inspect();
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
