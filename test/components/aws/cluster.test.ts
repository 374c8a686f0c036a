import { beforeAll, describe, expect, it } from "vitest";
import { heartbeatTimeoutSeconds, JoinGateSeconds, LifecycleHookName } from "../../../components/aws/join-gate";
import { cidrSubnet, subnetCidrs } from "../../../components/aws/rules";
import { OutputNames } from "../../../components/shared/outputs";
import { RecordedResource, ResourceRecorder, resolve } from "../../mocks";
import { ProgramRun, runProgram } from "../../program";

const base = {
  target: "aws",
  keycloak: { nodes: 3, hostname: "https://sso.example.test" },
  aws: {
    region: "eu-west-1",
    certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555",
    ingressCidrs: ["203.0.113.0/24"],
  },
  realm: { testUsers: 3 },
};

type Rule = {
  securityGroupId: string;
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  referencedSecurityGroupId?: string;
};

/** Security rules as readable lines: "<group> in 443 from 203.0.113.0/24". */
function rules(recorder: ResourceRecorder): string[] {
  const groups = new Map(
    recorder.ofType("aws:ec2/securityGroup:SecurityGroup").map((g) => [`${g.name}-id`, g.name.replace("keycloak-", "")]),
  );
  const describe = (type: string, direction: string) =>
    recorder.ofType(type).map((r) => {
      const rule = r.inputs as unknown as Rule;
      const peer = rule.cidrIpv4 ?? groups.get(rule.referencedSecurityGroupId ?? "") ?? "?";
      return `${groups.get(rule.securityGroupId)} ${direction} ${rule.ipProtocol === "-1" ? "all" : rule.fromPort} ${direction === "in" ? "from" : "to"} ${peer}`;
    });
  return [
    ...describe("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "in"),
    ...describe("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "out"),
  ].sort();
}

const one = (recorder: ResourceRecorder, type: string): RecordedResource => {
  const found = recorder.ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0];
};

describe("the aws stack under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(base, "aws");
  });

  it("hands every AWS resource the stack's provider in the stack's region", () => {
    const [provider] = run.recorder.ofType("pulumi:providers:aws");
    expect(provider.inputs.region).toBe("eu-west-1");
    for (const r of run.recorder.resources.filter((x) => x.type.startsWith("aws:"))) {
      expect(r.provider?.startsWith(`${provider.urn}::`), r.name).toBe(true);
    }
  });

  it("creates a VPC with a public and a private subnet in each of two zones", () => {
    const subnets = run.recorder
      .ofType("aws:ec2/subnet:Subnet")
      .map((s) => `${String(s.inputs.availabilityZone)} ${String(s.inputs.cidrBlock)} public-ip=${String(s.inputs.mapPublicIpOnLaunch)}`);
    expect(subnets.sort()).toEqual(
      [
        "eu-west-1a 10.20.0.0/20 public-ip=false",
        "eu-west-1a 10.20.128.0/20 public-ip=false",
        "eu-west-1b 10.20.16.0/20 public-ip=false",
        "eu-west-1b 10.20.144.0/20 public-ip=false",
      ].sort(),
    );
    expect(run.recorder.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(1);
  });

  it("allows only what each part needs: 443 and 80 from the given CIDRs, 8080 and 9000 from the load balancer, 7800 and 57800 among the nodes, 5432 from the nodes", () => {
    expect(rules(run.recorder)).toEqual(
      [
        "lb in 443 from 203.0.113.0/24",
        "lb in 80 from 203.0.113.0/24",
        "lb out 8080 to nodes",
        "lb out 9000 to nodes",
        "nodes in 8080 from lb",
        "nodes in 9000 from lb",
        "nodes in 7800 from nodes",
        "nodes in 57800 from nodes",
        "nodes out all to 0.0.0.0/0",
        "db in 5432 from nodes",
      ].sort(),
    );
    expect(rules(run.recorder).filter((r) => r.includes("0.0.0.0/0") && r.includes(" in "))).toEqual([]);
  });

  it("launches nodes with IMDSv2 only, encrypted volumes, no public address, in private subnets over several zones", () => {
    const template = one(run.recorder, "aws:ec2/launchTemplate:LaunchTemplate").inputs;
    expect(template.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    });
    expect(template.blockDeviceMappings).toEqual([
      { deviceName: "/dev/xvda", ebs: { volumeSize: 30, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
    ]);
    expect((template.networkInterfaces as { associatePublicIpAddress: string }[])[0].associatePublicIpAddress).toBe("false");
    expect(template.imageId).toBe("ami-0123456789abcdef0");
    const asg = one(run.recorder, "aws:autoscaling/group:Group").inputs;
    expect(asg).toMatchObject({ minSize: 3, desiredCapacity: 3, healthCheckType: "ELB" });
    expect(asg.vpcZoneIdentifiers).toEqual(["keycloak-private-0-id", "keycloak-private-1-id"]);
    expect(asg.instanceRefresh).toMatchObject({ strategy: "Rolling", preferences: { minHealthyPercentage: 66 } });
  });

  it("renders user data that runs Keycloak with host networking and the instance's own identity", () => {
    const script = Buffer.from(String(one(run.recorder, "aws:ec2/launchTemplate:LaunchTemplate").inputs.userData), "base64").toString();
    expect(script).toContain("docker run -d --name keycloak --restart unless-stopped --network host");
    expect(script).toContain('"KC_CACHE_EMBEDDED_NETWORK_EXTERNAL_ADDRESS=${LOCAL_IPV4}"');
    expect(script).toContain('"KC_SPI_CACHE_EMBEDDED__DEFAULT__RACK_NAME=${ZONE}"');
    expect(script).toContain("'KC_DB_URL=jdbc:postgresql://keycloak-db.rds.test:5432/keycloak'");
    expect(script).toContain("--log-driver awslogs");
  });

  it("holds each new instance out of service until it joined the cluster: a launch hook the user data's gate completes", () => {
    const asg = one(run.recorder, "aws:autoscaling/group:Group");
    const hook = one(run.recorder, "aws:autoscaling/lifecycleHook:LifecycleHook").inputs;
    expect(hook).toMatchObject({
      name: LifecycleHookName,
      autoscalingGroupName: asg.name,
      lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
      defaultResult: "ABANDON",
      heartbeatTimeout: heartbeatTimeoutSeconds(JoinGateSeconds),
    });
    expect(asg.inputs.tags).toContainEqual({ key: "keycloak-cluster:stack", value: "kc-aws", propagateAtLaunch: true });
    const targetGroup = one(run.recorder, "aws:lb/targetGroup:TargetGroup");
    const script = Buffer.from(String(one(run.recorder, "aws:ec2/launchTemplate:LaunchTemplate").inputs.userData), "base64").toString();
    expect(script).toContain(`--target-group-arn 'arn:aws:test:eu-west-1:123456789012:${targetGroup.name}'`);
    expect(script).toContain(`--lifecycle-hook-name '${LifecycleHookName}'`);
    expect(script.indexOf("gate_finish CONTINUE")).toBeGreaterThan(script.indexOf("docker run -d --name keycloak"));
  });

  it("puts the database in the private subnets, encrypted, with a password RDS keeps in Secrets Manager, and backups", () => {
    const db = one(run.recorder, "aws:rds/instance:Instance").inputs;
    expect(db).toMatchObject({
      engine: "postgres",
      storageEncrypted: true,
      publiclyAccessible: false,
      manageMasterUserPassword: true,
      multiAz: false,
      deletionProtection: false,
      backupRetentionPeriod: 1,
    });
    expect(db).not.toHaveProperty("password");
    const parameters = one(run.recorder, "aws:rds/parameterGroup:ParameterGroup").inputs;
    expect(parameters).toMatchObject({
      family: "postgres17",
      parameters: [{ name: "max_connections", value: "200", applyMethod: "pending-reboot" }],
    });
    expect(db.parameterGroupName).toBe("keycloak-db-params");
    expect(one(run.recorder, "aws:rds/subnetGroup:SubnetGroup").inputs.subnetIds).toEqual([
      "keycloak-private-0-id",
      "keycloak-private-1-id",
    ]);
    expect(one(run.recorder, "aws:secretsmanager/secretRotation:SecretRotation").inputs).toMatchObject({ rotationEnabled: false });
  });

  it("checks /health/ready on port 9000 behind an HTTPS listener; port 80 only redirects", () => {
    const group = one(run.recorder, "aws:lb/targetGroup:TargetGroup").inputs;
    expect(group).toMatchObject({
      port: 8080,
      protocol: "HTTP",
      // The shortest a target group allows: out within ~10 s of a freeze.
      healthCheck: { path: "/health/ready", port: "9000", matcher: "200", interval: 5, timeout: 2, unhealthyThreshold: 2 },
      stickiness: { type: "lb_cookie", enabled: false },
    });
    const listeners = Object.fromEntries(run.recorder.ofType("aws:lb/listener:Listener").map((l) => [String(l.inputs.port), l.inputs]));
    expect(listeners["443"]).toMatchObject({ protocol: "HTTPS", certificateArn: base.aws.certificateArn });
    expect(listeners["80"].defaultActions).toEqual([
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
  });

  it("gives the nodes least privilege: SSM, their log group, their three secrets, the cluster gate in their own stack's group", async () => {
    expect(one(run.recorder, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs.policyArn).toBe(
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    );
    const policy = JSON.parse(String(one(run.recorder, "aws:iam/rolePolicy:RolePolicy").inputs.policy)) as {
      Statement: { Action: string[]; Resource: unknown }[];
    };
    expect(policy.Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [
          "arn:aws:test:eu-west-1:123456789012:keycloak-admin-password",
          "arn:aws:test:eu-west-1:123456789012:keycloak-realm",
          "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keycloak-db-master",
        ],
      },
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "arn:aws:test:eu-west-1:123456789012:keycloak-logs:*",
      },
      {
        Effect: "Allow",
        Action: ["autoscaling:DescribeAutoScalingInstances", "elasticloadbalancing:DescribeTargetHealth"],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Action: ["autoscaling:CompleteLifecycleAction"],
        Resource: "*",
        Condition: { StringEquals: { "autoscaling:ResourceTag/keycloak-cluster:stack": "kc-aws" } },
      },
    ]);
    expect(
      run.recorder.ofType("aws:secretsmanager/secretVersion:SecretVersion").every((v) => v.secretInputs.includes("secretString")),
    ).toBe(true);
  });

  it("keeps the realm in step once every node is healthy: through the load balancer's own name, for the public URL", async () => {
    const [sync] = run.recorder.ofType("pulumi-nodejs:dynamic/keycloak-cluster:RealmSync");
    const lb = one(run.recorder, "aws:lb/loadBalancer:LoadBalancer");
    expect(sync.inputs).toMatchObject({ baseUrl: "https://sso.example.test", connectTo: `${lb.name}.elb.test`, adminUsername: "admin" });
    expect(sync.secretInputs).toEqual(expect.arrayContaining(["adminPassword", "realmJson"]));
    expect(one(run.recorder, "aws:autoscaling/group:Group").inputs).toMatchObject({ waitForElbCapacity: 3, waitForCapacityTimeout: "20m" });
  });

  it("exports the outputs shape with the aws driver handle", async () => {
    expect(Object.keys(run.outputs).sort()).toEqual([...OutputNames].sort());
    expect((await resolve(run.outputs.driver as never)).value).toEqual({
      kind: "aws",
      region: "eu-west-1",
      autoScalingGroup: "keycloak-nodes",
      httpPort: 8080,
      managementPort: 9000,
    });
  });
});

