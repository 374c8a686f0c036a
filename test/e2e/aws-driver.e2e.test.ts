/**
 * The AWS chaos driver against moto's server (real AWS API calls through the real SDK, answered
 * by an emulator on 127.0.0.1; offline/moto.sh installs it). moto runs no instances: what it
 * shows is the API side (groups, standby, stop, start, terminate and the replacement).
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from "@aws-sdk/client-auto-scaling";
import { CreateLaunchTemplateCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsDriver } from "../../chaos/drivers/aws";
import { eventually, repoRoot } from "./harness";

const region = "eu-west-1";
let moto: ChildProcess | undefined;
let endpoint = "";

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => ok(port));
    });
    server.on("error", fail);
  });
}

beforeAll(async () => {
  const binary = execFileSync("bash", [path.join(repoRoot, "offline/moto.sh")], { encoding: "utf8" }).trim();
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn(binary, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  await eventually(
    "moto answering",
    async () =>
      fetch(`${endpoint}/moto-api/`).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
    500,
  );
});

afterAll(() => {
  moto?.kill("SIGTERM");
});

async function group(nodes: number): Promise<string> {
  const ec2 = new EC2Client({ region, endpoint });
  const autoscaling = new AutoScalingClient({ region, endpoint });
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.20.0.0/16" }));
  const subnets = await Promise.all(
    ["a", "b"].map((zone, i) =>
      ec2.send(
        new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: `10.20.${128 + i * 16}.0/20`, AvailabilityZone: `${region}${zone}` }),
      ),
    ),
  );
  const name = `kc-e2e-${Math.random().toString(36).slice(2, 8)}`;
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: { ImageId: "ami-12c6146b", InstanceType: "t3.micro", MetadataOptions: { HttpTokens: "required" } },
    }),
  );
  await autoscaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      MinSize: nodes,
      MaxSize: nodes + 1,
      DesiredCapacity: nodes,
      LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate?.LaunchTemplateId, Version: "$Latest" },
      VPCZoneIdentifier: subnets.map((s) => s.Subnet?.SubnetId).join(","),
    }),
  );
  return name;
}

const options = () => ({ endpoint, pollMs: 200, restoreTimeoutMs: 30_000 });
const handle = (autoScalingGroup: string) => ({ kind: "aws" as const, region, autoScalingGroup, httpPort: 8080, managementPort: 9000 });

describe("the aws driver against moto", () => {
  it("finds the group's instances at run time by their private addresses", async () => {
    const name = await group(2);
    const nodes = await new AwsDriver(handle(name), options()).nodes();
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      expect(node.id).toMatch(/^i-[0-9a-f]+$/);
      expect(node.httpUrl).toMatch(/^http:\/\/10\.20\.(128|144)\.\d+:8080$/);
      expect(node.managementUrl).toBe(node.httpUrl.replace(":8080", ":9000"));
    }
    // Which zone each instance lands in is moto's choice (it does not balance zones); the spread is asserted under mocks.
  });

  it("stop: puts the instance in Standby first, stops it, and restores it running and InService", async () => {
    const name = await group(2);
    const driver = new AwsDriver(handle(name), options());
    const [node] = await driver.nodes();
    const target = await driver.prepare(node, "stop");
    await driver.inject(target);
    const autoscaling = new AutoScalingClient({ region, endpoint });
    const lifecycle = async () =>
      (
        await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))
      ).AutoScalingGroups?.[0].Instances?.find((i) => i.InstanceId === node.id)?.LifecycleState;
    expect(await lifecycle()).toBe("Standby");
    expect(await driver.observe(target)).toMatchObject({ happened: true });
    // The group does not replace a node in Standby: still the same instances.
    expect((await driver.nodes()).map((n) => n.id)).not.toContain(node.id);
    await driver.restore(target);
    expect(await lifecycle()).toBe("InService");
    expect((await driver.nodes()).map((n) => n.id)).toContain(node.id);
  });

  it("terminate: the fault counts when the instance is gone; restore waits for a replacement InService with a new id", async () => {
    const name = await group(2);
    const driver = new AwsDriver(handle(name), options());
    const before = await driver.nodes();
    const target = await driver.prepare(before[0], "terminate");
    await driver.inject(target);
    await eventually("the instance terminated", async () => (await driver.observe(target)).happened, 20_000, 200);
    await driver.restore(target);
    const after = await driver.nodes();
    expect(after).toHaveLength(2);
    expect(after.map((n) => n.id)).not.toContain(before[0].id);
    expect(after.some((n) => !before.map((b) => b.id).includes(n.id))).toBe(true);
  });

  it("says what AWS answered when the group is not there, and refuses faults of other targets", async () => {
    const driver = new AwsDriver(handle("no-such-group"), options());
    await expect(driver.nodes()).rejects.toThrow("Auto Scaling group no-such-group does not exist in eu-west-1");
    const name = await group(1);
    const live = new AwsDriver(handle(name), options());
    const [node] = await live.nodes();
    await expect(live.prepare(node, "kill")).rejects.toThrow("the aws driver cannot kill a node (it can: stop, terminate)");
  });
});
