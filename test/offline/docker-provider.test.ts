// Unit tests of the offline docker stand-in's pure parts (no Docker, no Pulumi engine).

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../offline/provider/src/check";
import { createOptions, portsWithExternal, updateOptions, uploadArchives } from "../../offline/provider/src/container-spec";
import { diff } from "../../offline/provider/src/diff";
import { sdkVersion } from "../../offline/provider/src/provider";
import { typeOfUrn } from "../../offline/provider/src/schema";
import { buildTar, splitPath, tarHeader } from "../../offline/provider/src/tar";
import { containsSecret, parseGoDuration, secret, UNKNOWN, unwrap } from "../../offline/provider/src/values";

const urn = (type: string, name = "kc") => `urn:pulumi:dev::keycloak-cluster::${type}::${name}`;
const CONTAINER = urn("docker:index/container:Container");
const NETWORK = urn("docker:index/network:Network");
const IMAGE = urn("docker:index/remoteImage:RemoteImage");
const BIN = path.resolve(__dirname, "../../offline/provider/bin/pulumi-resource-docker");

describe("durations (Go time.ParseDuration, as the real provider)", () => {
  it.each([
    ["0", 0],
    ["0s", 0],
    ["5s", 5e9],
    ["1m30s", 90e9],
    ["1.5h", 5400e9],
    ["250ms", 250e6],
    ["1h2m3s4ms", 3723004e6],
    ["10us", 10e3],
  ])("%s", (text, ns) => expect(parseGoDuration(text)).toBe(ns));
  it.each(["", "5", "s", "1x", "1m 30s", "abc"])("rejects %j", (text) => {
    expect(() => parseGoDuration(text)).toThrow(/invalid duration/);
  });
});

describe("check", () => {
  it("applies the real provider's container defaults", () => {
    const r = check(
      CONTAINER,
      {},
      {
        name: "kc-1",
        image: "sha256:abc",
        ports: [{ internal: 8080 }],
        uploads: [{ file: "/x", content: "y" }],
        healthcheck: { tests: ["CMD", "true"] },
      },
    );
    expect(r.failures).toBeUndefined();
    expect(r.inputs).toMatchObject({
      restart: "no",
      mustRun: true,
      wait: false,
      waitTimeout: 60,
      ports: [{ internal: 8080, ip: "0.0.0.0", protocol: "tcp" }],
      uploads: [{ file: "/x", content: "y", executable: false }],
      healthcheck: { tests: ["CMD", "true"], interval: "0s", timeout: "0s", startPeriod: "0s", retries: 0 },
    });
  });

  it("names every unsupported property instead of ignoring it", () => {
    const r = check(
      CONTAINER,
      {},
      {
        name: "c",
        image: "i",
        devices: [{ hostPath: "/dev/null" }],
        uploads: [{ file: "/x", content: "y", permissions: "0600" }],
      },
    );
    expect(r.failures).toEqual(
      expect.arrayContaining([
        { property: "devices", reason: 'property "devices" is not supported by the offline docker stand-in' },
        {
          property: "uploads[0].permissions",
          reason: 'property "uploads[0].permissions" is not supported by the offline docker stand-in',
        },
      ]),
    );
  });

  it("validates values", () => {
    const r = check(
      CONTAINER,
      {},
      {
        restart: "sometimes",
        healthcheck: { interval: "5 seconds" },
        ports: [{ internal: 70000, protocol: "icmp" }],
        envs: ["NOEQUALS"],
        uploads: [{ file: "/x" }],
        volumes: [{ containerPath: "/data" }],
        cpus: "two",
      },
    );
    const props = (r.failures ?? []).map((f) => f.property);
    expect(props).toEqual(
      expect.arrayContaining([
        "image",
        "restart",
        "healthcheck.interval",
        "ports[0].internal",
        "ports[0].protocol",
        "envs[0]",
        "uploads[0]",
        "volumes[0].volumeName",
        "cpus",
      ]),
    );
  });

  it("auto-names like Pulumi and keeps the generated name", () => {
    const first = check(NETWORK, {}, {});
    expect(first.inputs.name).toMatch(/^kc-[a-z0-9]{7}$/);
    expect(first.inputs.__defaults).toEqual(["name"]);
    const again = check(NETWORK, first.inputs, {});
    expect(again.inputs.name).toBe(first.inputs.name);
  });

  it("keeps secrets wrapped and skips unknowns", () => {
    const r = check(
      CONTAINER,
      {},
      {
        name: "c",
        image: UNKNOWN,
        envs: [secret("PASSWORD=s3cret"), "A=b"],
        healthcheck: secret({ tests: ["CMD", "true"] }),
      },
    );
    expect(r.failures).toBeUndefined();
    expect(r.inputs.image).toBe(UNKNOWN);
    expect(containsSecret(r.inputs.envs)).toBe(true);
    expect(unwrap(r.inputs.healthcheck)).toMatchObject({ interval: "0s", retries: 0 });
    expect(containsSecret(r.inputs.healthcheck)).toBe(true);
  });

  it("refuses resource types it does not implement", () => {
    const r = check(urn("docker:index/service:Service"), {}, {});
    expect(r.failures?.[0].reason).toMatch(/not supported by the offline docker stand-in/);
  });

  it("reads the type from the URN, also under a parent", () => {
    expect(typeOfUrn("urn:pulumi:s::p::my:comp:Cluster$docker:index/container:Container::n")).toBe("docker:index/container:Container");
  });
});

