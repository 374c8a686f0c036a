/**
 * The inline SVG timeline of the HTML report: one lane per node (plus "lb" for the load
 * balancer), up/down segments, fault markers, probe results as green/red ticks, rounds, and a
 * time axis in seconds from the run start. Hand-written SVG: no dependencies, no scripts.
 */
import { ChaosEvent } from "../events";
import { epochMs, escapeHtml, nodesOf, runConfigOf, runStartMs } from "./common";

export const LoadBalancerLane = "lb";

const Width = 1000;
const LabelWidth = 130;
const RightPad = 16;
const Top = 26;
const LaneHeight = 36;
const PlotWidth = Width - LabelWidth - RightPad;
const AxisSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

interface Segment {
  readonly from: number;
  readonly to: number;
  readonly down: boolean;
}

/** Lanes in order: the configured nodes, any other node the events name, then the load balancer. */
export function timelineLanes(events: readonly ChaosEvent[]): string[] {
  const lanes = new Set((runConfigOf(events)?.nodes ?? []).map((n) => n.id));
  for (const e of events) {
    const named =
      e.type === "fault" || e.type === "node-state"
        ? [e.node]
        : e.type === "check"
          ? nodesOf(e.node)
          : e.type === "steady-state"
            ? e.nodes.map((n) => n.id)
            : [];
    named.filter((n) => n !== LoadBalancerLane).forEach((n) => lanes.add(n));
  }
  return [...lanes, LoadBalancerLane];
}

/** Up/down spans of one node: down from a verified fault (or node-state down) until restored. */
export function nodeSegments(events: readonly ChaosEvent[], node: string, start: number, end: number): Segment[] {
  const segments: Segment[] = [];
  let down = false;
  let from = start;
  for (const e of events) {
    const ms = epochMs(e.at);
    let next: boolean | undefined;
    if (e.type === "node-state" && e.node === node) {
      next = e.state === "down";
    } else if (e.type === "fault" && e.node === node && e.ok && (e.action === "verified" || e.action === "restored")) {
      next = e.action === "verified";
    }
    if (next !== undefined && next !== down && ms !== undefined) {
      segments.push({ from, to: ms, down });
      down = next;
      from = ms;
    }
  }
  segments.push({ from, to: end, down });
  return segments.filter((s) => s.to > s.from);
}

const n1 = (v: number) => v.toFixed(1);

