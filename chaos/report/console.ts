/**
 * Live progress for people (text, colored only on a TTY without NO_COLOR) or for machines
 * (`--json`: one event per line, NDJSON). Writes to an injected stream, never to process.stdout.
 */
import { ChaosEvent, EventSink, FaultKind } from "../events";
import { epochMs, failoverSettingsSummary, failoverSummary, failureSummary, formatDuration } from "./common";

export interface TextStream {
  write(text: string): void;
}

export interface ConsoleOptions {
  /** NDJSON (one event per line) instead of text. Default: false. */
  readonly json?: boolean;
  /** ANSI colors in text mode. Default: false; see `wantsColor`. */
  readonly color?: boolean;
  /** Failed subjects shown per check line. Default: 3. */
  readonly maxSubjects?: number;
}

/** Color only for a terminal, and never when NO_COLOR is set (no-color.org). */
export function wantsColor(opts: { readonly isTTY: boolean; readonly noColor: boolean }): boolean {
  return opts.isTTY && !opts.noColor;
}

type Paint = (text: string) => string;

const ansi = (open: number, enabled: boolean): Paint => (enabled ? (text) => `\u001b[${open}m${text}\u001b[0m` : (text) => text);

export class ConsoleReporter implements EventSink {
  private startMs?: number;
  private fault?: FaultKind;
  private clusterSize?: number;
  private readonly bold: Paint;
  private readonly dim: Paint;
  private readonly red: Paint;
  private readonly green: Paint;
  private readonly yellow: Paint;

  constructor(
    private readonly stream: TextStream,
    private readonly options: ConsoleOptions = {},
  ) {
    const color = !options.json && (options.color ?? false);
    this.bold = ansi(1, color);
    this.dim = ansi(2, color);
    this.red = ansi(31, color);
    this.green = ansi(32, color);
    this.yellow = ansi(33, color);
  }

  emit(event: ChaosEvent): void {
    if (this.options.json) {
      this.stream.write(`${JSON.stringify(event)}\n`);
      return;
    }
    const lines = this.lines(event);
    if (lines.length === 0) {
      return;
    }
    const prefix = this.dim(this.elapsed(event.at));
    this.stream.write(lines.map((line, i) => `${i === 0 ? prefix : " ".repeat(9)} ${line}\n`).join(""));
  }

  /** "  +12.3s": time since the run started, padded so lines align. */
  private elapsed(at: string): string {
    const ms = epochMs(at);
    if (ms === undefined) {
      return " ".repeat(9);
    }
    this.startMs ??= ms;
    return `+${((ms - this.startMs) / 1000).toFixed(1)}s`.padStart(9);
  }

