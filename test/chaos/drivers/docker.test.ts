import { describe, expect, it } from "vitest";
import { DockerApi, DockerDriver, engineOptions, StopTimeoutSeconds } from "../../../chaos/drivers/docker";
import { fakeOutputs } from "../fakes";

type State = { Running: boolean; Paused: boolean } | "missing";

/** A fake Docker API: containers by name with their state; every call is recorded. */
function fakeDocker(states: Record<string, State>) {
  const calls: string[] = [];
  const api: DockerApi = {
    getContainer: (name) =>
      ({
        stop: async (opts?: { t?: number }) => void calls.push(`stop ${name} t=${opts?.t}`),
        kill: async (opts?: { signal?: string }) => void calls.push(`kill ${name} ${opts?.signal}`),
        pause: async () => void calls.push(`pause ${name}`),
        unpause: async () => void calls.push(`unpause ${name}`),
        start: async () => void calls.push(`start ${name}`),
        inspect: async () => {
          const state = states[name];
          if (state === undefined || state === "missing") {
            throw Object.assign(new Error("no such container"), { statusCode: 404 });
          }
          return { State: state } as never;
        },
      }) as never,
  };
  return { api, calls };
}

const outputs = fakeOutputs(2);
const handle = outputs.driver.kind === "docker" ? outputs.driver : (undefined as never);
const running = { Running: true, Paused: false };

describe("the docker driver", () => {
  it("lists the stack's nodes with their published URLs", async () => {
    const driver = new DockerDriver(handle, fakeDocker({}).api);
    expect(await driver.nodes()).toEqual([
      { id: "kc-0", nodeName: "kc-0", httpUrl: "http://127.0.0.1:18080", managementUrl: "http://127.0.0.1:19000" },
      { id: "kc-1", nodeName: "kc-1", httpUrl: "http://127.0.0.1:18081", managementUrl: "http://127.0.0.1:19001" },
    ]);
  });

  it("kills with SIGKILL, stops gracefully with the stop timeout, pauses", async () => {
    const { api, calls } = fakeDocker({ "kc-0": running });
    const driver = new DockerDriver(handle, api);
    const [node] = await driver.nodes();
    for (const fault of ["kill", "stop", "pause"] as const) {
      await driver.inject(await driver.prepare(node, fault));
    }
    expect(calls).toEqual(["kill kc-0 SIGKILL", `stop kc-0 t=${StopTimeoutSeconds}`, "pause kc-0"]);
  });

  it("refuses faults of other targets before touching anything", async () => {
    const { api, calls } = fakeDocker({ "kc-0": running });
    const driver = new DockerDriver(handle, api);
    const [node] = await driver.nodes();
    await expect(driver.prepare(node, "force-delete")).rejects.toThrow(
      "the docker driver cannot force-delete a node (it can: kill, stop, pause)",
    );
    expect(calls).toEqual([]);
  });

  it("sees a kill or stop as a stopped container and a pause as a paused one", async () => {
    const states: Record<string, State> = { "kc-0": { Running: false, Paused: false } };
    const driver = new DockerDriver(handle, fakeDocker(states).api);
    const [node] = await driver.nodes();
    expect(await driver.observe(await driver.prepare(node, "kill"))).toEqual({
      happened: true,
      detail: "container kc-0 is stopped (want stopped)",
    });
    expect(await driver.observe(await driver.prepare(node, "pause"))).toEqual({
      happened: false,
      detail: "container kc-0 is stopped (want paused)",
    });
    states["kc-0"] = { Running: true, Paused: true };
    expect((await driver.observe(await driver.prepare(node, "pause"))).happened).toBe(true);
  });

  it("restores what is there: starts a stopped container, unpauses a paused one, leaves a running one alone", async () => {
    const states: Record<string, State> = { "kc-0": { Running: false, Paused: false }, "kc-1": { Running: true, Paused: true } };
    const { api, calls } = fakeDocker(states);
    const driver = new DockerDriver(handle, api);
    const [a, b] = await driver.nodes();
    // A stale record may name another fault than what the container shows: undo what is there.
    await driver.restore(await driver.prepare(a, "pause"));
    await driver.restore(await driver.prepare(b, "kill"));
    states["kc-0"] = running;
    await driver.restore(await driver.prepare(a, "kill"));
    expect(calls).toEqual(["start kc-0", "unpause kc-1"]);
  });

  it("says a container that is gone cannot be restored, and how to get it back", async () => {
    const driver = new DockerDriver(handle, fakeDocker({ "kc-0": "missing" }).api);
    const [node] = await driver.nodes();
    await expect(driver.restore(await driver.prepare(node, "kill"))).rejects.toThrow(
      "container kc-0 of node kc-0 is gone; run pulumi up to recreate it",
    );
  });
});

describe("the engine the stack deployed to", () => {
  it.each([
    [undefined, undefined],
    ["unix:///run/other.sock", { socketPath: "/run/other.sock" }],
    ["tcp://10.1.2.3:2375", { protocol: "http", host: "10.1.2.3", port: 2375 }],
    ["https://engine.internal", { protocol: "https", host: "engine.internal", port: 2376 }],
    ["ssh://ops@engine.internal", { protocol: "ssh", host: "engine.internal", port: 22, username: "ops" }],
  ])("%s", (host, expected) => {
    expect(engineOptions(host)).toEqual(expected);
  });

  it("refuses an address it cannot reach", () => {
    expect(() => engineOptions("npipe:////./pipe/docker_engine")).toThrow(
      "docker engine address npipe:////./pipe/docker_engine is not unix://, tcp://, https:// or ssh://",
    );
  });
});
