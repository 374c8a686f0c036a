import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ChaosEvent } from "../../../chaos/events";
import { JunitFile, JunitReporter, junitXml } from "../../../chaos/report/junit";
import { syntheticRun, tempDir } from "./fixtures";

const count = (xml: string, pattern: RegExp) => (xml.match(pattern) ?? []).length;
const suiteNames = (xml: string) => [...xml.matchAll(/<testsuite [^>]*name="([^"]*)"/g)].map((m) => m[1]);
/** The body of one test case element, by its name attribute. */
function testCase(xml: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`<testcase [^>]*name="${escaped}"[^>]*?(/>|>[\\s\\S]*?</testcase>)`).exec(xml);
  if (!match) {
    throw new Error(`no test case ${name}`);
  }
  return match[0];
}

describe("JUnit XML", () => {
  it("has a steady-state suite, one suite per round and the verdict", async () => {
    const dir = await tempDir();
    const reporter = new JunitReporter(dir);
    syntheticRun().events.forEach((e) => reporter.emit(e));
    expect(await reporter.finish()).toBe(path.join(dir, JunitFile));
    const xml = await readFile(path.join(dir, JunitFile), "utf8");

    expect(suiteNames(xml)).toEqual(["steady state before", "round 1", "round 2", "run"]);
    // 3 nodes before; per round: 1 fault + 9 route checks + 3 in-flight + traffic + restore + 3 nodes after + 8 after checks; verdict.
    expect(count(xml, /<testcase /g)).toBe(3 + 2 * 26 + 1);
    // Round 2: userinfo and refresh on 2 survivors + lb during, userinfo on 3 nodes + lb after; the verdict.
    expect(count(xml, /<failure /g)).toBe(6 + 4 + 1);
    expect(count(xml, /<error /g)).toBe(0);
    expect(xml).toMatch(/<testsuites [^>]*tests="56" failures="11"/);
  });

  it("names cases by phase, check and node, classed by round, with times from the events", () => {
    const xml = junitXml(syntheticRun().events);
    const ok = testCase(xml, "during userinfo @kc-0");
    expect(ok).toContain('classname="chaos.round-1"');
    expect(ok).toContain('time="0.25"');
    expect(ok).not.toContain("<failure");
    expect(xml).toMatch(/<testsuite [^>]*name="round 1"[^>]*timestamp="2025-03-01T10:00:03"/);
    expect(testCase(xml, "during fault-injected @kc-1")).not.toContain("<failure");
    expect(xml).not.toContain("@kc-1+");
  });

  it("lists the failed subjects (the lost sessions) in the failure message", () => {
    const xml = junitXml(syntheticRun().events);
    const failed = xml.slice(xml.indexOf('name="round 2"'));
    const userinfo = testCase(failed, "during userinfo @lb");
    expect(userinfo).toContain('message="4 of 12 failed: user-1#2 on kc-2, user-2#2 on kc-2, user-3#2 on kc-2, user-4#2 on kc-2"');
    expect(userinfo).toContain("user-4#2 on kc-2: 401 user_session_not_found");
    const verdict = testCase(xml, "verdict");
    expect(verdict).toContain('classname="chaos.run"');
    expect(verdict).toContain("lost sessions (4): user-1#2 on kc-2, user-2#2 on kc-2, user-3#2 on kc-2, user-4#2 on kc-2");
  });

  it("fails a fault that was not observed and errors an aborted run", () => {
    const at = "2025-03-01T10:00:00.000Z";
    const events: ChaosEvent[] = [
      { type: "round-start", at, round: 1, victims: ["kc-1"], sessionsOnVictims: { "kc-1": 2 } },
      {
        type: "fault",
        at,
        round: 1,
        node: "kc-1",
        kind: "pause",
        action: "verified",
        ok: false,
        message: "runtime state running (want paused)",
      },
      {
        type: "check",
        at,
        round: 1,
        phase: "during",
        check: "fault-injected",
        node: "kc-1",
        passed: 0,
        total: 1,
        failures: [{ subject: "kc-1", detail: "" }],
        durationMs: 0,
      },
      { type: "run-end", at, verdict: "aborted", exitCode: 2, message: "interrupted", lost: [] },
    ];
    const xml = junitXml(events);
    expect(testCase(xml, "during fault-injected @kc-1")).toContain(
      'message="pause of kc-1 was not observed: runtime state running (want paused)"',
    );
    expect(count(xml, /<testcase /g)).toBe(2);
    expect(testCase(xml, "verdict")).toMatch(/<error message="aborted \(exit 2\): interrupted" type="aborted"/);
  });

  it("escapes what it quotes", () => {
    const at = "2025-03-01T10:00:00.000Z";
    const xml = junitXml([
      {
        type: "check",
        at,
        round: 1,
        phase: "during",
        check: "userinfo",
        node: 'kc-"<1>',
        passed: 0,
        total: 1,
        failures: [{ subject: "a&b", detail: "]]><x>" }],
        durationMs: 1,
      },
    ]);
    expect(xml).toContain('name="during userinfo @kc-&quot;&lt;1>"');
    expect(xml).toContain('message="1 of 1 failed: a&amp;b"');
    expect(xml).toContain("<system-err><![CDATA[a&b: ]]]]><![CDATA[><x>]]></system-err>");
  });
});
