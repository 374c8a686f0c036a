// Container: create / read / update / delete against the Docker engine.

import type Docker from "dockerode";
import type { CreateResult, ReadResult, UpdateResult } from "@pulumi/pulumi/provider";
import { containerOutputs, createOptions, extraNetworks, observedState, updateOptions, uploadArchives } from "./container-spec";
import { changedKeys } from "./diff";
import { docker, errorText, isNotFound, isNotModified, sleep, tailLogs } from "./docker";
import { overlay } from "./resources";
import { CONTAINER, CONTAINER_UPDATABLE } from "./schema";
import { type Props, text, unwrap } from "./values";

/** How long a fresh container may take to reach "running" (the real provider's default). */
const RUNNING_TIMEOUT_MS = 15_000;

type Info = Docker.ContainerInspectInfo;

function inspect(id: string): Promise<Info> {
  return docker().getContainer(id).inspect();
}

function stopped(info: Info): boolean {
  return !info.State.Running && !info.State.Restarting;
}

async function failureDetails(id: string, info?: Info): Promise<string> {
  const health = (info?.State as { Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] } })?.Health;
  const parts: string[] = [];
  if (info) {
    parts.push(`state: ${info.State.Status}, exit code ${info.State.ExitCode}${health ? `, health: ${health.Status}` : ""}`);
  }
  const checks = (health?.Log ?? []).slice(-3);
  if (checks.length > 0) {
    parts.push(
      "last health checks:\n" +
        checks.map((c) => `  exit ${c.ExitCode}: ${c.Output.trim().split("\n").slice(-5).join("\n    ")}`).join("\n"),
    );
  }
  parts.push(`last log lines:\n${await tailLogs(id)}`);
  return parts.join("\n");
}

/** After start: wait for "running" (or for an exit when mustRun is false). */
async function waitRunning(id: string, name: string, mustRun: boolean): Promise<void> {
  const deadline = Date.now() + RUNNING_TIMEOUT_MS;
  for (;;) {
    const info = await inspect(id);
    if (info.State.Running || !mustRun) {
      return;
    }
    if (stopped(info) && info.State.Status !== "created") {
      throw new Error(`container ${name} exited immediately\n${await failureDetails(id, info)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`container ${name} failed to be in running state\n${await failureDetails(id, info)}`);
    }
    await sleep(100);
  }
}

/**
 * `wait: true`: poll until Docker reports "healthy", like the real provider, for at most
 * waitTimeout seconds. Fails early only when it can no longer become healthy (stopped with
 * no restart pending) or has no healthcheck at all.
 */
async function waitHealthy(id: string, name: string, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const info = await inspect(id);
    const health = (info.State as { Health?: { Status: string } }).Health;
    if (!health) {
      throw new Error(
        `container ${name}: wait is true but the container has no healthcheck (set healthcheck, or use an image with a HEALTHCHECK)`,
      );
    }
    if (health.Status === "healthy") {
      return;
    }
    if (stopped(info)) {
      throw new Error(`container ${name} stopped while waiting for it to become healthy\n${await failureDetails(id, info)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `container ${name} failed to be in healthy state within ${timeoutSeconds}s (waitTimeout)\n` + (await failureDetails(id, info)),
      );
    }
    await sleep(500);
  }
}

async function removeContainer(id: string): Promise<void> {
  try {
    await docker().getContainer(id).remove({ force: true, v: false });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

async function ensureImage(image: string): Promise<void> {
  try {
    await docker().getImage(image).inspect();
  } catch (e) {
    if (isNotFound(e)) {
      throw new Error(
        `unable to create container with image ${image}: it is not in the local Docker engine, and the ` +
          `offline docker stand-in never pulls: build or load it first with offline/images.sh`,
      );
    }
    throw e;
  }
}

export const container = {
  async create(inputs: Props): Promise<CreateResult> {
    const p = unwrap<Props>(inputs);
    const name = text(p.name);
    await ensureImage(text(p.image));
    let created: Docker.Container;
    try {
      created = await docker().createContainer(createOptions(p));
    } catch (e) {
      throw new Error(`unable to create container ${name}: ${errorText(e)}`);
    }
    const id = created.id;
    try {
      for (const n of extraNetworks(p)) {
        await docker()
          .getNetwork(n.name)
          .connect({ Container: id, EndpointConfig: { Aliases: n.aliases } });
      }
      for (const u of uploadArchives(p)) {
        try {
          await created.putArchive(u.tar, { path: "/" });
        } catch (e) {
          throw new Error(`unable to upload ${u.file} to container ${name}: ${errorText(e)}`);
        }
      }
      await created.start();
      const mustRun = p.mustRun !== false;
      await waitRunning(id, name, mustRun);
      if (p.wait === true) {
        await waitHealthy(id, name, Number(p.waitTimeout ?? 60));
      }
    } catch (e) {
      // Leave nothing behind: the error carries the container's state and logs.
      await removeContainer(id);
      throw e;
    }
    return { id, outs: containerOutputs(inputs, await inspect(id)) };
  },

  async read(id: string, olds: Props): Promise<ReadResult> {
    let info: Info;
    try {
      info = await inspect(id);
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} };
      throw e;
    }
    const mustRun = unwrap(olds?.mustRun) !== false;
    if (mustRun && stopped(info)) {
      // The real provider removes a container that must run but does not; it is then
      // reported gone here, so the next `up` creates it again.
      process.stderr.write(`offline docker stand-in: container ${info.Name} is not running (mustRun), removing it\n`);
      await removeContainer(id);
      return { id: "", props: {} };
    }
    const observed = observedState(info);
    if (!olds || Object.keys(olds).length === 0) {
      observed.image = info.Image;
      observed.mustRun = true;
    }
    return { id, props: overlay(olds ?? {}, observed) };
  },

  async update(id: string, olds: Props, news: Props): Promise<UpdateResult> {
    const inPlace = changedKeys(CONTAINER, olds, news).filter((k) => CONTAINER_UPDATABLE.has(k));
    if (inPlace.length > 0) {
      try {
        await docker()
          .getContainer(id)
          .update(updateOptions(unwrap<Props>(news)));
      } catch (e) {
        throw new Error(`unable to update container ${id} (${inPlace.join(", ")}): ${errorText(e)}`);
      }
    }
    return { outs: containerOutputs(news, await inspect(id)) };
  },

  async delete(id: string, olds: Props): Promise<void> {
    const c = docker().getContainer(id);
    const t = unwrap(olds?.stopTimeout);
    try {
      await c.stop(typeof t === "number" && t > 0 ? { t } : {});
    } catch (e) {
      if (!isNotFound(e) && !isNotModified(e)) {
        throw new Error(`unable to stop container ${id}: ${errorText(e)}`);
      }
    }
    try {
      await removeContainer(id);
    } catch (e) {
      throw new Error(`unable to remove container ${id}: ${errorText(e)}`);
    }
  },
};
