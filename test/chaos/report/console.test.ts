import { describe, expect, it } from "vitest";
import { ChaosEvent } from "../../../chaos/events";
import { ConsoleReporter, wantsColor } from "../../../chaos/report/console";
import { captureStream, syntheticRun } from "./fixtures";

function play(options: ConstructorParameters<typeof ConsoleReporter>[1], events: readonly ChaosEvent[] = syntheticRun().events): string {
  const stream = captureStream();
  const reporter = new ConsoleReporter(stream, options);
  events.forEach((e) => reporter.emit(e));
  return stream.text();
}

describe("console reporter, plain text", () => {
  const text = play({ color: false });
  const lines = text.split("\n");

  it("writes no ANSI escapes", () => {
    expect(text).not.toContain("\u001b");
  });

  it("starts with the seed and the configuration", () => {
    expect(lines[0]).toContain("chaos run seed 42 · stack dev · target docker · sessions volatile · cache ispn");
    expect(lines[1]).toContain("nodes kc-0, kc-1, kc-2 (cluster size 3) · 2 round(s) of kill, 1 node(s) at a time · 12 sessions");
    expect(lines[2]).toContain(
      "failover settings: cache stack jdbc-ping-fast-fd (fast-failure-detection.xml), cluster TLS off, health check every 1 s (timeout 1 s, out after 2 failed), GET/HEAD retried on another node after 4 s",
    );
  });

  it("reports the steady state per node and the sessions per node", () => {
    expect(text).toContain("steady state before: ok");
    expect(text).toMatch(/^ {12}kc-0: ready, cluster size 3$/m);
    expect(text).toContain("sessions: 12 logged in (kc-0 4, kc-1 4, kc-2 4)");
    expect(text).toContain("round 1 round fixtures: 3 logged in, 6 login(s) in progress, 6 unredeemed code(s)");
  });

  it("reports each round's victims, faults, checks, traffic and timing", () => {
    expect(text).toContain("round 2: kill kc-2 (4 sessions)");
    for (const step of ["injecting", "verified down", "restoring", "restored"]) {
      expect(text).toContain(`round 2 kill kc-2: ${step}`);
    }
    expect(text).toContain("round 1 during userinfo @kc-0: 12/12 ok (250 ms)");
    expect(text).toContain("round 2 traffic @lb: 100 requests, 7 error(s) (7.0%), latency p50 12 ms, p95 48 ms, max 310 ms");
    expect(text).toContain("round 1 recovery: 21.0 s");
    expect(text).not.toContain(" up\n");
  });

  it("says each round's failover window: the load balancer's last failed request, each route's first clean check", () => {
    expect(text).toContain(
      "round 1 failover: no request through the load balancer failed after the fault; first check passed in full: kc-0 +3.0 s, kc-2 +6.0 s, lb +9.0 s",
    );
    expect(text).toContain(
      "round 2 failover: the last failed request through the load balancer ended 2.9 s after the fault; first check passed in full: kc-0 none, kc-1 none, lb none",
    );
  });

  it("names the first failed subjects of a failed check", () => {
    const line = lines.find((l) => l.includes("round 2 during userinfo @kc-0:"));
    expect(line).toContain(
      "8/12 ok, 4 FAILED — user-1#2 on kc-2 (401 user_session_not_found), user-2#2 on kc-2 (401 user_session_not_found), user-3#2 on kc-2 (401 user_session_not_found), … 1 more",
    );
  });

  it("ends with the verdict, the exit code and the lost sessions", () => {
    expect(lines.at(-3)).toContain("verdict: FAILED (exit 1) — 4 session(s) lost");
    expect(lines.at(-2)).toContain("lost sessions (4): user-1#2 on kc-2, user-2#2 on kc-2, user-3#2 on kc-2, user-4#2 on kc-2");
    expect(text).toContain("warning: kc-2 took 21 s to rejoin");
  });

  it("prefixes each event with the time since the run start", () => {
    expect(lines[0]).toMatch(/^ {4}\+0\.0s chaos run/);
    expect(text).toMatch(/^ +\+1\.0s steady state before: ok$/m);
  });
});

describe("console reporter, color and NDJSON", () => {
  it("colors only a TTY without NO_COLOR", () => {
    expect(wantsColor({ isTTY: true, noColor: false })).toBe(true);
    expect(wantsColor({ isTTY: true, noColor: true })).toBe(false);
    expect(wantsColor({ isTTY: false, noColor: false })).toBe(false);
    expect(play({ color: true })).toContain("\u001b[31m");
  });

  it("writes one JSON event per line that parses back to the events", () => {
    const { events } = syntheticRun();
    const text = play({ json: true, color: true }, events);
    expect(text).not.toContain("\u001b");
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(events.length);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(events);
  });
});
