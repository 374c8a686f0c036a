// Conformance of the offline docker stand-in (offline/provider) with the REAL Pulumi engine
// and a real Docker engine: every supported property must take effect, outputs and secrets
// must behave, a second up must change nothing, and destroy must leave nothing behind.
// Missing pulumi / Docker / base image is a FAILURE with the command to run, never a skip.

import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_IMAGE, Harness, exec, freePort, pulumiRoot, requireDocker, requireImage, sweep } from "./conformance-harness";

const client = new Docker();
const id = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const prefix = `kcpt-${id}`;
const testRepo = "kc-offline-conformance";
const testTag = `${testRepo}:${id}`;
const names = { net: `${prefix}-net`, vol: `${prefix}-vol`, ctr: `${prefix}-ctr`, sick: `${prefix}-sick` };
const MiB = 1024 * 1024;

const SERVE = `#!/bin/bash
trap 'exit 0' INT TERM
printf '%s' "$GREETING" > /data/started
sleep 1
touch /tmp/ready
while :; do sleep 1 & wait $!; done
`;

// Mutable knobs the program reads; the tests change them between updates.
const v = { memory: 128, restart: "on-failure", maxRetryCount: 2, greeting: "hello" };
let fixedPort = 0;

function program(): Record<string, pulumi.Output<unknown>> {
  const labels = [{ label: "kc.conformance", value: id }];
  const net = new docker.Network("net", { name: names.net, driver: "bridge", internal: false, attachable: true, labels });
  const vol = new docker.Volume("vol", { name: names.vol, driver: "local", labels });
  const base = new docker.RemoteImage("base", { name: BASE_IMAGE, keepLocally: true });
  const tagged = new docker.RemoteImage("tagged", { name: testTag, keepLocally: false });
  const ctr = new docker.Container(
    "ctr",
    {
      name: names.ctr,
      image: base.imageId,
      entrypoints: ["/usr/bin/env"],
      command: ["bash", "/opt/kc/serve.sh"],
      envs: [`GREETING=${v.greeting}`, pulumi.secret("SECRET_TOKEN=s3cret")],
      hostname: "kc-host",
      user: "root:root",
      restart: v.restart,
      maxRetryCount: v.maxRetryCount,
      memory: v.memory,
      cpus: "0.5",
      ports: [
        { internal: 8080, ip: "127.0.0.1" },
        { internal: 8081, external: fixedPort, ip: "127.0.0.1", protocol: "tcp" },
      ],
      networksAdvanced: [{ name: net.name, aliases: ["kc-alias"] }],
      volumes: [
        { volumeName: vol.name, containerPath: "/data" },
        { volumeName: vol.name, containerPath: "/data-ro", readOnly: true },
      ],
      uploads: [
        { file: "/opt/kc/serve.sh", content: SERVE, executable: true },
        { file: "/opt/kc/conf/app.conf", contentBase64: Buffer.from("a=1\n").toString("base64") },
      ],
      healthcheck: { tests: ["CMD", "test", "-f", "/tmp/ready"], interval: "1s", timeout: "2s", startPeriod: "30s", retries: 3 },
      labels,
      stopTimeout: 3,
      stopSignal: "SIGINT",
      wait: true,
      waitTimeout: 60,
      mustRun: true,
      logDriver: "json-file",
    },
    { dependsOn: [tagged] },
  );
  return {
    envs: ctr.envs,
    hostname: ctr.hostname,
    networkDatas: ctr.networkDatas,
    ports: ctr.ports,
    ctrName: ctr.name,
    exitCode: ctr.exitCode,
    imageId: base.imageId,
    repoDigest: base.repoDigest,
    taggedId: tagged.imageId,
    mountpoint: vol.mountpoint,
    netId: net.id,
    netScope: net.scope,
    netDriver: net.driver,
  };
}

