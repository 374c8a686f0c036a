import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, DatabaseMode, ManagedDatabaseSpec } from "../keycloak/model";
import { HealthPaths, issuerUrl, jdbcUrl, KeycloakPorts, PostgresPort, ReadinessCheck } from "../keycloak/settings";
import { KeycloakClusterComponent } from "../shared/cluster";
import { clusterSecrets } from "../shared/cluster-secrets";
import { DriverHandle } from "../shared/outputs";
import { RealmSync, syncedUsers } from "../shared/realm-sync";
import { existingNetwork, Network, newNetwork } from "./network";
import { Rule, securityRules } from "./rules";
import { AwsTargetSpec } from "./spec";
import { heartbeatTimeoutSeconds, JoinGateSeconds, LifecycleHookName } from "./join-gate";
import { nodePolicy, StackTag } from "./node-policy";
import { renderUserData } from "./user-data";

/** The project's readiness check as close as a target group allows (5 s interval, 2 s timeout at least): out within ~10 s of a freeze. */
export const TargetGroupCheck = {
  intervalSeconds: Math.max(5, ReadinessCheck.intervalSeconds),
  timeoutSeconds: Math.max(2, ReadinessCheck.timeoutSeconds),
  fall: Math.max(2, ReadinessCheck.fall),
} as const;

export interface AwsKeycloakClusterArgs {
  readonly spec: ClusterSpec;
  readonly aws: AwsTargetSpec;
}

/** The latest Amazon Linux 2023 AMI, from AWS's public SSM parameter. */
export const Al2023Parameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/**
 * Keycloak on EC2, done right for several hosts: an Auto Scaling group over the private subnets of
 * two or more zones, each instance running Keycloak in Docker with host networking (so it
 * advertises its own private address) clustered over jdbc-ping through RDS PostgreSQL, behind an
 * Application Load Balancer that checks /health/ready on port 9000. The aws provider comes in
 * through `opts.providers`.
 */
export class AwsKeycloakCluster extends KeycloakClusterComponent {
  /** The load balancer's own DNS name (point the public hostname at it). */
  public readonly loadBalancerDnsName: pulumi.Output<string>;

  private readonly child = { parent: this };
  private readonly prefix: string;

