/** The aws target's network: a new VPC with public and private subnets in every zone, or the subnets of one that exists. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { subnetCidrs } from "./rules";
import { AwsTargetSpec } from "./spec";

export interface Network {
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: pulumi.Input<string>[];
  readonly privateSubnetIds: pulumi.Input<string>[];
}

/** Where a piece of the component creates its resources: the component's name, prefix, tags and parent. */
export interface Scope {
  readonly name: string;
  readonly prefix: string;
  readonly tags: Record<string, string>;
  readonly opts: pulumi.CustomResourceOptions;
}

export function newNetwork(scope: Scope, target: AwsTargetSpec): Network {
  const { name, prefix, tags, opts } = scope;
  if (!target.vpc.create) {
    throw new Error("internal error: newNetwork for an existing VPC");
  }
  const zones = target.availabilityZones;
  const cidrs = subnetCidrs(target.vpc.cidr, zones.length);
  const vpc = new aws.ec2.Vpc(
    `${name}-vpc`,
    { cidrBlock: target.vpc.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: { ...tags, Name: prefix } },
    opts,
  );
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, opts);
  const publicRoutes = new aws.ec2.RouteTable(
    `${name}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags },
    opts,
  );
  const publicSubnets = zones.map((zone, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-public-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock: cidrs.public[i],
        availabilityZone: zone,
        mapPublicIpOnLaunch: false,
        tags: { ...tags, Name: `${prefix}-public-${zone}` },
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, opts);
    return subnet;
  });
  // Production: a NAT gateway per zone, so a zone's loss does not cut the others off.
  const natZones = target.production ? zones.length : 1;
  const nats = Array.from({ length: natZones }, (_, i) => {
    const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags }, opts);
    return new aws.ec2.NatGateway(
      `${name}-nat-${i}`,
      { allocationId: eip.id, subnetId: publicSubnets[i].id, tags },
      { ...opts, dependsOn: [igw] },
    );
  });
  const privateSubnets = zones.map((zone, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-private-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock: cidrs.private[i],
        availabilityZone: zone,
        mapPublicIpOnLaunch: false,
        tags: { ...tags, Name: `${prefix}-private-${zone}` },
      },
      opts,
    );
    const routes = new aws.ec2.RouteTable(
      `${name}-private-${i}`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[i % natZones].id }], tags },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    return subnet;
  });
  return { vpcId: vpc.id, publicSubnetIds: publicSubnets.map((s) => s.id), privateSubnetIds: privateSubnets.map((s) => s.id) };
}

export function existingNetwork(target: AwsTargetSpec): Network {
  if (target.vpc.create) {
    throw new Error("internal error: existingNetwork for a VPC to create");
  }
  return {
    vpcId: target.vpc.vpcId,
    publicSubnetIds: [...target.vpc.publicSubnetIds],
    privateSubnetIds: [...target.vpc.privateSubnetIds],
  };
}
