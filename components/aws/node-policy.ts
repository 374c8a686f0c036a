/**
 * The nodes' own IAM policy, as a pure function: their three secrets, their log group, and what
 * the cluster gate needs (join-gate.ts): its own group, the load balancer's healthy targets, and
 * completing the launch action only in a group that carries this stack's tag.
 */

/** The tag on everything the stack creates (the instances' permissions are scoped by it). */
export const StackTag = "keycloak-cluster:stack";

export interface NodePolicyInputs {
  readonly secretArns: readonly string[];
  readonly logGroupArn: string;
  /** The stack's StackTag value. */
  readonly stack: string;
}

export function nodePolicy(inputs: NodePolicyInputs) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: inputs.secretArns },
      { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${inputs.logGroupArn}:*` },
      {
        Effect: "Allow",
        Action: ["autoscaling:DescribeAutoScalingInstances", "elasticloadbalancing:DescribeTargetHealth"],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Action: ["autoscaling:CompleteLifecycleAction"],
        Resource: "*",
        Condition: { StringEquals: { [`autoscaling:ResourceTag/${StackTag}`]: inputs.stack } },
      },
    ],
  };
}
