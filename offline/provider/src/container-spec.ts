// Pure translation between Container inputs and the Docker Engine API: the create request,
// the upload archives, and the outputs computed from `docker inspect`.

import type Docker from "dockerode";
import { labelMap } from "./docker";
import { outputsFrom } from "./resources";
import { buildTar } from "./tar";
import { type Props, containsSecret, parseGoDuration, text } from "./values";

const MiB = 1024 * 1024;

function list<T = Props>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

/** The ContainerCreate request for (unwrapped) inputs, as the real provider builds it. */
export function createOptions(p: Props): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of list(p.ports)) {
    const key = `${text(port.internal)}/${text(port.protocol, "tcp")}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: text(port.ip, "0.0.0.0"),
      HostPort: port.external !== undefined ? text(port.external) : "",
    });
  }
  const networks = list(p.networksAdvanced);
  const first = networks[0];
  const hc = p.healthcheck as Props | undefined;
  const tests = list<string>(hc?.tests);
  const options: Docker.ContainerCreateOptions = {
    name: text(p.name),
    Image: text(p.image),
    Hostname: (p.hostname as string | undefined) ?? undefined,
    User: (p.user as string | undefined) || undefined,
    Cmd: list<string>(p.command).length > 0 ? list<string>(p.command) : undefined,
    Entrypoint: list<string>(p.entrypoints).length > 0 ? list<string>(p.entrypoints) : undefined,
    Env: list<string>(p.envs).length > 0 ? list<string>(p.envs) : undefined,
    Labels: labelMap(p.labels),
    ExposedPorts: Object.keys(exposed).length > 0 ? exposed : undefined,
    StopSignal: (p.stopSignal as string | undefined) || undefined,
    StopTimeout: typeof p.stopTimeout === "number" ? p.stopTimeout : undefined,
    Healthcheck: hc
      ? {
          Test: tests.length > 0 ? tests : undefined,
          Interval: parseGoDuration(text(hc.interval, "0s")),
          Timeout: parseGoDuration(text(hc.timeout, "0s")),
          StartPeriod: parseGoDuration(text(hc.startPeriod, "0s")),
          Retries: Number(hc.retries ?? 0),
        }
      : undefined,
    HostConfig: {
      RestartPolicy: { Name: text(p.restart, "no"), MaximumRetryCount: Number(p.maxRetryCount ?? 0) },
      PortBindings: Object.keys(bindings).length > 0 ? bindings : undefined,
      Binds: list(p.volumes).map((v) => `${text(v.volumeName)}:${text(v.containerPath)}${v.readOnly === true ? ":ro" : ""}`),
      Memory: typeof p.memory === "number" && p.memory > 0 ? p.memory * MiB : undefined,
      NanoCpus: typeof p.cpus === "string" && Number(p.cpus) > 0 ? Math.round(Number(p.cpus) * 1e9) : undefined,
      LogConfig: { Type: (p.logDriver as string | undefined) ?? "", Config: {} },
      NetworkMode: first ? text(first.name) : undefined,
    },
    NetworkingConfig: first ? { EndpointsConfig: { [text(first.name)]: { Aliases: list<string>(first.aliases) } } } : undefined,
  };
  return options;
}

/** The networks to connect after create (the first one is given at create). */
export function extraNetworks(p: Props): { name: string; aliases: string[] }[] {
  return list(p.networksAdvanced)
    .slice(1)
    .map((n) => ({ name: text(n.name), aliases: list<string>(n.aliases) }));
}

/** One archive per upload, extracted at "/" (mode 0744 when executable, else 0644). */
export function uploadArchives(p: Props): { file: string; tar: Buffer }[] {
  return list(p.uploads).map((u) => {
    const content =
      u.contentBase64 !== undefined && u.contentBase64 !== ""
        ? Buffer.from(text(u.contentBase64), "base64")
        : Buffer.from(text(u.content, ""), "utf8");
    const mode = u.executable === true ? 0o744 : 0o644;
    return { file: text(u.file), tar: buildTar([{ name: text(u.file), content, mode }]) };
  });
}

/** The real provider's network_data blocks. */
export function networkDatas(info: Docker.ContainerInspectInfo): Props[] {
  const nets = (info.NetworkSettings?.Networks ?? {}) as Record<string, Props>;
  return Object.entries(nets)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([networkName, s]) => ({
      networkName,
      ipAddress: s.IPAddress ?? "",
      ipPrefixLength: s.IPPrefixLen ?? 0,
      gateway: s.Gateway ?? "",
      globalIpv6Address: s.GlobalIPv6Address ?? "",
      globalIpv6PrefixLength: s.GlobalIPv6PrefixLen ?? 0,
      ipv6Gateway: s.IPv6Gateway ?? "",
      macAddress: s.MacAddress ?? "",
    }));
}

/** Input ports with the host port Docker chose where `external` was left out. */
export function portsWithExternal(ports: unknown, info: Docker.ContainerInspectInfo): unknown {
  if (!Array.isArray(ports) || containsSecret(ports)) {
    return ports;
  }
  const published = (info.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp: string; HostPort: string }[] | null>;
  return (ports as Props[]).map((port) => {
    if (port.external !== undefined) return port;
    const found = published[`${text(port.internal)}/${text(port.protocol, "tcp")}`] ?? [];
    const match = found.find((b) => b.HostIp === port.ip) ?? found[0];
    return match ? { ...port, external: Number(match.HostPort) } : port;
  });
}

/** Outputs: every input as given (secrets stay wrapped) plus what Docker computed. */
export function containerOutputs(inputs: Props, info: Docker.ContainerInspectInfo): Props {
  const computed: Props = {
    name: info.Name.replace(/^\//, ""),
    hostname: info.Config.Hostname,
    command: info.Config.Cmd ?? [],
    entrypoints: info.Config.Entrypoint ?? [],
    logDriver: info.HostConfig.LogConfig?.Type ?? "",
    stopSignal: (info.Config as { StopSignal?: string }).StopSignal ?? "",
    stopTimeout: (info.Config as { StopTimeout?: number }).StopTimeout ?? 0,
    networkDatas: networkDatas(info),
    bridge: info.NetworkSettings?.Bridge ?? "",
    restart: info.HostConfig.RestartPolicy?.Name ?? "no",
    maxRetryCount: info.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0,
    memory: Math.floor((info.HostConfig.Memory ?? 0) / MiB),
  };
  if (!info.State.Running) {
    computed.exitCode = info.State.ExitCode;
  }
  const outs = outputsFrom(inputs, computed);
  if (inputs.ports !== undefined) {
    outs.ports = portsWithExternal(inputs.ports, info);
  }
  return outs;
}

/** What a refresh observes (the real provider's Read sets these from inspect). */
export function observedState(info: Docker.ContainerInspectInfo): Props {
  const computed: Props = {
    name: info.Name.replace(/^\//, ""),
    hostname: info.Config.Hostname,
    restart: info.HostConfig.RestartPolicy?.Name ?? "no",
    maxRetryCount: info.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0,
    memory: Math.floor((info.HostConfig.Memory ?? 0) / MiB),
    networkDatas: networkDatas(info),
    bridge: info.NetworkSettings?.Bridge ?? "",
  };
  if (!info.State.Running) {
    computed.exitCode = info.State.ExitCode;
  }
  return computed;
}

/** The ContainerUpdate request for the in-place properties. */
export function updateOptions(p: Props): Props {
  const memory = typeof p.memory === "number" && p.memory > 0 ? p.memory * MiB : 0;
  const opts: Props = {
    RestartPolicy: { Name: text(p.restart, "no"), MaximumRetryCount: Number(p.maxRetryCount ?? 0) },
    Memory: memory,
  };
  if (memory > 0) {
    // Docker's own default at create (memory + swap = 2 x memory); without it, raising the
    // limit above the swap limit set at create is refused.
    opts.MemorySwap = 2 * memory;
  }
  return opts;
}
