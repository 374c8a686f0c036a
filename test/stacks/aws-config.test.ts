import { describe, expect, it } from "vitest";
import { formatProblems, parseConfig } from "../../stacks/config";
import { TargetContext } from "../../stacks/targets/target";
import { problemsOf } from "./parse";

const context: TargetContext = { stack: "aws", provider: {} };
const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555";
const ok = { target: "aws", keycloak: { hostname: "https://sso.example.test" }, aws: { region: "eu-west-1", certificateArn } };

const problems = (values: Record<string, unknown>) => problemsOf(values, context);

describe("aws settings", () => {
  it("defaults: two zones of the region, a VPC to create, the latest Amazon Linux, dev database sizing", () => {
    const result = parseConfig({ values: ok, problems: [] }, context);
    if (!result.ok || result.model.target !== "aws") {
      throw new Error(result.ok ? "not aws" : formatProblems(result.problems));
    }
    expect(result.model.aws).toEqual({
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      vpc: { create: true, cidr: "10.20.0.0/16" },
      instanceType: "m6i.large",
      certificateArn,
      allowInsecureHttp: false,
      ingressCidrs: ["0.0.0.0/0"],
      rds: { instanceClass: "db.t4g.medium", engineVersion: "17" },
      logRetentionDays: 30,
      realmSync: true,
      production: false,
      namePrefix: "kc-aws",
    });
    expect(result.model.spec.database).toMatchObject({ mode: "managed", storageGb: 20, resources: {} });
  });
});

describe("bad aws configuration: one exact message per problem", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    [
      "no region",
      { ...ok, aws: { certificateArn } },
      ["aws.region: the aws target needs a region: pulumi config set --path aws.region eu-west-1"],
    ],
    [
      "one zone",
      { ...ok, aws: { ...ok.aws, availabilityZones: ["eu-west-1a"] } },
      ["aws.availabilityZones: must name at least two different zones of eu-west-1, e.g. eu-west-1a and eu-west-1b"],
    ],
    [
      "zones of another region",
      { ...ok, aws: { ...ok.aws, availabilityZones: ["us-east-1a", "us-east-1b"] } },
      ["aws.availabilityZones: must name at least two different zones of eu-west-1, e.g. eu-west-1a and eu-west-1b"],
    ],
    [
      "an existing VPC without subnets",
      { ...ok, aws: { ...ok.aws, vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-00000000000000003"] } },
      [
        "aws.publicSubnetIds: an existing VPC (aws.vpcId) needs at least two public subnets, one per zone",
        "aws.privateSubnetIds: an existing VPC (aws.vpcId) needs at least two private subnets, one per zone",
      ],
    ],
    [
      "subnets without a VPC",
      { ...ok, aws: { ...ok.aws, privateSubnetIds: ["subnet-00000000000000003", "subnet-00000000000000004"] } },
      ["aws.vpcId: subnet ids apply to an existing VPC: set aws.vpcId too, or remove them to let the stack create one"],
    ],
    [
      "https without a certificate",
      { ...ok, aws: { region: "eu-west-1" } },
      [
        "aws.certificateArn: an https hostname needs the ACM certificate of the HTTPS listener: pulumi config set --path aws.certificateArn arn:aws:acm:...",
      ],
    ],
    [
      "plain http without the acknowledgement",
      { ...ok, keycloak: { hostname: "http://sso.example.test" } },
      [
        "keycloak.hostname: the aws target serves HTTPS: use an https hostname with aws.certificateArn, or (dev only) acknowledge plain HTTP with aws.allowInsecureHttp true",
      ],
    ],
    [
      "plain http in production",
      {
        ...ok,
        environment: "production",
        keycloak: { hostname: "http://sso.example.test" },
        aws: { region: "eu-west-1", allowInsecureHttp: true },
      },
      ["aws.allowInsecureHttp: plain HTTP is for dev stacks only; a production stack serves HTTPS with aws.certificateArn"],
    ],
    [
      "node resources on aws",
      { ...ok, keycloak: { ...ok.keycloak, resources: { limits: { cpus: 2, memoryMb: 2048 } } } },
      ["keycloak.resources: the aws target sizes nodes by aws.instanceType; remove it (pulumi config rm --path keycloak.resources)"],
    ],
    [
      "too many test users for Secrets Manager",
      { ...ok, realm: { testUsers: 500 } },
      ["realm.testUsers: at most 200 on aws: the realm document travels to the nodes in Secrets Manager (64 KiB)"],
    ],
    [
      "a bad certificate ARN",
      { ...ok, aws: { region: "eu-west-1", certificateArn: "my-cert" } },
      [
        "aws.certificateArn: must be an ACM certificate ARN",
        "aws.certificateArn: an https hostname needs the ACM certificate of the HTTPS listener: pulumi config set --path aws.certificateArn arn:aws:acm:...",
      ],
    ],
    [
      "kubernetes discovery on aws",
      { ...ok, keycloak: { ...ok.keycloak, discovery: "kubernetes" } },
      ['keycloak.discovery: "kubernetes" (DNS_PING) works only on the kubernetes and openshift targets; use "jdbc-ping"'],
    ],
  ];

  it.each(cases)("%s", (_name, values, expected) => {
    expect(problems(values)).toEqual(expected);
  });
});
