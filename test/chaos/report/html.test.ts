import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HtmlFile, HtmlReporter, renderHtml } from "../../../chaos/report/html";
import { nodeSegments, timelineLanes } from "../../../chaos/report/timeline";
import { niceCeiling } from "../../../chaos/report/traffic-chart";
import { Start, syntheticRun, tempDir } from "./fixtures";

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;
const svgOf = (html: string) => html.slice(html.indexOf("<svg"), html.indexOf("</svg>") + 6);

describe("HTML report", () => {
  it("is one self-contained file with the verdict, seed, configuration and checks", async () => {
    const dir = await tempDir();
    const reporter = new HtmlReporter(dir);
    syntheticRun().events.forEach((e) => reporter.emit(e));
    expect(await reporter.finish()).toBe(path.join(dir, HtmlFile));
    const html = await readFile(path.join(dir, HtmlFile), "utf8");

    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<title>Chaos run: FAILED (exit 1)</title>");
    expect(html).toContain('<header class="v-failed">');
    expect(html).toContain("seed <strong>42</strong>");
    expect(html).toContain("<tr><td>nodes</td><td>kc-0 (kc-0.node), kc-1 (kc-1.node), kc-2 (kc-2.node)</td></tr>");
    expect(html).toContain(
      "<tr><td>failover settings</td><td>cache stack jdbc-ping-fast-fd (fast-failure-detection.xml), cluster TLS off,",
    );
    expect(html).toContain("<h3>Round 2 — victims: kc-2 (4 sessions)</h3>");
    expect(html).toContain("<li><code>user-4#2 on kc-2</code></li>");
    expect(html).toContain('<td class="num bad">8/12</td>');
    expect(html).not.toMatch(/<script|<link|\bsrc=|\bhref=|@import|url\(/i);
  });

  it("draws a timeline: one lane per node plus lb, down while a fault holds, fault markers and probe ticks", () => {
    const { events } = syntheticRun();
    const svg = svgOf(renderHtml(events));
    expect([...svg.matchAll(/<g class="lane" data-lane="([^"]*)">/g)].map((m) => m[1])).toEqual(["kc-0", "kc-1", "kc-2", "lb"]);
    expect(count(svg, /class="fault inject"/g)).toBe(2);
    expect(count(svg, /class="fault restored"/g)).toBe(2);
    expect(count(svg, /class="bar down"/g)).toBe(2);
    expect(count(svg, /class="tick fail"/g)).toBe(10);
    expect(count(svg, /class="tick pass"/g)).toBe(events.filter((e) => e.type === "check").length - 10);
    expect(count(svg, /class="traffic (clean|errors)"/g)).toBe(2);
    expect(svg).toContain(">round 2</text>");
    expect(svg).toContain(">0s</text>");
    const lb = /<g class="lane" data-lane="lb">([\s\S]*?)<\/g>\n/.exec(svg)?.[1] ?? "";
    expect(lb).toContain("round 2 during userinfo @lb: 8/12");
  });

  it("charts each round's traffic per second: failed share, p50 and p95, the faults and the failover window", () => {
    const html = renderHtml(syntheticRun().events);
    const charts = [...html.matchAll(/<svg class="traffic-chart"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(charts).toHaveLength(2);
    const [one, two] = charts;
    expect(count(one, /<rect class="err"/g)).toBe(0);
    expect(count(two, /<rect class="err"/g)).toBe(2);
    expect(two).toContain("<title>second 3: 4 of 10 failed (40%)</title>");
    expect(count(one, /<rect class="window"/g)).toBe(0);
    expect(two).toContain("<title>failover window: 2900 ms</title>");
    for (const chart of charts) {
      expect(count(chart, /class="mark inject"/g)).toBe(1);
      expect(count(chart, /class="mark restored"/g)).toBe(1);
      expect(/<polyline class="p95" points="([^"]*)"/.exec(chart)?.[1].split(" ")).toHaveLength(10);
    }
    // Round 2's worst second (p95 2.4 s) sets the latency axis.
    expect(two).toContain(">5000 ms</text>");
    expect(one).toContain(">50 ms</text>");
    expect(html).toContain(
      "<p>Failover: the last failed request through the load balancer ended 2.9 s after the fault; first check passed in full: kc-0 none, kc-1 none, lb none.</p>",
    );
  });

  it("rounds the latency axis up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 48, 50, 51, 2400, 7000].map(niceCeiling)).toEqual([1, 1, 50, 50, 100, 5000, 10_000]);
  });

  it("puts a node down between its verified fault and its restore", () => {
    const { events } = syntheticRun();
    const end = Start + 120_000;
    const down = nodeSegments(events, "kc-1", Start, end).filter((s) => s.down);
    const verified = events.find((e) => e.type === "fault" && e.node === "kc-1" && e.action === "verified");
    const restored = events.find((e) => e.type === "fault" && e.node === "kc-1" && e.action === "restored");
    expect(down).toEqual([{ from: Date.parse(verified?.at ?? ""), to: Date.parse(restored?.at ?? ""), down: true }]);
    expect(nodeSegments(events, "kc-0", Start, end)).toEqual([{ from: Start, to: end, down: false }]);
  });

  it("escapes a malicious node id everywhere", () => {
    const evil = `<script>alert("x")</script>`;
    const { events } = syntheticRun(["kc-0", evil, "kc-2"]);
    const html = renderHtml(events);
    expect(html).not.toContain("<script");
    expect(html).not.toContain('alert("x")');
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(timelineLanes(events)).toEqual(["kc-0", evil, "kc-2", "lb"]);
    expect(count(svgOf(html), /<g class="lane" /g)).toBe(4);
  });

  it("renders a run that never started", () => {
    const html = renderHtml([]);
    expect(html).toContain("Chaos run: INCOMPLETE");
    expect(html).toContain("No run-start event was recorded.");
    expect(count(svgOf(html), /<g class="lane" /g)).toBe(1);
  });
});