  constructor(name: string, args: AwsKeycloakClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("keycloak:aws:KeycloakCluster", name, {}, opts);
    const { spec, aws: target } = args;
    this.prefix = target.namePrefix;
    const tags = { [StackTag]: target.namePrefix };
    const secrets = clusterSecrets(name, spec, this);

    const network = target.vpc.create ? newNetwork({ name, prefix: this.prefix, tags, opts: this.child }, target) : existingNetwork(target);
    const groups = this.securityGroups(name, target, network, tags);
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/keycloak-cluster/${this.prefix}`, retentionInDays: target.logRetentionDays, tags },
      this.child,
    );

    const secret = (role: string, value: pulumi.Input<string>) => {
      const s = new aws.secretsmanager.Secret(
        `${name}-${role}`,
        { name: `${this.prefix}/${role}`, recoveryWindowInDays: target.production ? 30 : 0, tags },
        this.child,
      );
      new aws.secretsmanager.SecretVersion(`${name}-${role}`, { secretId: s.id, secretString: pulumi.secret(value) }, this.child);
      return s.arn;
    };
    const adminSecret = secret("admin-password", secrets.adminPassword);
    const realmSecret = secret("realm", secrets.realmJson);
    const database =
      spec.database.mode === DatabaseMode.Managed
        ? this.database(name, spec.database, target, network, groups.db, tags)
        : {
            url: pulumi.output(spec.database.jdbcUrl),
            secretArn: secret("db-password", secrets.dbPassword),
            json: false,
            resource: undefined,
          };

    const lb = this.loadBalancer(name, spec, target, network, groups.lb, tags);
    const role = this.instanceRole(name, [adminSecret, realmSecret, database.secretArn], logGroup.arn, tags);
    const userData = pulumi
      .all([database.url, database.secretArn, adminSecret, realmSecret, logGroup.name, lb.targetGroup.arn])
      .apply(([dbUrl, dbArn, adminArn, realmArn, group, targetGroupArn]) =>
        renderUserData(spec, {
          region: target.region,
          dbUrl,
          dbPasswordSecret: { arn: dbArn, json: database.json },
          adminPasswordSecretArn: adminArn,
          realmSecretArn: realmArn,
          logGroup: group,
          targetGroupArn,
        }),
      );
    const template = new aws.ec2.LaunchTemplate(
      `${name}-node`,
      {
        namePrefix: `${this.prefix}-node-`,
        imageId: target.amiId ?? aws.ssm.getParameterOutput({ name: Al2023Parameter }, this.child).value,
        instanceType: target.instanceType,
        iamInstanceProfile: { arn: role.arn },
        // IMDSv2 only; one hop: the host-networked container reaches it, nothing further.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", ebs: { volumeSize: 30, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
        ],
        networkInterfaces: [{ associatePublicIpAddress: "false", securityGroups: [groups.nodes.id], deleteOnTermination: "true" }],
        monitoring: { enabled: true },
        userData: userData.apply((text) => Buffer.from(text).toString("base64")),
        updateDefaultVersion: true,
        tagSpecifications: [{ resourceType: "instance", tags: { ...tags, Name: `${this.prefix}-node` } }],
        tags,
      },
      this.child,
    );

    const asg = new aws.autoscaling.Group(
      `${name}-nodes`,
      {
        namePrefix: `${this.prefix}-nodes-`,
        vpcZoneIdentifiers: network.privateSubnetIds,
        minSize: spec.keycloak.nodes,
        maxSize: spec.keycloak.nodes + 1,
        desiredCapacity: spec.keycloak.nodes,
        launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
        targetGroupArns: [lb.targetGroup.arn],
        healthCheckType: "ELB",
        healthCheckGracePeriod: 600,
        // The first up (and a scale) waits until every node is healthy behind the load balancer.
        waitForElbCapacity: spec.keycloak.nodes,
        waitForCapacityTimeout: "20m",
        // A new launch template replaces the instances a few at a time, keeping two thirds healthy.
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 66, instanceWarmup: "300" } },
        tags: Object.entries({ ...tags, Name: `${this.prefix}-node` }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      },
      { ...this.child, dependsOn: database.resource ? [database.resource] : [] },
    );
    // The cluster gate: a new instance waits out of service until its user data says it joined
    // (join-gate.ts). The group's first instances launch before the hook exists.
    new aws.autoscaling.LifecycleHook(
      `${name}-joined`,
      {
        name: LifecycleHookName,
        autoscalingGroupName: asg.name,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
        defaultResult: "ABANDON",
        heartbeatTimeout: heartbeatTimeoutSeconds(JoinGateSeconds),
      },
      this.child,
    );

    // The realm in step with the configuration once the nodes are healthy (they import it at
    // their first boot; a later realm change replaces no instance). The connection goes to the
    // load balancer's own name, as the public name may not point at it yet; TLS and the Host
    // header stay the public URL's (the certificate names it).
    const realmSync = target.realmSync
      ? new RealmSync(
          `${name}-realm-sync`,
          {
            baseUrl: spec.keycloak.publicUrl,
            connectTo: lb.balancer.dnsName,
            adminUsername: spec.keycloak.adminUsername,
            adminPassword: secrets.adminPassword,
            realmJson: secrets.realmJson,
            timeoutSeconds: 900,
          },
          { parent: this, dependsOn: [asg] },
        )
      : undefined;

    this.loadBalancerDnsName = lb.balancer.dnsName;
    this.expose(
      {
        clusterId: pulumi.output(`aws/${target.region}/${this.prefix}`),
        issuerUrl: pulumi.output(issuerUrl(spec.keycloak.publicUrl, spec.realm.name)),
        loadBalancerUrl: pulumi.output(spec.keycloak.publicUrl),
        driver: asg.name.apply((autoScalingGroup): DriverHandle => ({
          kind: "aws",
          region: target.region,
          autoScalingGroup,
          httpPort: KeycloakPorts.http,
          managementPort: KeycloakPorts.management,
        })),
        clientSecret: secrets.clientSecret,
        adminPassword: secrets.adminPassword,
        testUsers: realmSync ? syncedUsers(realmSync, secrets.testUsers) : secrets.testUsers,
        // A target group never retries a request on another target.
        loadBalancerTiming: { healthCheck: TargetGroupCheck, safeRetryAfterSeconds: null },
      },
      { loadBalancerDnsName: this.loadBalancerDnsName },
    );
  }

  private securityGroups(name: string, target: AwsTargetSpec, network: Network, tags: Record<string, string>) {
    const group = (role: "lb" | "nodes" | "db", description: string) =>
      new aws.ec2.SecurityGroup(
        `${name}-${role}`,
        { namePrefix: `${this.prefix}-${role}-`, description, vpcId: network.vpcId, tags },
        this.child,
      );
    const groups = {
      lb: group("lb", "keycloak-cluster load balancer"),
      nodes: group("nodes", "keycloak-cluster nodes"),
      db: group("db", "keycloak-cluster database"),
    };
    securityRules(target.ingressCidrs, target.allowInsecureHttp).forEach((rule: Rule, i) => {
      const peer = "cidr" in rule.peer ? { cidrIpv4: rule.peer.cidr } : { referencedSecurityGroupId: groups[rule.peer.group].id };
      const args = {
        securityGroupId: groups[rule.group].id,
        ipProtocol: "tcp",
        fromPort: rule.port,
        toPort: rule.port,
        description: rule.description,
        ...peer,
        tags,
      };
      if (rule.direction === "ingress") {
        new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.group}-in-${i}`, args, this.child);
      } else {
        new aws.vpc.SecurityGroupEgressRule(`${name}-${rule.group}-out-${i}`, args, this.child);
      }
    });
    // The nodes pull their image, read their secrets and ship logs through the NAT, and reach the database.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-nodes-out-all`,
      {
        securityGroupId: groups.nodes.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "registry, Secrets Manager, CloudWatch Logs, the database",
        tags,
      },
      this.child,
    );
    return groups;
  }

  private database(
    name: string,
    database: ManagedDatabaseSpec,
    target: AwsTargetSpec,
    network: Network,
    group: aws.ec2.SecurityGroup,
    tags: Record<string, string>,
  ) {
    const subnets = new aws.rds.SubnetGroup(
      `${name}-db`,
      { namePrefix: `${this.prefix}-db-`, subnetIds: network.privateSubnetIds, tags },
      this.child,
    );
    // The connection limit every node's pool was checked against (RDS's own depends on the instance's memory).
    const parameters = new aws.rds.ParameterGroup(
      `${name}-db-params`,
      {
        namePrefix: `${this.prefix}-db-params-`,
        family: `postgres${target.rds.engineVersion.split(".")[0]}`,
        parameters: [{ name: "max_connections", value: String(database.maxConnections), applyMethod: "pending-reboot" }],
        tags,
      },
      this.child,
    );
    const db = new aws.rds.Instance(
      `${name}-db`,
      {
        identifierPrefix: `${this.prefix}-db-`,
        engine: "postgres",
        engineVersion: target.rds.engineVersion,
        instanceClass: target.rds.instanceClass,
        allocatedStorage: database.storageGb,
        storageType: "gp3",
        storageEncrypted: true,
        dbName: database.name,
        username: database.username,
        // The master password lives in Secrets Manager, managed by RDS; the nodes read it at boot.
        manageMasterUserPassword: true,
        dbSubnetGroupName: subnets.name,
        parameterGroupName: parameters.name,
        vpcSecurityGroupIds: [group.id],
        publiclyAccessible: false,
        multiAz: target.production,
        deletionProtection: target.production,
        backupRetentionPeriod: target.production ? 14 : 1,
        skipFinalSnapshot: !target.production,
        ...(target.production ? { finalSnapshotIdentifier: `${this.prefix}-db-final` } : {}),
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        tags,
      },
      this.child,
    );
    const secretArn = db.masterUserSecrets.apply((s) => s[0]?.secretArn ?? "");
    // The nodes read the password at boot only: no automatic rotation behind their back.
    new aws.secretsmanager.SecretRotation(`${name}-db-rotation`, { secretId: secretArn, rotationEnabled: false }, this.child);
    return { url: db.address.apply((host) => jdbcUrl(host, PostgresPort, database.name)), secretArn, json: true, resource: db };
  }

  private instanceRole(name: string, secretArns: pulumi.Input<string>[], logGroupArn: pulumi.Input<string>, tags: Record<string, string>) {
    const stack = tags[StackTag];
    const role = new aws.iam.Role(
      `${name}-node`,
      {
        namePrefix: `${this.prefix}-node-`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      this.child,
    );
    // Session Manager (shell and port forwarding, no SSH, no public address).
    new aws.iam.RolePolicyAttachment(
      `${name}-node-ssm`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
      this.child,
    );
    new aws.iam.RolePolicy(
      `${name}-node`,
      {
        role: role.id,
        policy: pulumi
          .all([pulumi.all(secretArns), logGroupArn])
          .apply(([arns, group]) => JSON.stringify(nodePolicy({ secretArns: arns, logGroupArn: group, stack }))),
      },
      this.child,
    );
    return new aws.iam.InstanceProfile(`${name}-node`, { namePrefix: `${this.prefix}-node-`, role: role.name, tags }, this.child);
  }

  private loadBalancer(
    name: string,
    spec: ClusterSpec,
    target: AwsTargetSpec,
    network: Network,
    group: aws.ec2.SecurityGroup,
    tags: Record<string, string>,
  ) {
    const balancer = new aws.lb.LoadBalancer(
      `${name}-lb`,
      {
        namePrefix: "kc-",
        loadBalancerType: "application",
        internal: false,
        subnets: network.publicSubnetIds,
        securityGroups: [group.id],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: target.production,
        tags,
      },
      this.child,
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-nodes`,
      {
        namePrefix: "kc-",
        port: KeycloakPorts.http,
        protocol: "HTTP",
        targetType: "instance",
        vpcId: network.vpcId,
        // Ready on the management port (never exposed through the load balancer's listeners).
        healthCheck: {
          enabled: true,
          path: HealthPaths.ready,
          port: String(KeycloakPorts.management),
          protocol: "HTTP",
          matcher: "200",
          interval: TargetGroupCheck.intervalSeconds,
          timeout: TargetGroupCheck.timeoutSeconds,
          healthyThreshold: Math.max(2, ReadinessCheck.rise),
          unhealthyThreshold: TargetGroupCheck.fall,
        },
        deregistrationDelay: 30,
        stickiness: { type: "lb_cookie", enabled: spec.loadBalancer.affinity, cookieDuration: 3600 },
        tags,
      },
      this.child,
    );
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];
    if (target.certificateArn) {
      new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: balancer.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
          certificateArn: target.certificateArn,
          defaultActions: forward,
          tags,
        },
        this.child,
      );
    }
    new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: balancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: target.allowInsecureHttp
          ? forward
          : [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
        tags,
      },
      this.child,
    );
    return { balancer, targetGroup };
  }
}