  /** The text of one event; empty for events that only matter to machines. */
  lines(event: ChaosEvent): string[] {
    const { bold, red, green, yellow, dim } = this;
    const round = (n: number | undefined) => (n === undefined ? "" : `round ${n} `);
    switch (event.type) {
      case "run-start": {
        const c = event.config;
        this.startMs = epochMs(event.at);
        this.fault = c.fault;
        this.clusterSize = c.clusterSize;
        return [
          `${bold("chaos run")} seed ${bold(String(c.seed))} · ${c.source} · target ${c.target} · sessions ${c.sessionMode} · cache ${c.cacheMode}`,
          `nodes ${c.nodes.map((n) => n.id).join(", ")} (cluster size ${c.clusterSize}) · ${c.rounds} round(s) of ${c.fault}, ` +
            `${c.nodesPerFault} node(s) at a time · ${c.sessions} sessions${c.dryRun ? " · dry run" : ""}${c.allowLoss ? " · loss allowed" : ""}`,
          `failover settings: ${failoverSettingsSummary(c.failoverSettings)}`,
        ];
      }
      case "steady-state": {
        const head = `${round(event.round)}steady state ${event.phase}: ${event.ok ? green("ok") : red("NOT REACHED")}${event.message ? ` (${event.message})` : ""}`;
        return [
          head,
          ...event.nodes.map((n) => {
            const size = n.clusterSize === undefined ? "" : `, cluster size ${n.clusterSize}`;
            const sizeOk = n.clusterSize === undefined || this.clusterSize === undefined || n.clusterSize === this.clusterSize;
            return `  ${n.id}: ${n.ready ? green("ready") : red("not ready")}${sizeOk ? size : red(size)}`;
          }),
        ];
      }
      case "sessions": {
        const perNode = Object.entries(event.perNode).map(([node, n]) => `${node} ${n}`);
        const extra = [
          event.inProgress ? `${event.inProgress} login(s) in progress` : "",
          event.codes ? `${event.codes} unredeemed code(s)` : "",
        ].filter(Boolean);
        const what = event.round === undefined ? "sessions" : "round fixtures";
        return [
          `${round(event.round)}${what}: ${event.loggedIn} logged in${perNode.length ? ` (${perNode.join(", ")})` : ""}${extra.length ? `, ${extra.join(", ")}` : ""}`,
        ];
      }
      case "round-start": {
        const victims = event.victims.map((v) => `${v} (${event.sessionsOnVictims[v] ?? 0} sessions)`).join(", ");
        return [bold(`round ${event.round}: ${this.fault ?? "fault"} ${victims}`)];
      }
      case "fault": {
        const what = `round ${event.round} ${event.kind} ${event.node}:`;
        const why = event.message ? ` — ${event.message}` : "";
        switch (event.action) {
          case "inject":
            return [event.ok ? yellow(`${what} injecting`) : red(`${what} INJECT FAILED${why}`)];
          case "verified":
            return [
              event.ok ? yellow(`${what} verified ${event.kind === "pause" ? "paused" : "down"}`) : red(`${what} NOT VERIFIED${why}`),
            ];
          case "restore":
            return [`${what} restoring`];
          case "restored":
            return [event.ok ? green(`${what} restored`) : red(`${what} RESTORE FAILED${why}`)];
        }
      }
      case "check": {
        const what = `round ${event.round} ${event.phase} ${event.check} @${event.node}: ${event.passed}/${event.total}`;
        const took = dim(` (${formatDuration(event.durationMs)})`);
        if (event.passed >= event.total) {
          return [`${what} ${green("ok")}${took}`];
        }
        const failures = event.failures.length ? ` — ${failureSummary(event.failures, this.options.maxSubjects ?? 3)}` : "";
        return [`${red(`${what} ok, ${event.total - event.passed} FAILED`)}${failures}${took}`];
      }
      case "traffic": {
        const rate = event.requests ? ` (${((100 * event.errors) / event.requests).toFixed(1)}%)` : "";
        const errors = `${event.errors} error(s)${rate}`;
        const l = event.latencyMs;
        return [
          `round ${event.round} traffic @lb: ${event.requests} requests, ${event.errors ? yellow(errors) : errors}, latency p50 ${l.p50} ms, p95 ${l.p95} ms, max ${l.max} ms`,
        ];
      }
      case "failover":
        return [`round ${event.round} failover: ${failoverSummary(event)}`];
      case "timing":
        return [dim(`round ${event.round} ${event.phase}: ${formatDuration(event.ms)}`)];
      case "log":
        return [event.level === "warn" ? yellow(`warning: ${event.message}`) : event.message];
      case "node-state":
        // The fault lines already say when a node went down and came back.
        return [];
      case "run-end": {
        const verdict = `verdict: ${event.verdict.toUpperCase()} (exit ${event.exitCode})${event.message ? ` — ${event.message}` : ""}`;
        const lost = event.lost.length ? red(`lost sessions (${event.lost.length}): ${event.lost.join(", ")}`) : "lost sessions: none";
        return [bold(event.verdict === "passed" ? green(verdict) : red(verdict)), lost];
      }
    }
  }
}
