/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, no external assets): the
 * verdict, seed and configuration, a timeline, and the checks of every round. Every piece of
 * text from the events is escaped.
 */
import { ChaosEvent, RunConfig } from "../events";
import {
  epochMs,
  escapeHtml as esc,
  failoverSettingsSummary,
  failoverSummary,
  FileReporter,
  formatDuration,
  runConfigOf,
  runStartMs,
  truncate,
} from "./common";
import { renderTimeline } from "./timeline";
import { renderTrafficChart } from "./traffic-chart";

export const HtmlFile = "chaos-report.html";

type Event<T extends ChaosEvent["type"]> = Extract<ChaosEvent, { type: T }>;

const Css = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1d232a}
h1{font-size:22px;margin:0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dde3}h3{font-size:15px;margin:20px 0 6px}
header{padding:14px 18px;border-radius:6px;color:#fff}header p{margin:6px 0 0}
.v-passed{background:#2e7d32}.v-failed{background:#c62828}.v-aborted{background:#ef6c00}.v-error,.v-incomplete{background:#6a1b9a}
table{border-collapse:collapse;margin:4px 0}th,td{border:1px solid #d8dde3;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f5f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}
ul.failures{margin:0;padding-left:18px}code{font-size:12px}.muted{color:#5f6b77}
svg.timeline{border:1px solid #d8dde3;border-radius:4px;background:#fff}
svg .label{font-size:12px;fill:#1d232a}svg .axis-label,svg .round-label{font-size:11px;fill:#5f6b77;text-anchor:middle}
svg .up{fill:#a5d6a7}svg .down{fill:#e57373}svg .lbbar{fill:#cfd8dc}svg .traffic.clean{fill:#64b5f6;opacity:.6}svg .traffic.errors{fill:#ffb74d;opacity:.8}
svg .tick{stroke-width:2}svg .tick.pass{stroke:#2e7d32}svg .tick.fail{stroke:#c62828;stroke-width:3}
svg .fault.inject{fill:#c62828}svg .fault.restored{fill:#2e7d32}svg .fault.failed{stroke:#6a1b9a;stroke-width:2;fill:none}
svg line.round{stroke:#90a4ae;stroke-dasharray:4 3}svg line.axis{stroke:#90a4ae}
svg.traffic-chart{border:1px solid #d8dde3;border-radius:4px;background:#fff;display:block;margin:4px 0}
svg .err{fill:#ffb74d}svg polyline{fill:none;stroke-width:1.5}svg .p50{stroke:#1e88e5}svg .p95{stroke:#0d47a1}svg .window{fill:#ffe0b2;opacity:.7}
svg .mark{stroke-width:2}svg .mark.inject{stroke:#c62828}svg .mark.restored{stroke:#2e7d32}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}
`;

function configRows(c: RunConfig): [string, string][] {
  return [
    ["seed", String(c.seed)],
    ["source", c.source],
    ["target", c.target],
    ["session mode", c.sessionMode],
    ["cache mode", c.cacheMode],
    ["failover settings", failoverSettingsSummary(c.failoverSettings)],
    ["cluster size", String(c.clusterSize)],
    ["nodes", c.nodes.map((n) => (n.nodeName === n.id ? n.id : `${n.id} (${n.nodeName})`)).join(", ")],
    ["rounds", String(c.rounds)],
    ["fault", c.fault],
    ["nodes per fault", String(c.nodesPerFault)],
    ["sessions", String(c.sessions)],
    ["dry run", c.dryRun ? "yes" : "no"],
    ["loss allowed", c.allowLoss ? "yes" : "no"],
  ];
}

const row = (cells: string[], tag = "td") => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join("")}</tr>`;
const table = (head: string[], rows: string[]) => `<table>${row(head.map(esc), "th")}${rows.join("")}</table>`;

function checksTable(checks: readonly Event<"check">[]): string {
  const rows = checks.map((c) => {
    const ok = c.passed >= c.total;
    const failures = c.failures.length
      ? `<ul class="failures">${c.failures
          .slice(0, 20)
          .map((f) => `<li><code>${esc(f.subject)}</code> ${esc(truncate(f.detail, 200))}</li>`)
          .join("")}${c.failures.length > 20 ? `<li>… ${c.failures.length - 20} more</li>` : ""}</ul>`
      : "";
    return `<tr><td>${esc(c.phase)}</td><td>${esc(c.check)}</td><td>${esc(c.node)}</td><td class="num ${ok ? "ok" : "bad"}">${c.passed}/${c.total}</td><td>${failures}</td><td class="num">${esc(formatDuration(c.durationMs))}</td></tr>`;
  });
  return table(["phase", "check", "node", "passed", "failures", "duration"], rows);
}

function roundSection(round: number, events: readonly ChaosEvent[], at: (iso: string) => string): string {
  const of = <T extends ChaosEvent["type"]>(type: T) =>
    events.filter((e): e is Event<T> => e.type === type && "round" in e && e.round === round);
  const start = of("round-start")[0];
  const victims = start ? start.victims.map((v) => `${esc(v)} (${start.sessionsOnVictims[v] ?? 0} sessions)`).join(", ") : "";
  const faults = of("fault").map((f) =>
    row([
      esc(at(f.at)),
      esc(f.node),
      esc(f.kind),
      esc(f.action),
      f.ok ? `<span class="ok">ok</span>` : `<span class="bad">failed</span>`,
      esc(f.message ?? ""),
    ]),
  );
  const failover = of("failover")[0];
  const traffic = of("traffic").map(
    (t) =>
      `<p>Traffic through the load balancer: ${t.requests} requests, <span class="${t.errors ? "bad" : "ok"}">${t.errors} errors</span>, latency p50 ${t.latencyMs.p50} ms, p95 ${t.latencyMs.p95} ms, max ${t.latencyMs.max} ms.</p>
${renderTrafficChart(t, of("fault"), failover)}
<p class="legend muted"><span><i class="sw" style="background:#ffb74d"></i>failed requests (share of the second)</span><span><i class="sw" style="background:#1e88e5"></i>p50</span><span><i class="sw" style="background:#0d47a1"></i>p95</span><span><i class="sw" style="background:#c62828"></i>fault injected</span><span><i class="sw" style="background:#2e7d32"></i>restored</span><span><i class="sw" style="background:#ffe0b2"></i>failover window</span> · seconds from the traffic's start</p>`,
  );
  const window = failover ? `<p>Failover: ${esc(failoverSummary(failover))}.</p>` : "";
  const timings = of("timing").map((t) => `${esc(t.phase)} ${esc(formatDuration(t.ms))}`);
  return [
    `<h3>Round ${round}${victims ? ` — victims: ${victims}` : ""}</h3>`,
    faults.length ? table(["time", "node", "fault", "action", "result", "message"], faults) : "",
    window,
    ...traffic,
    timings.length ? `<p class="muted">Timing: ${timings.join(", ")}</p>` : "",
    checksTable(of("check")),
  ].join("\n");
}

/** The whole page of a list of events. */
export function renderHtml(events: readonly ChaosEvent[]): string {
  const config = runConfigOf(events);
  const end = events.findLast((e) => e.type === "run-end");
  const startMs = runStartMs(events) ?? 0;
  const at = (iso: string) => `+${(((epochMs(iso) ?? startMs) - startMs) / 1000).toFixed(1)}s`;
  const verdict = end?.verdict ?? "incomplete";
  const title = `Chaos run: ${verdict.toUpperCase()}${end ? ` (exit ${end.exitCode})` : ""}`;
  const rounds = [...new Set(events.flatMap((e) => ("round" in e && e.round !== undefined ? [e.round] : [])))].sort((a, b) => a - b);
  const steady = events.filter((e) => e.type === "steady-state");
  const logs = events.filter((e) => e.type === "log");
  const endMs = end ? epochMs(end.at) : undefined;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${Css}</style>
</head>
<body>
<header class="v-${esc(verdict)}">
<h1>${esc(title)}</h1>
<p>seed <strong>${config ? config.seed : "unknown"}</strong>${config ? ` · ${esc(config.source)} · ${config.rounds} round(s) of ${esc(config.fault)}` : ""}${
    endMs !== undefined ? ` · ${esc(formatDuration(endMs - startMs))}` : ""
  }</p>
${end?.message ? `<p>${esc(end.message)}</p>` : ""}
</header>
${end?.lost.length ? `<h2>Lost sessions (${end.lost.length})</h2><ul>${end.lost.map((l) => `<li><code>${esc(l)}</code></li>`).join("")}</ul>` : ""}
<h2>Configuration</h2>
${
  config
    ? table(
        ["setting", "value"],
        configRows(config).map(([k, v]) => row([esc(k), esc(v)])),
      )
    : "<p>No run-start event was recorded.</p>"
}
<h2>Timeline</h2>
${renderTimeline(events)}
<p class="legend muted"><span><i class="sw" style="background:#a5d6a7"></i>up</span><span><i class="sw" style="background:#e57373"></i>down (fault verified → restored)</span><span>▼ fault injected</span><span>▲ restored</span><span><i class="sw" style="background:#2e7d32"></i>check passed</span><span><i class="sw" style="background:#c62828"></i>check failed</span><span><i class="sw" style="background:#64b5f6"></i>traffic</span> · seconds from the run start</p>
<h2>Steady state</h2>
${table(
  ["time", "phase", "round", "result", "nodes"],
  steady.map((s) =>
    row([
      esc(at(s.at)),
      esc(s.phase),
      s.round === undefined ? "" : String(s.round),
      s.ok ? `<span class="ok">ok</span>` : `<span class="bad">not reached</span>${s.message ? ` ${esc(s.message)}` : ""}`,
      s.nodes
        .map(
          (n) =>
            `${esc(n.id)}: <span class="${n.ready ? "ok" : "bad"}">${n.ready ? "ready" : "not ready"}</span>${n.clusterSize === undefined ? "" : `, size ${n.clusterSize}`}`,
        )
        .join("<br>"),
    ]),
  ),
)}
<h2>Rounds</h2>
${rounds.map((r) => roundSection(r, events, at)).join("\n") || "<p>No round ran.</p>"}
${logs.length ? `<h2>Messages</h2><ul>${logs.map((l) => `<li>${esc(at(l.at))} ${esc(l.level)}: ${esc(l.message)}</li>`).join("")}</ul>` : ""}
</body>
</html>
`;
}

export class HtmlReporter extends FileReporter {
  constructor(dir: string) {
    super(dir, HtmlFile);
  }

  html(): string {
    return this.render();
  }

  protected render(): string {
    return renderHtml(this.events);
  }
}
