/** Target aws: its settings (`keycloak-cluster:aws`), defaults and rules. */
import { z } from "zod";
import { AwsTargetSpec } from "../../components/aws/spec";
import { DatabaseMode, Environment, Target } from "../../components/keycloak/model";
import type { LenientConfig, RawConfig } from "../schema";
import { bool, int, text } from "../schema-kit";
import { Problem, TargetModule } from "./target";

const cidr = (what: string) =>
  z.string({ error: `must be ${what}` }).regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, { error: `must be ${what}` });
const list = <T extends z.ZodType>(item: T, what: string) => z.array(item, { error: `must be a list of ${what}` });

/** Most test users whose realm document (in Secrets Manager, at most 64 KiB) fits. */
export const MaxAwsTestUsers = 200;

export const awsFields = {
  region: text("an AWS region such as eu-west-1", /^[a-z]{2}(-[a-z]+)+-\d$/).optional(),
  availabilityZones: list(
    text("an availability zone such as eu-west-1a", /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/),
    "availability zones such as eu-west-1a",
  ).optional(),
  vpcId: text("a VPC id such as vpc-0123456789abcdef0", /^vpc-[0-9a-f]{8,17}$/).optional(),
  publicSubnetIds: list(text("a subnet id", /^subnet-[0-9a-f]{8,17}$/), "subnet ids such as subnet-0123456789abcdef0").optional(),
  privateSubnetIds: list(text("a subnet id", /^subnet-[0-9a-f]{8,17}$/), "subnet ids such as subnet-0123456789abcdef0").optional(),
  vpcCidr: cidr("an IPv4 CIDR such as 10.20.0.0/16").default("10.20.0.0/16"),
  instanceType: text("an EC2 instance type such as m6i.large", /^[a-z][a-z0-9-]*\.[a-z0-9]+$/).default("m6i.large"),
  amiId: text("an AMI id such as ami-0123456789abcdef0", /^ami-[0-9a-f]{8,17}$/).optional(),
  certificateArn: text("an ACM certificate ARN", /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/).optional(),
  allowInsecureHttp: bool.default(false),
  ingressCidrs: list(cidr("a list of IPv4 CIDRs such as 203.0.113.0/24"), "IPv4 CIDRs such as 203.0.113.0/24").default(["0.0.0.0/0"]),
  rdsInstanceClass: text("an RDS instance class such as db.t4g.medium", /^db\.[a-z0-9]+\.[a-z0-9]+$/).default("db.t4g.medium"),
  rdsEngineVersion: text("a PostgreSQL major version such as 17", /^\d+(\.\d+)?$/).default("17"),
  logRetentionDays: int(1, 3653).default(30),
  realmSync: bool.default(true),
  namePrefix: text("1-24 lower-case letters, digits or '-'", /^[a-z][a-z0-9-]{0,23}$/).optional(),
};

type Own = NonNullable<RawConfig["aws"]>;

function zones(own: Partial<Own>): string[] {
  return own.availabilityZones ?? (own.region ? [`${own.region}a`, `${own.region}b`] : []);
}

