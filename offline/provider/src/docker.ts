// Docker client and small helpers shared by the resource implementations.

import type Docker from "dockerode";
import type { Props } from "./values";

let client: Docker | undefined;

/**
 * The Docker client. Provider config (host, certs, ...) is ignored: like `docker` itself,
 * it follows DOCKER_HOST (unix:// or tcp://, read by docker-modem) and otherwise uses the
 * default socket /var/run/docker.sock.
 */
export function docker(): Docker {
  if (!client) {
    // Loaded on first use, so the plugin answers the engine's handshake sooner.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const DockerClass = require("dockerode") as typeof Docker;
    client = new DockerClass();
  }
  return client;
}

/** For tests: use another client. */
export function setDocker(d: Docker): void {
  client = d;
}

export function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { statusCode?: number }).statusCode === 404;
}

export function isNotModified(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { statusCode?: number }).statusCode === 304;
}

/** Docker's error text (the daemon's JSON message when there is one). */
export function errorText(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string };
  return err?.json?.message ?? err?.message ?? String(e);
}

/** [{label, value}] (the real provider's label blocks) to a Docker label map. */
export function labelMap(labels: unknown): Record<string, string> | undefined {
  if (!Array.isArray(labels) || labels.length === 0) {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const l of labels as Props[]) {
    out[String(l.label)] = String(l.value);
  }
  return out;
}

/** Decodes `docker logs` output (8-byte framed when the container has no TTY). */
export function demuxLogs(buf: Buffer): string {
  const chunks: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i] <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    chunks.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return i === 0 ? buf.toString("utf8") : Buffer.concat(chunks).toString("utf8");
}

/** The last lines a container logged, for error messages. */
export async function tailLogs(id: string, lines = 20): Promise<string> {
  try {
    const out = await docker().getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false });
    const text = demuxLogs(out).trimEnd();
    return text === "" ? "(no log output)" : text;
  } catch (e) {
    return `(logs unavailable: ${errorText(e)})`;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a removal; an object that is already gone counts as removed. */
export async function removeIfPresent(what: string, remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (e) {
    if (!isNotFound(e)) throw new Error(`removing ${what}: ${errorText(e)}`);
  }
}
