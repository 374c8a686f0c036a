/**
 * One Pulumi mocks helper for every target's tests: it records every registered resource by
 * type with its inputs, and awaits Outputs properly (never an `expect` inside an un-awaited apply).
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Inputs with secrets unwrapped. */
  readonly inputs: Record<string, unknown>;
  /** Dotted paths of inputs that arrived as secrets, e.g. `envs`, `uploads.0.content`. */
  readonly secretInputs: string[];
  /** The provider reference the engine would use (`urn::id`), when one was given. */
  readonly provider?: string;
  /** The resource's URN (as the mock monitor builds it). */
  readonly urn: string;
}

/** The signature key Pulumi's wire format marks secrets with. */
const SecretSig = pulumi.runtime.specialSigKey;
const SecretValue = pulumi.runtime.specialSecretSig;

function unwrapSecrets(value: unknown, path: string, secrets: string[]): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => unwrapSecrets(v, path ? `${path}.${i}` : String(i), secrets));
  }
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SecretSig] === SecretValue) {
      secrets.push(path);
      return unwrapSecrets(record.value, path, []);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secrets)]));
  }
  return value;
}

export class ResourceRecorder {
  readonly resources: RecordedResource[] = [];

  /** Computed outputs the real providers would return, by type. */
  private computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (type.startsWith("pulumi-nodejs:")) {
      // Dynamic resources (GeneratedSecret).
      return { value: `generated-${name}` };
    }
    switch (type) {
      case "docker:index/remoteImage:RemoteImage":
        return { imageId: `sha256:${name}` };
      case "docker:index/container:Container":
        return { name: inputs.name };
      case "aws:rds/instance:Instance":
        return {
          address: `${name}.rds.test`,
          masterUserSecrets: [{ secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-master` }],
        };
      case "aws:ec2/launchTemplate:LaunchTemplate":
        return { latestVersion: 1 };
      case "aws:lb/loadBalancer:LoadBalancer":
        return { dnsName: `${name}.elb.test`, arn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/${name}` };
      default:
        // What AWS resources compute: an ARN and a name.
        return type.startsWith("aws:") ? { arn: `arn:aws:test:eu-west-1:123456789012:${name}`, name: inputs.name ?? name } : {};
    }
  }

  mocks(): pulumi.runtime.Mocks {
    return {
      newResource: (args) => {
        const secretInputs: string[] = [];
        const inputs = unwrapSecrets(args.inputs, "", secretInputs) as Record<string, unknown>;
        this.resources.push({
          type: args.type,
          name: args.name,
          inputs,
          secretInputs,
          provider: args.provider,
          urn: `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${args.type}::${args.name}`,
        });
        const raw = args.inputs as Record<string, unknown>;
        return { id: `${args.name}-id`, state: { ...raw, ...this.computed(args.type, args.name, inputs) } };
      },
      call: (args) =>
        args.token === "aws:ssm/getParameter:getParameter"
          ? { ...(args.inputs as Record<string, unknown>), value: "ami-0123456789abcdef0" }
          : (args.inputs as Record<string, unknown>),
    };
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  named(name: string): RecordedResource {
    const found = this.resources.find((r) => r.name === name);
    if (!found) {
      throw new Error(`no resource named ${name}; registered: ${this.resources.map((r) => r.name).join(", ")}`);
    }
    return found;
  }

  /** The resource of `type` with logical name `name` (names repeat across types, e.g. a Service and a StatefulSet). */
  typed(type: string, name: string): RecordedResource {
    const found = this.resources.find((r) => r.type === type && r.name === name);
    if (!found) {
      throw new Error(`no ${type} named ${name}`);
    }
    return found;
  }

  clear(): void {
    this.resources.length = 0;
  }
}

/** Resolves an Output's value (and whether it is secret). */
export async function resolve<T>(output: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
  const out = pulumi.output(output) as pulumi.Output<T>;
  const value = await new Promise<T>((ok) => out.apply((v) => ok(v)));
  const secret = await pulumi.isSecret(out);
  return { value, secret };
}

export async function value<T>(output: pulumi.Input<T>): Promise<T> {
  return (await resolve(output)).value;
}
