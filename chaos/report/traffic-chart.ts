/**
 * A round's traffic through the load balancer, per second, as an inline SVG chart: the share of
 * failed requests (bars, right axis), latency p50 and p95 (lines, left axis), the faults
 * (red: injected, green: restored) and the failover window (shaded: from the fault to the end of
 * the last failed request). Only numbers and escaped text go into the markup.
 */
import { ChaosEvent } from "../events";
import { escapeHtml as esc } from "./common";

type Event<T extends ChaosEvent["type"]> = Extract<ChaosEvent, { type: T }>;

const Width = 720;
const Height = 170;
const Left = 52;
const Right = 44;
const Top = 12;
const Bottom = 26;

const n1 = (n: number) => (Math.round(n * 10) / 10).toString();

/** A round number at or above `ms` for the latency axis: 1, 2 or 5 times a power of ten. */
export function niceCeiling(ms: number): number {
  if (ms <= 0) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(ms));
  return [1, 2, 5, 10].map((f) => f * power).find((v) => v >= ms) ?? 10 * power;
}

export function renderTrafficChart(traffic: Event<"traffic">, faults: readonly Event<"fault">[], failover?: Event<"failover">): string {
  const t0 = Date.parse(traffic.startedAt);
  const seconds = Math.max(1, ...traffic.perSecond.map((s) => s.second + 1));
  const plotW = Width - Left - Right;
  const plotH = Height - Top - Bottom;
  const x = (second: number) => Left + (Math.min(Math.max(second, 0), seconds) / seconds) * plotW;
  const xAt = (iso: string) => x((Date.parse(iso) - t0) / 1000);
  const maxMs = niceCeiling(Math.max(0, ...traffic.perSecond.map((s) => s.p95)));
  const yMs = (ms: number) => Top + plotH - (Math.min(ms, maxMs) / maxMs) * plotH;
  const yShare = (share: number) => Top + plotH - share * plotH;
  const barW = Math.max(plotW / seconds - 1, 1);

  const bars = traffic.perSecond
    .filter((s) => s.errors > 0)
    .map((s) => {
      const share = s.errors / s.requests;
      const title = `second ${s.second}: ${s.errors} of ${s.requests} failed (${(100 * share).toFixed(0)}%)`;
      return `<rect class="err" x="${n1(x(s.second))}" y="${n1(yShare(share))}" width="${n1(barW)}" height="${n1(share * plotH)}"><title>${title}</title></rect>`;
    });
  const line = (cls: string, pick: (s: Event<"traffic">["perSecond"][number]) => number) =>
    traffic.perSecond.length
      ? `<polyline class="${cls}" points="${traffic.perSecond.map((s) => `${n1(x(s.second + 0.5))},${n1(yMs(pick(s)))}`).join(" ")}"/>`
      : "";
  const markers = faults
    .filter((f) => f.action === "inject" || f.action === "restored")
    .map((f) => {
      const at = n1(xAt(f.at));
      return `<line class="mark ${f.action}" x1="${at}" x2="${at}" y1="${Top}" y2="${Top + plotH}"><title>${esc(`${f.node}: ${f.kind} ${f.action}`)}</title></line>`;
    });
  const window =
    failover && failover.lastFailedRequestMs !== null
      ? (() => {
          const from = xAt(failover.faultAt);
          const to = x((Date.parse(failover.faultAt) + failover.lastFailedRequestMs - t0) / 1000);
          return `<rect class="window" x="${n1(from)}" y="${Top}" width="${n1(Math.max(to - from, 1))}" height="${plotH}"><title>failover window: ${failover.lastFailedRequestMs} ms</title></rect>`;
        })()
      : "";
  const ticks = Array.from({ length: Math.min(seconds, 12) + 1 }, (_, i) => Math.round((i * seconds) / Math.min(seconds, 12)));
  return `<svg class="traffic-chart" xmlns="http://www.w3.org/2000/svg" width="${Width}" height="${Height}" viewBox="0 0 ${Width} ${Height}" role="img" aria-label="traffic through the load balancer, per second">
${window}
<line class="axis" x1="${Left}" x2="${Left + plotW}" y1="${Top + plotH}" y2="${Top + plotH}"/>
${bars.join("\n")}
${line("p50", (s) => s.p50)}
${line("p95", (s) => s.p95)}
${markers.join("\n")}
<text class="axis-label" x="${Left - 6}" y="${Top + 10}" text-anchor="end">${maxMs} ms</text>
<text class="axis-label" x="${Left - 6}" y="${Top + plotH}" text-anchor="end">0</text>
<text class="axis-label" x="${Left + plotW + 6}" y="${Top + 10}" text-anchor="start">100%</text>
${ticks.map((s) => `<text class="axis-label" x="${n1(x(s))}" y="${Height - 8}">${s}s</text>`).join("")}
</svg>`;
}
