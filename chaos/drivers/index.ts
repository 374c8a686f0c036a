/** The driver for a stack's runtime, from the handle in its outputs. */
import { DriverHandle } from "../../components/shared/outputs";
import { DockerDriver } from "./docker";
import { KubernetesDriver } from "./kubernetes";
import { DriverError, NodeDriver } from "./driver";

export function createDriver(handle: DriverHandle): NodeDriver {
  switch (handle.kind) {
    case "docker":
      return new DockerDriver(handle);
    case "kubernetes":
      return new KubernetesDriver(handle);
    case "aws":
      throw new DriverError(`no ${handle.kind} driver yet (only docker is built)`);
  }
}
