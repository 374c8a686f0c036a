/** The driver for a stack's runtime, from the handle in its outputs. */
import { DriverHandle } from "../../components/shared/outputs";
import { AwsDriver } from "./aws";
import { DockerDriver } from "./docker";
import { KubernetesDriver } from "./kubernetes";
import { NodeDriver } from "./driver";

export function createDriver(handle: DriverHandle): NodeDriver {
  switch (handle.kind) {
    case "docker":
      return new DockerDriver(handle);
    case "kubernetes":
      return new KubernetesDriver(handle);
    case "aws":
      // AWS_ENDPOINT_URL (the SDKs' own setting) points both clients at an emulator when set.
      return new AwsDriver(handle);
  }
}