describe("offline docker stand-in: conformance with the real Pulumi engine", () => {
  let h: Harness;
  let stack: Stack;
  let baseId = "";
  let ctrId = "";
  const changes = (r: { summary: { resourceChanges?: Record<string, number> } }) => r.summary.resourceChanges ?? {};
  const inspect = () => client.getContainer(names.ctr).inspect();

  beforeAll(async () => {
    const root = pulumiRoot();
    await requireDocker(client);
    baseId = await requireImage(client, BASE_IMAGE);
    await client.getImage(BASE_IMAGE).tag({ repo: testRepo, tag: id });
    fixedPort = await freePort();
    h = new Harness(root);
    stack = await h.stack("conformance", async () => program());
  });

  afterAll(async () => {
    const problems = h ? await h.close() : [];
    const left = await sweep(client, prefix, [testTag]);
    if (problems.length > 0 || left.length > 0) {
      console.warn(`conformance cleanup: ${[...problems, ...left.map((l) => `removed leftover ${l}`)].join("; ")}`);
    }
  });

  it("up creates network, volume, images and a container with every supported property", async () => {
    const pre = await h.preview(stack); // check and diff with unknown values
    expect(pre.changeSummary).toEqual({ create: 6 }); // the stack and its 5 resources
    const res = await h.up(stack);
    expect(res.summary.result).toBe("succeeded");
    expect(h.output.join("")).toMatch(/using pulumi-resource-docker from \$PATH at \S*offline\/provider\/bin/);
    const o = res.outputs;
    expect(o.envs.secret).toBe(true);
    expect(o.envs.value).toEqual(expect.arrayContaining(["GREETING=hello", "SECRET_TOKEN=s3cret"]));
    expect(o.hostname.value).toBe("kc-host");
    expect(o.exitCode?.value).toBeUndefined();
    expect(o.imageId.value).toBe(baseId);
    expect(o.taggedId.value).toBe(baseId);
    expect(o.repoDigest.value).toBe("");
    expect(o.mountpoint.value).toMatch(/^\/.+/);
    expect([o.netScope.value, o.netDriver.value]).toEqual(["local", "bridge"]);
    const nd = o.networkDatas.value as { networkName: string; ipAddress: string }[];
    expect(nd.map((n) => n.networkName)).toEqual([names.net]);
    expect(nd[0].ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const ports = o.ports.value as { internal: number; external: number; ip: string }[];
    expect(ports[0]).toMatchObject({ internal: 8080, ip: "127.0.0.1", protocol: "tcp" });
    expect(ports[0].external).toBeGreaterThan(0);
    expect(ports[1]).toMatchObject({ internal: 8081, external: fixedPort, ip: "127.0.0.1" });

    const info = await inspect();
    ctrId = info.Id;
    expect(info.Image).toBe(baseId);
    expect(info.Config.Entrypoint).toEqual(["/usr/bin/env"]);
    expect(info.Config.Cmd).toEqual(["bash", "/opt/kc/serve.sh"]);
    expect(info.Config.Env).toEqual(expect.arrayContaining(["GREETING=hello", "SECRET_TOKEN=s3cret"]));
    expect([info.Config.Hostname, info.Config.User]).toEqual(["kc-host", "root:root"]);
    expect(info.Config.Labels).toMatchObject({ "kc.conformance": id });
    const cfg = info.Config as unknown as { StopSignal: string; StopTimeout: number; Healthcheck: unknown };
    expect([cfg.StopSignal, cfg.StopTimeout]).toEqual(["SIGINT", 3]);
    expect(cfg.Healthcheck).toEqual({
      Test: ["CMD", "test", "-f", "/tmp/ready"],
      Interval: 1e9,
      Timeout: 2e9,
      StartPeriod: 30e9,
      Retries: 3,
    });
    expect(info.State.Running).toBe(true);
    expect((info.State as unknown as { Health: { Status: string } }).Health.Status).toBe("healthy");
    expect(info.HostConfig.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 2 });
    expect(info.HostConfig.Memory).toBe(128 * MiB);
    expect(info.HostConfig.NanoCpus).toBe(0.5e9);
    expect(info.HostConfig.LogConfig?.Type).toBe("json-file");
    expect(info.HostConfig.PortBindings).toEqual({
      "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
      "8081/tcp": [{ HostIp: "127.0.0.1", HostPort: String(fixedPort) }],
    });
    const published = Object.values(info.NetworkSettings.Ports).flatMap((b) => b ?? []);
    expect(published.every((b) => b.HostIp === "127.0.0.1")).toBe(true);
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([names.net]);
    expect(info.NetworkSettings.Networks[names.net].Aliases).toContain("kc-alias");
    const mounts = info.Mounts.map((m) => [m.Type, m.Name, m.Destination, m.RW]);
    expect(mounts).toEqual(
      expect.arrayContaining([
        ["volume", names.vol, "/data", true],
        ["volume", names.vol, "/data-ro", false],
      ]),
    );
    expect((await exec(client, names.ctr, ["stat", "-c", "%a %U", "/opt/kc/serve.sh"])).trim()).toBe("744 root");
    expect(await exec(client, names.ctr, ["cat", "/opt/kc/conf/app.conf"])).toBe("a=1\n");
    expect((await exec(client, names.ctr, ["stat", "-c", "%a", "/opt/kc/conf/app.conf"])).trim()).toBe("644");
    expect(await exec(client, names.ctr, ["cat", "/data-ro/started"])).toBe("hello");
    expect(await exec(client, names.ctr, ["getent", "hosts", "kc-alias"])).toContain(nd[0].ipAddress);
    const net = await client.getNetwork(names.net).inspect();
    expect([net.Driver, net.Internal, net.Attachable, net.Labels]).toEqual(["bridge", false, true, { "kc.conformance": id }]);
    const vol = await client.getVolume(names.vol).inspect();
    expect([vol.Driver, vol.Labels]).toEqual(["local", { "kc.conformance": id }]);

    // The secret stays encrypted in the state (nested in envs), its plaintext is nowhere.
    const checkpoint = h.checkpoint("conformance");
    const ctrState = (
      JSON.parse(checkpoint) as { checkpoint: { latest: { resources: { type: string; outputs: Record<string, unknown> }[] } } }
    ).checkpoint.latest.resources.find((r) => r.type === "docker:index/container:Container");
    expect(JSON.stringify(ctrState?.outputs.envs)).toMatch(/ciphertext/);
    expect(checkpoint).not.toContain("s3cret");
  });

  it("a second up changes nothing, and refresh finds no drift", async () => {
    const res = await h.up(stack);
    expect(Object.keys(changes(res))).toEqual(["same"]);
    const ref = await h.refresh(stack);
    expect(Object.keys(changes(ref))).toEqual(["same"]);
    expect((await h.preview(stack, true)).changeSummary).not.toHaveProperty("update");
    expect((await inspect()).Id).toBe(ctrId);
  });

  it("restart, maxRetryCount and memory are updated in place", async () => {
    Object.assign(v, { memory: 256, restart: "unless-stopped", maxRetryCount: 0 });
    const res = await h.up(stack);
    expect(changes(res)).toMatchObject({ update: 1 });
    expect(changes(res)).not.toHaveProperty("replace");
    const info = await inspect();
    expect(info.Id).toBe(ctrId);
    expect(info.HostConfig.Memory).toBe(256 * MiB);
    expect(info.HostConfig.RestartPolicy).toEqual({ Name: "unless-stopped", MaximumRetryCount: 0 });
    expect(Object.keys(changes(await h.up(stack)))).toEqual(["same"]);
  });

  it("changing a replace key (envs) replaces the fixed-name container, deleting it first", async () => {
    v.greeting = "hi";
    const res = await h.up(stack);
    expect(changes(res)).toMatchObject({ replace: 1 });
    const info = await inspect();
    expect(info.Id).not.toBe(ctrId);
    expect(info.Config.Env).toContain("GREETING=hi");
    expect((info.State as unknown as { Health: { Status: string } }).Health.Status).toBe("healthy");
    await expect(client.getContainer(ctrId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    ctrId = info.Id;
  });

  it("refresh notices a container stopped or removed behind Pulumi's back, and up recreates it", async () => {
    // Stopped while mustRun is true: refresh removes it and reports it gone (as the real provider removes it).
    await client.getContainer(names.ctr).stop({ t: 1 });
    expect(changes(await h.refresh(stack))).toMatchObject({ delete: 1 });
    await expect(inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(changes(await h.up(stack))).toMatchObject({ create: 1 });
    // Removed: refresh reports it gone.
    await client.getContainer(names.ctr).remove({ force: true });
    expect(changes(await h.refresh(stack))).toMatchObject({ delete: 1 });
    expect(changes(await h.up(stack))).toMatchObject({ create: 1 });
    expect((await inspect()).State.Running).toBe(true);
  });

  it("wait fails with the health log when the container never becomes healthy, leaving nothing", async () => {
    const sick = await h.stack("sick", async () => {
      const img = new docker.RemoteImage("base", { name: BASE_IMAGE, keepLocally: true });
      new docker.Container("sick", {
        name: names.sick,
        image: img.imageId,
        command: ["sleep", "600"],
        healthcheck: { tests: ["CMD-SHELL", "echo probe-says-no; exit 1"], interval: "1s", retries: 1 },
        wait: true,
        waitTimeout: 6,
      });
      return {};
    });
    const err = await h.up(sick).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/failed to be in healthy state within 6s/);
    expect(err?.message).toMatch(/probe-says-no/);
    await expect(client.getContainer(names.sick).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("refuses unsupported properties in check and missing images at create", async () => {
    const bad = await h.stack("unsupported", async () => {
      new docker.Container("c", { name: `${prefix}-bad`, image: BASE_IMAGE, privileged: true });
      return {};
    });
    const e1 = await h.preview(bad).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(e1?.message).toContain('property "privileged" is not supported by the offline docker stand-in');
    const missing = await h.stack("missing", async () => {
      new docker.RemoteImage("m", { name: `${testRepo}:missing-${id}`, keepLocally: true });
      return {};
    });
    const e2 = await h.up(missing).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(e2?.message).toMatch(new RegExp(`image "${testRepo}:missing-${id}".*offline/images\\.sh`));
  });

  it("destroy removes container, network, volume and the keepLocally=false image only", async () => {
    const res = await h.destroy(stack);
    expect(res.summary.result).toBe("succeeded");
    for (const get of [
      () => client.getContainer(names.ctr).inspect(),
      () => client.getNetwork(names.net).inspect(),
      () => client.getVolume(names.vol).inspect(),
      () => client.getImage(testTag).inspect(),
    ]) {
      await expect(get()).rejects.toMatchObject({ statusCode: 404 });
    }
    expect((await client.getImage(BASE_IMAGE).inspect()).Id).toBe(baseId);
    expect(await sweep(client, prefix, [])).toEqual([]);
  });
});