export function renderTimeline(events: readonly ChaosEvent[]): string {
  const start = runStartMs(events) ?? 0;
  const end = Math.max(start + 1000, ...events.map((e) => epochMs(e.at) ?? start));
  const span = end - start;
  const x = (ms: number) => LabelWidth + (Math.min(Math.max(ms - start, 0), span) / span) * PlotWidth;
  const xAt = (at: string) => x(epochMs(at) ?? start);
  const secs = (at: string) => `${(((epochMs(at) ?? start) - start) / 1000).toFixed(1)}s`;
  const lanes = timelineLanes(events);
  const laneY = (lane: string) => Top + lanes.indexOf(lane) * LaneHeight;
  const names = new Map((runConfigOf(events)?.nodes ?? []).map((n) => [n.id, n.nodeName]));
  const parts = new Map(lanes.map((l) => [l, [] as string[]]));
  const add = (lane: string, svg: string) => parts.get(lane)?.push(svg);
  const roundStarts = new Map<number, string>();
  const bottom = Top + lanes.length * LaneHeight;
  const overlay: string[] = [];

  for (const lane of lanes) {
    const y = laneY(lane);
    const label = lane === LoadBalancerLane ? "load balancer" : (names.get(lane) ?? lane);
    add(lane, `<text class="label" x="8" y="${y + 20}">${escapeHtml(lane)}<title>${escapeHtml(label)}</title></text>`);
    if (lane === LoadBalancerLane) {
      add(lane, `<rect class="bar lbbar" x="${LabelWidth}" y="${y + 10}" width="${PlotWidth}" height="12"/>`);
      continue;
    }
    for (const s of nodeSegments(events, lane, start, end)) {
      const title = `${lane} ${s.down ? "down" : "up"} ${n1((s.from - start) / 1000)}s–${n1((s.to - start) / 1000)}s`;
      add(
        lane,
        `<rect class="bar ${s.down ? "down" : "up"}" x="${n1(x(s.from))}" y="${y + 10}" width="${n1(Math.max(x(s.to) - x(s.from), 0.5))}" height="12"><title>${escapeHtml(title)}</title></rect>`,
      );
    }
  }

  for (const e of events) {
    if (e.type === "round-start") {
      roundStarts.set(e.round, e.at);
      const rx = n1(xAt(e.at));
      overlay.push(
        `<line class="round" x1="${rx}" y1="${Top - 10}" x2="${rx}" y2="${bottom}"/>`,
        `<text class="round-label" x="${rx}" y="${Top - 12}">round ${e.round}</text>`,
      );
    } else if (e.type === "fault" && parts.has(e.node) && (e.action === "inject" || e.action === "restored" || !e.ok)) {
      const fx = xAt(e.at);
      const y = laneY(e.node);
      const title = escapeHtml(
        `round ${e.round}: ${e.kind} ${e.node} ${e.action}${e.ok ? "" : " FAILED"} at ${secs(e.at)}${e.message ? ` — ${e.message}` : ""}`,
      );
      const shape = !e.ok
        ? `<path class="fault failed" d="M${n1(fx - 4)} ${y + 1}l8 8m0 -8l-8 8"/>`
        : e.action === "inject"
          ? `<path class="fault inject" d="M${n1(fx - 5)} ${y + 1}h10l-5 8z"/>`
          : `<path class="fault restored" d="M${n1(fx - 5)} ${y + 9}h10l-5 -8z"/>`;
      add(e.node, `<g class="fault-marker">${shape}<title>${title}</title></g>`);
    } else if (e.type === "check") {
      const ok = e.passed >= e.total;
      const title = escapeHtml(`round ${e.round} ${e.phase} ${e.check} @${e.node}: ${e.passed}/${e.total} at ${secs(e.at)}`);
      for (const lane of nodesOf(e.node).filter((l) => parts.has(l))) {
        const cx = n1(xAt(e.at));
        const y = laneY(lane);
        add(
          lane,
          `<line class="tick ${ok ? "pass" : "fail"}" x1="${cx}" y1="${y + 24}" x2="${cx}" y2="${y + 33}"><title>${title}</title></line>`,
        );
      }
    } else if (e.type === "traffic") {
      const from = xAt(roundStarts.get(e.round) ?? e.at);
      const to = xAt(e.at);
      const y = laneY(LoadBalancerLane);
      const title = escapeHtml(
        `round ${e.round} traffic: ${e.requests} requests, ${e.errors} errors, p50 ${e.latencyMs.p50} ms, p95 ${e.latencyMs.p95} ms, max ${e.latencyMs.max} ms`,
      );
      add(
        LoadBalancerLane,
        `<rect class="traffic ${e.errors ? "errors" : "clean"}" x="${n1(from)}" y="${y + 10}" width="${n1(Math.max(to - from, 2))}" height="12"><title>${title}</title></rect>`,
      );
    }
  }

  const step = AxisSteps.find((s) => span / 1000 / s <= 10) ?? 7200;
  const axis = [`<line class="axis" x1="${LabelWidth}" y1="${bottom + 4}" x2="${LabelWidth + PlotWidth}" y2="${bottom + 4}"/>`];
  for (let s = 0; s * 1000 <= span; s += step) {
    const ax = n1(x(start + s * 1000));
    axis.push(
      `<line class="axis" x1="${ax}" y1="${bottom + 4}" x2="${ax}" y2="${bottom + 9}"/>`,
      `<text class="axis-label" x="${ax}" y="${bottom + 21}">${s}s</text>`,
    );
  }

  const height = bottom + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${Width} ${height}" width="100%" role="img" aria-label="timeline of the run">`,
    ...lanes.map((lane) => `<g class="lane" data-lane="${escapeHtml(lane)}">${(parts.get(lane) ?? []).join("")}</g>`),
    `<g class="rounds">${overlay.join("")}</g>`,
    `<g class="axis">${axis.join("")}</g>`,
    "</svg>",
  ].join("\n");
}