describe("production and existing networks", () => {
  it("production: Multi-AZ, deletion protection, a final snapshot, longer backups, a NAT gateway per zone, a protected load balancer", async () => {
    const { recorder } = await runProgram({ ...base, environment: "production" }, "aws-prod");
    expect(one(recorder, "aws:rds/instance:Instance").inputs).toMatchObject({
      multiAz: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "kc-aws-prod-db-final",
      backupRetentionPeriod: 14,
    });
    expect(recorder.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(2);
    expect(one(recorder, "aws:lb/loadBalancer:LoadBalancer").inputs.enableDeletionProtection).toBe(true);
  });

  it("an existing VPC: no network is created; its subnets are used", async () => {
    const { recorder } = await runProgram(
      {
        ...base,
        aws: {
          ...base.aws,
          vpcId: "vpc-0123456789abcdef0",
          publicSubnetIds: ["subnet-00000000000000001", "subnet-00000000000000002"],
          privateSubnetIds: ["subnet-00000000000000003", "subnet-00000000000000004"],
        },
      },
      "aws-vpc",
    );
    expect(recorder.ofType("aws:ec2/vpc:Vpc")).toEqual([]);
    expect(recorder.ofType("aws:ec2/subnet:Subnet")).toEqual([]);
    expect(one(recorder, "aws:autoscaling/group:Group").inputs.vpcZoneIdentifiers).toEqual([
      "subnet-00000000000000003",
      "subnet-00000000000000004",
    ]);
  });

  it("aws.realmSync false: no realm sync (the deploying machine cannot reach the load balancer)", async () => {
    const { recorder } = await runProgram({ ...base, aws: { ...base.aws, realmSync: false } }, "aws-nosync");
    expect(recorder.ofType("pulumi-nodejs:dynamic/keycloak-cluster:RealmSync")).toEqual([]);
  });

  it("dev with an acknowledged plain HTTP: port 80 forwards, no HTTPS listener", async () => {
    const { recorder } = await runProgram(
      {
        ...base,
        keycloak: { ...base.keycloak, hostname: "http://sso.example.test" },
        aws: { region: "eu-west-1", allowInsecureHttp: true },
      },
      "aws-http",
    );
    const listeners = recorder.ofType("aws:lb/listener:Listener");
    expect(listeners.map((l) => l.inputs.port)).toEqual([80]);
    expect((listeners[0].inputs.defaultActions as { type: string }[])[0].type).toBe("forward");
  });
});

describe("subnet arithmetic", () => {
  it("takes /20s of the VPC's /16", () => {
    expect(cidrSubnet("10.20.0.0/16", 4, 0)).toBe("10.20.0.0/20");
    expect(cidrSubnet("10.20.0.0/16", 4, 9)).toBe("10.20.144.0/20");
    expect(subnetCidrs("172.31.0.0/16", 3)).toEqual({
      public: ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"],
      private: ["172.31.128.0/20", "172.31.144.0/20", "172.31.160.0/20"],
    });
    expect(() => cidrSubnet("10.0.0.0/30", 4, 0)).toThrow("cannot take subnet 0 of 10.0.0.0/30 with 4 more bits");
  });
});
