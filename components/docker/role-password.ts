/**
 * `RolePassword`: keeps the managed database's role password equal to the generated one. It runs
 * ALTER ROLE in the database container (psql on its local socket) whenever the password changes,
 * before any node is given the new one; the nodes then roll one at a time (ClusterGate).
 */
import * as pulumi from "@pulumi/pulumi";
import { rolePasswordCommand, RolePasswordEnv, rolePasswordEnv } from "../shared/role-password";
import { engineOptions } from "./engine";

export interface RolePasswordInputs {
  /** The engine (`docker:host`); absent: DOCKER_HOST or the local socket. */
  readonly host?: string;
  /** The database container's name. */
  readonly container: string;
  /** Its id: a new container (same volume) sets the password again. */
  readonly containerId: string;
  readonly username: string;
  readonly database: string;
  readonly password: string;
}

/** The part of the Docker API the resource uses (tests give a fake). */
export interface ExecApi {
  /** Runs `cmd` with `env` in the container; its exit code and combined output. */
  exec(container: string, cmd: string[], env: string[]): Promise<{ readonly exitCode: number; readonly output: string }>;
}

/** Sets the role's password in the container; throws with psql's output when it fails. */
export async function applyRolePassword(inputs: RolePasswordInputs, api: ExecApi): Promise<void> {
  const env = Object.entries({ ...rolePasswordEnv(inputs), [RolePasswordEnv.newPassword]: inputs.password }).map(([k, v]) => `${k}=${v}`);
  const { exitCode, output } = await api.exec(inputs.container, rolePasswordCommand(false), env);
  if (exitCode !== 0) {
    throw new Error(
      `setting the password of role ${inputs.username} in container ${inputs.container} failed (psql exited ${exitCode}): ${output.trim() || "no output"}; the nodes were not given the new password`,
    );
  }
}

/** Whether PostgreSQL must be told again. */
export function rolePasswordChanged(olds: RolePasswordInputs, news: RolePasswordInputs): boolean {
  return olds.password !== news.password || olds.containerId !== news.containerId || olds.username !== news.username;
}

/** dockerode's exec, with the output demultiplexed. */
async function dockerExec(host: string | undefined, container: string, cmd: string[], env: string[]) {
  // Required inside the function: dynamic providers are serialized into the state.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Docker = require("dockerode") as typeof import("dockerode");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PassThrough } = require("node:stream") as typeof import("node:stream");
  const docker = new Docker(engineOptions(host));
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise<void>((resolve, reject) => {
    docker.modem.demuxStream(stream, sink, sink);
    stream.on("end", () => resolve());
    stream.on("error", reject);
  });
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? -1, output: Buffer.concat(chunks).toString("utf8") };
}

const provider: pulumi.dynamic.ResourceProvider<RolePasswordInputs, RolePasswordInputs> = {
  async create(inputs) {
    await applyRolePassword(inputs, { exec: (c, cmd, env) => dockerExec(inputs.host, c, cmd, env) });
    return { id: `${inputs.container}/${inputs.username}`, outs: inputs };
  },
  async diff(_id, olds, news) {
    return { changes: rolePasswordChanged(olds, news) || olds.host !== news.host, replaces: [] };
  },
  async update(_id, olds, news) {
    if (rolePasswordChanged(olds, news)) {
      await applyRolePassword(news, { exec: (c, cmd, env) => dockerExec(news.host, c, cmd, env) });
    }
    return { outs: news };
  },
  async read(id, props) {
    return { id, props };
  },
};

export interface RolePasswordArgs {
  readonly host?: string;
  readonly container: pulumi.Input<string>;
  readonly containerId: pulumi.Input<string>;
  readonly username: string;
  readonly database: string;
  readonly password: pulumi.Input<string>;
}

export class RolePassword extends pulumi.dynamic.Resource {
  constructor(name: string, args: RolePasswordArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args }, { ...opts, additionalSecretOutputs: ["password"] }, "keycloak-cluster", "RolePassword");
  }
}
