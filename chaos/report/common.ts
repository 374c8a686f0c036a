/** Small helpers the reporters share: atomic file writes, times and durations, lists of failures. */
import { randomUUID } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FailoverSettings } from "../../components/shared/outputs";
import { ChaosEvent, CheckFailure, EventSink, RunConfig } from "../events";

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
}

/** Writes `text` to a temporary file beside `file`, then renames it: readers never see half a file. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = tempName(file);
  try {
    await writeFile(temp, text, "utf8");
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The same, synchronously: for a `process.on("exit")` handler, where nothing async runs. */
export function writeFileAtomicSync(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = tempName(file);
  try {
    writeFileSync(temp, text, "utf8");
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Milliseconds since the epoch of an event time; undefined when the text is not a date. */
export function epochMs(at: string): number | undefined {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The run's configuration, from the run-start event. */
export function runConfigOf(events: readonly ChaosEvent[]): RunConfig | undefined {
  for (const event of events) {
    if (event.type === "run-start") {
      return event.config;
    }
  }
  return undefined;
}

/** When the run started: the run-start event, else the first event with a valid time. */
export function runStartMs(events: readonly ChaosEvent[]): number | undefined {
  const start = events.find((e) => e.type === "run-start");
  const first = start ? epochMs(start.at) : undefined;
  return first ?? events.map((e) => epochMs(e.at)).find((ms) => ms !== undefined);
}

/** "340 ms", "4.2 s", "2m 05s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

/** Cuts a long detail to `max` characters. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** "a (why), b (why), … 3 more": the first `max` failures of a check. */
export function failureSummary(failures: readonly CheckFailure[], max: number, detailMax = 80): string {
  const shown = failures.slice(0, max).map((f) => (f.detail ? `${f.subject} (${truncate(f.detail, detailMax)})` : f.subject));
  const more = failures.length - shown.length;
  return more > 0 ? `${shown.join(", ")}, … ${more} more` : shown.join(", ");
}

/** The node ids a check names: "kc-1", "lb", or "kc-1+kc-2" for a check over several victims. */
export function nodesOf(route: string): string[] {
  return route.split("+").filter((n) => n.length > 0);
}

const HtmlEntities: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe inside HTML and SVG elements and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HtmlEntities[c] ?? c);
}

/** A reporter that collects the events and writes one file from them at the end. */
export abstract class FileReporter implements EventSink {
  protected readonly events: ChaosEvent[] = [];
  readonly file: string;

  constructor(dir: string, name: string) {
    this.file = path.join(dir, name);
  }

  emit(event: ChaosEvent): void {
    this.events.push(event);
  }

  /** The file's text from the events so far. */
  protected abstract render(): string;

  async finish(): Promise<string> {
    await writeFileAtomic(this.file, this.render());
    return this.file;
  }
}

/** The failover window in words: the load balancer's last failed request, and each route's first clean check. */
/** The settings that decide failover, in one line: "cache stack jdbc-ping-fast-fd (fast.xml), cluster TLS off, ...". */
export function failoverSettingsSummary(settings: FailoverSettings | undefined): string {
  if (!settings) {
    return "not in the stack outputs (deployed before they were an output)";
  }
  const check = settings.healthCheck;
  return [
    `cache stack ${settings.cacheStack} (${settings.cacheConfigFile ?? "Keycloak's built-in cache configuration"})`,
    `cluster TLS ${settings.clusterTls ? "on" : "off"}`,
    `health check every ${check.intervalSeconds} s (timeout ${check.timeoutSeconds} s, out after ${check.fall} failed)`,
    settings.safeRetryAfterSeconds === null
      ? "no request retried on another node"
      : `GET/HEAD retried on another node after ${settings.safeRetryAfterSeconds} s`,
  ].join(", ");
}

export function failoverSummary(event: Extract<ChaosEvent, { type: "failover" }>): string {
  const lb =
    event.lastFailedRequestMs === null
      ? "no request through the load balancer failed after the fault"
      : `the last failed request through the load balancer ended ${formatDuration(event.lastFailedRequestMs)} after the fault`;
  const routes = Object.entries(event.firstCleanCheckMs).map(
    ([route, ms]) => `${route} ${ms === null ? "none" : `+${formatDuration(ms)}`}`,
  );
  return `${lb}; first check passed in full: ${routes.join(", ") || "no check ran"}`;
}
