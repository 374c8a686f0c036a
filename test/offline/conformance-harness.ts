// Harness for the offline docker stand-in's conformance test: finds the real Pulumi CLI and
// Docker engine (failing loudly when they are missing), runs inline Automation API programs
// on a throwaway file backend, and removes whatever the test created.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import Docker from "dockerode";
import {
  type DestroyResult,
  LocalWorkspace,
  type PreviewResult,
  PulumiCommand,
  type PulumiFn,
  type RefreshResult,
  type Stack,
  type UpResult,
} from "@pulumi/pulumi/automation";
import { demuxLogs } from "../../offline/provider/src/docker";

export const PROJECT_ROOT = path.resolve(__dirname, "../..");
export const PROVIDER_BIN = path.join(PROJECT_ROOT, "offline/provider/bin");
export const PULUMI_VERSION = "v3.259.0";
export const BASE_IMAGE = process.env.KC_BASE_IMAGE ?? "keycloak-cluster/base:bookworm";

/** The directory holding bin/pulumi: the project's pinned toolchain, else the one on PATH. */
export function pulumiRoot(): string {
  const cache = process.env.KC_CLUSTER_CACHE ?? path.join(homedir(), ".cache/keycloak-cluster");
  const candidates = [path.join(cache, "pulumi", PULUMI_VERSION)];
  try {
    const onPath = execFileSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
    if (onPath) candidates.push(path.dirname(path.dirname(onPath)));
  } catch {
    // not on PATH
  }
  const root = candidates.find((c) => existsSync(path.join(c, "bin/pulumi")));
  if (!root) {
    throw new Error(
      `the pulumi CLI was not found (looked in ${candidates.map((c) => `${c}/bin`).join(", ")}): ` +
        `run offline/toolchain.sh, or source offline/env.sh`,
    );
  }
  return root;
}

export async function requireDocker(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (e) {
    throw new Error(
      `no Docker engine answers (${(e as Error).message}): run offline/docker-engine.sh (DOCKER_HOST=${process.env.DOCKER_HOST ?? "unset"})`,
    );
  }
}

export async function requireImage(docker: Docker, name: string): Promise<string> {
  try {
    return (await docker.getImage(name).inspect()).Id;
  } catch {
    throw new Error(`the local image ${name} is missing: run offline/images.sh`);
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/**
 * A free 127.0.0.1 port BELOW the kernel's ephemeral range (32768+ here): a port from that
 * range can be taken meanwhile by any outgoing connection (the engine talks to its plugins
 * over 127.0.0.1), which made Docker's bind fail with "address already in use".
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canListen(port)) return port;
  }
  throw new Error("no free port found in 20000-31999 on 127.0.0.1");
}

/** A Pulumi environment with only the stand-in and the pinned CLI, state in a temp dir. */
export class Harness {
  readonly dir = mkdtempSync(path.join(tmpdir(), "kc-docker-conformance-"));
  readonly output: string[] = [];
  private readonly stacks: Stack[] = [];
  private cmd?: PulumiCommand;

  constructor(private readonly root: string) {}

  env(): Record<string, string> {
    const pathDirs = [PROVIDER_BIN, path.join(this.root, "bin"), path.dirname(process.execPath), process.env.PATH ?? ""];
    return {
      PATH: pathDirs.join(":"),
      PULUMI_HOME: path.join(this.dir, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "conformance-test-passphrase",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
  }

  async stack(name: string, program: PulumiFn): Promise<Stack> {
    this.cmd ??= await PulumiCommand.get({ root: this.root, skipVersionCheck: true });
    for (const d of ["home", "state", `work-${name}`]) {
      execFileSync("mkdir", ["-p", path.join(this.dir, d)]);
    }
    const env = this.env();
    // The CLI inherits this process's environment; keep the ambient plugin lookup on.
    delete process.env.PULUMI_IGNORE_AMBIENT_PLUGINS;
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: name, projectName: "docker-conformance", program },
      {
        workDir: path.join(this.dir, `work-${name}`),
        pulumiCommand: this.cmd,
        envVars: env,
        projectSettings: { name: "docker-conformance", runtime: "nodejs", backend: { url: env.PULUMI_BACKEND_URL } },
      },
    );
    this.stacks.push(stack);
    return stack;
  }

  /** The stack's checkpoint as the file backend stores it (secrets encrypted). */
  checkpoint(stackName: string): string {
    return readFileSync(path.join(this.dir, "state/.pulumi/stacks/docker-conformance", `${stackName}.json`), "utf8");
  }

  /** Runs an operation; a failure carries the engine's output (diagnostics) of that run. */
  private async run<T>(what: string, op: (o: { onOutput: (s: string) => void; color: "never" }) => Promise<T>): Promise<T> {
    const lines: string[] = [];
    const onOutput = (s: string) => {
      lines.push(s);
      this.output.push(s);
    };
    try {
      return await op({ onOutput, color: "never" });
    } catch (e) {
      throw new Error(`${what} failed: ${(e as Error).message}\n--- engine output ---\n${lines.join("").slice(-8000)}`);
    }
  }

  up(s: Stack): Promise<UpResult> {
    return this.run(`up ${s.name}`, (o) => s.up(o));
  }

  preview(s: Stack, expectNoChanges = false): Promise<PreviewResult> {
    return this.run(`preview ${s.name}`, (o) => s.preview({ ...o, expectNoChanges }));
  }

  refresh(s: Stack): Promise<RefreshResult> {
    return this.run(`refresh ${s.name}`, (o) => s.refresh(o));
  }

  destroy(s: Stack): Promise<DestroyResult> {
    return this.run(`destroy ${s.name}`, (o) => s.destroy(o));
  }

  /** Destroys every stack (best effort), then removes the temp dir. */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    for (const s of this.stacks) {
      try {
        await s.destroy({ color: "never" });
      } catch (e) {
        problems.push(`destroy ${s.name}: ${(e as Error).message.slice(0, 500)}`);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }
}

/** Removes every container, network and volume whose name starts with prefix, and the given images. */
export async function sweep(docker: Docker, prefix: string, images: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const c of await docker.listContainers({ all: true })) {
    if (c.Names.some((n) => n.replace(/^\//, "").startsWith(prefix))) {
      left.push(`container ${c.Names[0]}`);
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  for (const n of await docker.listNetworks()) {
    if (n.Name.startsWith(prefix)) {
      left.push(`network ${n.Name}`);
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
    }
  }
  for (const v of (await docker.listVolumes()).Volumes ?? []) {
    if (v.Name.startsWith(prefix)) {
      left.push(`volume ${v.Name}`);
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined);
    }
  }
  for (const img of images) {
    try {
      await docker.getImage(img).inspect();
      left.push(`image ${img}`);
      await docker
        .getImage(img)
        .remove({ noprune: true })
        .catch(() => undefined);
    } catch {
      // gone
    }
  }
  return left;
}

/** Runs a command in a container and returns its output (stdout and stderr). */
export async function exec(docker: Docker, id: string, cmd: string[]): Promise<string> {
  const e = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.on("end", () => resolve());
    stream.on("error", reject);
  });
  return demuxLogs(Buffer.concat(chunks));
}
