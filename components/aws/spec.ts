/** What the aws target knows beyond the shared model. */

/** A VPC the stack creates (public and private subnets in each zone), or one that exists. */
export type VpcSpec =
  | { readonly create: true; readonly cidr: string }
  | {
      readonly create: false;
      readonly vpcId: string;
      readonly publicSubnetIds: readonly string[];
      readonly privateSubnetIds: readonly string[];
    };

export interface AwsTargetSpec {
  readonly region: string;
  /** At least two zones: the nodes, the subnets and (in production) the database span them. */
  readonly availabilityZones: readonly string[];
  readonly vpc: VpcSpec;
  /** EC2 instance type of the nodes. */
  readonly instanceType: string;
  /** The nodes' AMI; absent: the latest Amazon Linux 2023 (from its public SSM parameter). */
  readonly amiId?: string;
  /** ACM certificate of the HTTPS listener; absent only with allowInsecureHttp (dev). */
  readonly certificateArn?: string;
  /** Dev only, acknowledged: plain HTTP on port 80 instead of redirecting it to HTTPS. */
  readonly allowInsecureHttp: boolean;
  /** CIDRs that may reach the load balancer. */
  readonly ingressCidrs: readonly string[];
  /** RDS instance class and PostgreSQL major version of a managed database. */
  readonly rds: { readonly instanceClass: string; readonly engineVersion: string };
  /** Days the nodes' logs are kept in CloudWatch Logs. */
  readonly logRetentionDays: number;
  /**
   * Keep the running realm in step with the configuration from where `pulumi up` runs, through
   * the load balancer (which must let that machine in: aws.ingressCidrs).
   */
  readonly realmSync: boolean;
  /** Production: Multi-AZ, deletion protection and final snapshots for the database. */
  readonly production: boolean;
  /** Prefix of every resource's name. */
  readonly namePrefix: string;
}
