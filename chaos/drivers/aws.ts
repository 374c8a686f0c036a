/**
 * Breaks EC2 nodes through the AWS APIs (@aws-sdk/client-ec2, @aws-sdk/client-auto-scaling), as
 * AWS breaks things: an instance stopped (put in Standby first, so the group does not replace it
 * behind the run's back, and back InService after the start), or terminated in its group (the
 * group launches a replacement with a new id and address). The driver, not the stack's outputs,
 * finds the group's instances at run time.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, EC2Client, StartInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { DriverHandle } from "../../components/shared/outputs";
import { FaultKind } from "../events";
import { pollUntil } from "../poll";
import { DriverError, FaultTarget, LiveNode, NodeDriver, Observation } from "./driver";

type AwsHandle = Extract<DriverHandle, { kind: "aws" }>;

export interface AwsDriverOptions {
  /** An endpoint for both APIs (an emulator such as moto); absent: AWS's own. */
  readonly endpoint?: string;
  readonly pollMs?: number;
  /** How long a restore waits for the instance (or its replacement) InService. */
  readonly restoreTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface GroupInstance {
  readonly id: string;
  readonly lifecycle: string;
  readonly health: string;
}

export class AwsDriver implements NodeDriver {
  readonly kind = "aws";
  readonly faults = [FaultKind.Stop, FaultKind.Terminate] as const;
  private readonly ec2: EC2Client;
  private readonly autoscaling: AutoScalingClient;

  constructor(
    private readonly handle: AwsHandle,
    private readonly options: AwsDriverOptions = {},
  ) {
    const config = { region: handle.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) };
    this.ec2 = new EC2Client(config);
    this.autoscaling = new AutoScalingClient(config);
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const e = error as { name?: string; message?: string };
      throw new DriverError(`${what}: AWS answered ${e.name ?? "an error"}: ${e.message ?? String(error)}`);
    }
  }

  private async group(): Promise<{ desired: number; instances: GroupInstance[] }> {
    const answer = await this.call(`cannot describe Auto Scaling group ${this.handle.autoScalingGroup}`, () =>
      this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.handle.autoScalingGroup] })),
    );
    const group = answer.AutoScalingGroups?.[0];
    if (!group) {
      throw new DriverError(`Auto Scaling group ${this.handle.autoScalingGroup} does not exist in ${this.handle.region}`);
    }
    return {
      desired: group.DesiredCapacity ?? 0,
      instances: (group.Instances ?? []).map((i) => ({
        id: i.InstanceId ?? "",
        lifecycle: i.LifecycleState ?? "",
        health: i.HealthStatus ?? "",
      })),
    };
  }

  private async states(ids: readonly string[]): Promise<Map<string, { state: string; ip?: string }>> {
    if (ids.length === 0) {
      return new Map();
    }
    const answer = await this.call("cannot describe the instances", () =>
      this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [...ids] })),
    );
    const found = (answer.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    return new Map(found.map((i) => [i.InstanceId ?? "", { state: i.State?.Name ?? "unknown", ip: i.PrivateIpAddress }]));
  }

  /** The group's instances that are InService and running, by their private addresses (reached from inside the VPC). */
  async nodes(): Promise<LiveNode[]> {
    const { instances } = await this.group();
    const inService = instances.filter((i) => i.lifecycle === "InService").map((i) => i.id);
    const states = await this.states(inService);
    return inService
      .filter((id) => states.get(id)?.state === "running" && states.get(id)?.ip)
      .sort()
      .map((id) => {
        const ip = states.get(id)?.ip ?? "";
        return {
          id,
          nodeName: id,
          httpUrl: `http://${ip}:${this.handle.httpPort}`,
          managementUrl: `http://${ip}:${this.handle.managementPort}`,
        };
      });
  }

  async prepare(node: LiveNode, fault: FaultKind): Promise<FaultTarget> {
    if (!(this.faults as readonly FaultKind[]).includes(fault)) {
      throw new DriverError(`the aws driver cannot ${fault} a node (it can: ${this.faults.join(", ")})`);
    }
    const { instances } = await this.group();
    if (!instances.some((i) => i.id === node.id)) {
      throw new DriverError(`instance ${node.id} is not in Auto Scaling group ${this.handle.autoScalingGroup}`);
    }
    // The group's members before the fault, to tell a replacement from them.
    return {
      node: node.id,
      fault,
      ref: { instanceId: node.id, autoScalingGroup: this.handle.autoScalingGroup, members: instances.map((i) => i.id).join(",") },
    };
  }

  async inject(target: FaultTarget): Promise<void> {
    const { instanceId, autoScalingGroup } = target.ref;
    if (target.fault === FaultKind.Stop) {
      // Standby first: a stopped instance in service would be replaced by the group.
      await this.call(`cannot put ${instanceId} in Standby`, () =>
        this.autoscaling.send(
          new EnterStandbyCommand({
            AutoScalingGroupName: autoScalingGroup,
            InstanceIds: [instanceId],
            ShouldDecrementDesiredCapacity: true,
          }),
        ),
      );
      await this.call(`cannot stop ${instanceId}`, () => this.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })));
      return;
    }
    await this.call(`cannot terminate ${instanceId}`, () =>
      this.autoscaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }),
      ),
    );
  }

  async observe(target: FaultTarget): Promise<Observation> {
    const state = (await this.states([target.ref.instanceId])).get(target.ref.instanceId)?.state ?? "gone";
    const want = target.fault === FaultKind.Stop ? ["stopping", "stopped"] : ["shutting-down", "terminated", "gone"];
    return { happened: want.includes(state), detail: `instance ${target.ref.instanceId} is ${state} (want ${want.join(" or ")})` };
  }

  /** Stop: start it and bring it back InService. Terminate: wait for the replacement InService. */
  async restore(target: FaultTarget): Promise<void> {
    const { instanceId, autoScalingGroup } = target.ref;
    if (target.fault === FaultKind.Stop) {
      const state = (await this.states([instanceId])).get(instanceId)?.state;
      if (state === "stopped" || state === "stopping") {
        await this.waitFor(`${instanceId} stopped`, async () => (await this.states([instanceId])).get(instanceId)?.state === "stopped");
        await this.call(`cannot start ${instanceId}`, () => this.ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] })));
      }
      await this.waitFor(`${instanceId} running`, async () => (await this.states([instanceId])).get(instanceId)?.state === "running");
      const member = (await this.group()).instances.find((i) => i.id === instanceId);
      if (member?.lifecycle === "Standby") {
        await this.call(`cannot bring ${instanceId} out of Standby`, () =>
          this.autoscaling.send(new ExitStandbyCommand({ AutoScalingGroupName: autoScalingGroup, InstanceIds: [instanceId] })),
        );
      }
      await this.waitFor(`${instanceId} InService`, async () =>
        (await this.group()).instances.some((i) => i.id === instanceId && i.lifecycle === "InService"),
      );
      return;
    }
    const before = new Set(target.ref.members.split(","));
    await this.waitFor(`a replacement of ${instanceId} InService`, async () => {
      const { desired, instances } = await this.group();
      const inService = instances.filter((i) => i.lifecycle === "InService");
      return inService.length >= desired && inService.some((i) => !before.has(i.id));
    });
  }

  private async waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
    const last = await pollUntil(async () => ((await done()) ? { done: true } : { done: false, seen: "" }), {
      timeoutMs: this.options.restoreTimeoutMs ?? 900_000,
      intervalMs: this.options.pollMs ?? 5000,
      sleep: this.options.sleep,
    });
    if (!last.done) {
      throw new DriverError(`timed out waiting for ${what}`);
    }
  }
}