export const awsTarget: TargetModule<typeof Target.Aws, Own, AwsTargetSpec> = {
  target: Target.Aws,
  // The public URL is the load balancer's DNS name or the user's domain: the stack cannot guess it.
  defaultPublicUrl: () => undefined,
  // Nodes are sized by aws.instanceType and the database by aws.rdsInstanceClass.
  defaults: { keycloak: {}, database: {}, storageGb: 20 },

  rules(config: LenientConfig, problem: Problem) {
    const own: Partial<Own> = config.aws ?? {};
    if (own.region === undefined) {
      problem("aws.region", "the aws target needs a region: pulumi config set --path aws.region eu-west-1");
    }
    const az = zones(own);
    if (own.region !== undefined && (az.length < 2 || new Set(az).size !== az.length || az.some((z) => !z.startsWith(own.region ?? "")))) {
      problem("aws.availabilityZones", `must name at least two different zones of ${own.region}, e.g. ${own.region}a and ${own.region}b`);
    }
    if (own.vpcId !== undefined) {
      for (const key of ["publicSubnetIds", "privateSubnetIds"] as const) {
        if ((own[key]?.length ?? 0) < 2) {
          problem(
            `aws.${key}`,
            `an existing VPC (aws.vpcId) needs at least two ${key === "publicSubnetIds" ? "public" : "private"} subnets, one per zone`,
          );
        }
      }
    } else if (own.publicSubnetIds !== undefined || own.privateSubnetIds !== undefined) {
      problem("aws.vpcId", "subnet ids apply to an existing VPC: set aws.vpcId too, or remove them to let the stack create one");
    }
    if (config.database?.mode !== DatabaseMode.External && config.database?.passwordRotation !== undefined) {
      problem(
        "database.passwordRotation",
        "on aws, RDS generates and keeps the master password (in Secrets Manager) and the nodes read it at boot: rotate it with `aws secretsmanager rotate-secret` on the RDS secret, then start an instance refresh of the group; remove the key (pulumi config rm --path database.passwordRotation)",
      );
    }
    const hostname = config.keycloak?.hostname;
    if (hostname !== undefined) {
      const https = hostname.startsWith("https:");
      if (https && own.certificateArn === undefined) {
        problem(
          "aws.certificateArn",
          "an https hostname needs the ACM certificate of the HTTPS listener: pulumi config set --path aws.certificateArn arn:aws:acm:...",
        );
      }
      if (!https && !own.allowInsecureHttp) {
        problem(
          "keycloak.hostname",
          "the aws target serves HTTPS: use an https hostname with aws.certificateArn, or (dev only) acknowledge plain HTTP with aws.allowInsecureHttp true",
        );
      }
    }
    if (own.allowInsecureHttp === true && config.environment === Environment.Production) {
      problem("aws.allowInsecureHttp", "plain HTTP is for dev stacks only; a production stack serves HTTPS with aws.certificateArn");
    }
    for (const key of ["keycloak", "database"] as const) {
      if (config[key]?.resources !== undefined) {
        const by = key === "keycloak" ? "aws.instanceType" : "aws.rdsInstanceClass";
        problem(
          `${key}.resources`,
          `the aws target sizes ${key === "keycloak" ? "nodes" : "the database"} by ${by}; remove it (pulumi config rm --path ${key}.resources)`,
        );
      }
    }
    const users = config.realm?.testUsers;
    if (users !== undefined && users > MaxAwsTestUsers) {
      problem("realm.testUsers", `at most ${MaxAwsTestUsers} on aws: the realm document travels to the nodes in Secrets Manager (64 KiB)`);
    }
  },

  settings(config: RawConfig, own: Own, context): AwsTargetSpec {
    return {
      region: own.region ?? "",
      availabilityZones: zones(own),
      vpc:
        own.vpcId !== undefined
          ? { create: false, vpcId: own.vpcId, publicSubnetIds: own.publicSubnetIds ?? [], privateSubnetIds: own.privateSubnetIds ?? [] }
          : { create: true, cidr: own.vpcCidr },
      instanceType: own.instanceType,
      ...(own.amiId ? { amiId: own.amiId } : {}),
      ...(own.certificateArn ? { certificateArn: own.certificateArn } : {}),
      allowInsecureHttp: own.allowInsecureHttp,
      ingressCidrs: own.ingressCidrs,
      rds: { instanceClass: own.rdsInstanceClass, engineVersion: own.rdsEngineVersion },
      logRetentionDays: own.logRetentionDays,
      realmSync: own.realmSync,
      production: config.environment === Environment.Production,
      namePrefix:
        own.namePrefix ??
        `kc-${context.stack}`
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, "-")
          .slice(0, 24),
    };
  },
};