describe("diff", () => {
  const base = () =>
    check(
      CONTAINER,
      {},
      {
        name: "kc-1",
        image: "sha256:1",
        envs: ["A=1", "B=2"],
        ports: [{ internal: 8080, ip: "127.0.0.1" }],
        healthcheck: { tests: ["CMD", "true"], interval: "90s" },
        restart: "unless-stopped",
      },
    ).inputs as Record<string, unknown>;
  const outs = () => ({
    ...base(),
    hostname: "abc123",
    command: ["sleep"],
    ports: [{ internal: 8080, ip: "127.0.0.1", protocol: "tcp", external: 32768 }],
  });

  it("sees no change for the same inputs (computed outputs, set order, duration spelling)", () => {
    const news = { ...base(), envs: ["B=2", "A=1"], healthcheck: { ...(base().healthcheck as object), interval: "1m30s" } };
    expect(diff(CONTAINER, outs(), news)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("updates restart, maxRetryCount and memory in place", () => {
    const r = diff(CONTAINER, outs(), { ...base(), restart: "always", memory: 512 });
    expect(r).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    // ...but Docker cannot lift a memory limit in place.
    expect(diff(CONTAINER, { ...outs(), memory: 512 }, base()).replaces).toEqual(["memory"]);
  });

  it("replaces on a ForceNew property, deleting first when the name is fixed", () => {
    const r = diff(CONTAINER, outs(), { ...base(), envs: ["A=1", "B=3"] });
    expect(r).toEqual({ changes: true, replaces: ["envs"], deleteBeforeReplace: true });
    const auto = diff(CONTAINER, outs(), { ...base(), image: "sha256:2", __defaults: ["name"] });
    expect(auto).toEqual({ changes: true, replaces: ["image"], deleteBeforeReplace: false });
  });

  it("replaces when a replace key is unknown during preview", () => {
    expect(diff(CONTAINER, outs(), { ...base(), image: UNKNOWN }).replaces).toEqual(["image"]);
  });

  it("compares secrets by value", () => {
    const secretOuts = { ...outs(), envs: [secret("A=1"), "B=2"] };
    expect(diff(CONTAINER, secretOuts, { ...base(), envs: [secret("A=1"), "B=2"] }).changes).toBe(false);
    expect(diff(CONTAINER, secretOuts, { ...base(), envs: [secret("A=2"), "B=2"] }).replaces).toEqual(["envs"]);
  });

  it("Network: every property replaces; RemoteImage: only name", () => {
    const n = { name: "net", driver: "bridge", labels: [{ label: "a", value: "1" }] };
    expect(diff(NETWORK, { ...n, id: "x", scope: "local" }, n).changes).toBe(false);
    expect(diff(NETWORK, n, { ...n, labels: [] }).replaces).toEqual(["labels"]);
    const img = { name: "base:1", keepLocally: true };
    expect(diff(IMAGE, { ...img, imageId: "sha256:1" }, { ...img, keepLocally: false })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(diff(IMAGE, img, { ...img, name: "base:2" }).replaces).toEqual(["name"]);
  });
});

describe("container create request", () => {
  const p = unwrap<Record<string, unknown>>(
    check(
      CONTAINER,
      {},
      {
        name: "kc-1",
        image: "img",
        ports: [{ internal: 8080, external: 18080, ip: "127.0.0.1" }, { internal: 9000 }],
        networksAdvanced: [{ name: "net-a", aliases: ["kc"] }, { name: "net-b" }],
        volumes: [{ volumeName: "data", containerPath: "/data", readOnly: true }],
        healthcheck: { tests: ["CMD", "true"], interval: "5s", startPeriod: "1m", retries: 3 },
        memory: 256,
        cpus: "1.5",
        labels: [{ label: "app", value: "kc" }],
      },
    ).inputs,
  );
  const o = createOptions(p);

  it("maps inputs to the Engine API like the real provider", () => {
    expect(o.ExposedPorts).toEqual({ "8080/tcp": {}, "9000/tcp": {} });
    expect(o.HostConfig?.PortBindings).toEqual({
      "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "18080" }],
      "9000/tcp": [{ HostIp: "0.0.0.0", HostPort: "" }],
    });
    expect(o.HostConfig?.Binds).toEqual(["data:/data:ro"]);
    expect(o.HostConfig?.Memory).toBe(256 * 1024 * 1024);
    expect(o.HostConfig?.NanoCpus).toBe(1.5e9);
    expect(o.HostConfig?.RestartPolicy).toEqual({ Name: "no", MaximumRetryCount: 0 });
    expect(o.HostConfig?.NetworkMode).toBe("net-a");
    expect(o.NetworkingConfig?.EndpointsConfig).toEqual({ "net-a": { Aliases: ["kc"] } });
    expect(o.Healthcheck).toEqual({ Test: ["CMD", "true"], Interval: 5e9, Timeout: 0, StartPeriod: 60e9, Retries: 3 });
    expect(o.Labels).toEqual({ app: "kc" });
    expect(updateOptions(p)).toEqual({
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
      Memory: 256 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
    });
  });

  it("fills in host ports Docker picked", () => {
    const info = { NetworkSettings: { Ports: { "9000/tcp": [{ HostIp: "0.0.0.0", HostPort: "32771" }] } } };
    expect(portsWithExternal(p.ports, info as never)).toEqual([
      { internal: 8080, external: 18080, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 9000, external: 32771, ip: "0.0.0.0", protocol: "tcp" },
    ]);
  });
});

describe("tar", () => {
  it("writes a valid ustar header", () => {
    const h = tarHeader({ name: "/opt/kc/run.sh", content: Buffer.from("hi"), mode: 0o744, mtime: 1 });
    expect(h.length).toBe(512);
    expect(h.subarray(0, 13).toString()).toBe("opt/kc/run.sh");
    expect(h.subarray(257, 262).toString()).toBe("ustar");
    const stored = parseInt(h.subarray(148, 154).toString(), 8);
    const copy = Buffer.from(h);
    copy.fill(0x20, 148, 156);
    expect(stored).toBe(copy.reduce((a, b) => a + b, 0));
  });

  it("splits long paths into prefix and name", () => {
    const long = `${"d".repeat(120)}/file.txt`;
    expect(splitPath(long)).toEqual({ prefix: "d".repeat(120), name: "file.txt" });
    expect(() => splitPath("x".repeat(300))).toThrow(/too long/);
  });

  it("is extracted by GNU tar with contents and modes (uploads)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kc-tar-"));
    try {
      const archives = uploadArchives({
        uploads: [
          { file: "/etc/kc/app.conf", content: "a=1\n", executable: false },
          { file: "/opt/run.sh", contentBase64: Buffer.from("#!/bin/sh\necho ok\n").toString("base64"), executable: true },
          { file: `/deep/${"n".repeat(110)}/big.bin`, content: "x".repeat(1500) },
        ],
      });
      for (const [i, a] of archives.entries()) {
        writeFileSync(path.join(dir, `${i}.tar`), a.tar);
        execFileSync("tar", ["-xf", path.join(dir, `${i}.tar`), "-C", dir]);
      }
      expect(readFileSync(path.join(dir, "etc/kc/app.conf"), "utf8")).toBe("a=1\n");
      expect(statSync(path.join(dir, "etc/kc/app.conf")).mode & 0o777).toBe(0o644);
      expect(readFileSync(path.join(dir, "opt/run.sh"), "utf8")).toBe("#!/bin/sh\necho ok\n");
      expect(statSync(path.join(dir, "opt/run.sh")).mode & 0o777).toBe(0o744);
      expect(readFileSync(path.join(dir, "deep", "n".repeat(110), "big.bin"), "utf8")).toBe("x".repeat(1500));
      expect(buildTar([]).length).toBe(1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("plugin executable", () => {
  it("reports the @pulumi/docker SDK version", () => {
    const pkg = JSON.parse(readFileSync(require.resolve("@pulumi/docker/package.json"), "utf8")) as { version: string };
    expect(sdkVersion()).toBe(pkg.version);
    expect(sdkVersion()).toBe("5.2.0");
  });

  it("starts, announces itself as the stand-in on stderr and prints its port", async () => {
    const started = Date.now();
    const child = spawn(BIN, [], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("\n")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`exited ${String(code)}: ${err}`)));
      });
    } finally {
      child.kill();
    }
    expect(out.trim()).toMatch(/^\d+$/);
    expect(err).toMatch(/OFFLINE STAND-IN/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
