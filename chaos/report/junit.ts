/**
 * JUnit XML for CI: a suite for the steady state before any fault, one suite per round
 * (`round N`: one case per check, phase and node, plus whether each fault really happened and
 * was undone), and a `run` suite whose one case carries the verdict.
 */
import junit from "junit-report-builder";
import type { TestCase, TestSuite } from "junit-report-builder";
import { ChaosEvent } from "../events";
import { epochMs, FileReporter, runConfigOf } from "./common";

export const JunitFile = "chaos-junit.xml";

type Event<T extends ChaosEvent["type"]> = Extract<ChaosEvent, { type: T }>;

interface SuiteSpan {
  readonly suite: TestSuite;
  first?: number;
  last?: number;
}

/** Builds the JUnit XML text of a list of events. */
export function junitXml(events: readonly ChaosEvent[]): string {
  const builder = junit.newBuilder().name("chaos");
  const config = runConfigOf(events);
  const suites = new Map<string, SuiteSpan>();
  const suite = (name: string, at: string): TestSuite => {
    let span = suites.get(name);
    if (!span) {
      span = { suite: builder.testSuite().name(name) };
      if (config) {
        span.suite.property("seed", String(config.seed)).property("fault", config.fault).property("target", config.target);
      }
      suites.set(name, span);
    }
    const ms = epochMs(at);
    if (ms !== undefined) {
      span.first ??= ms;
      span.last = ms;
    }
    return span.suite;
  };
  const roundCase = (round: number, at: string, name: string): TestCase =>
    suite(`round ${round}`, at).testCase().className(`chaos.round-${round}`).name(name);
  // Each fault's own verified event is its case; the runner's aggregate check is kept only without them.
  const verifiedRounds = new Set(events.flatMap((e) => (e.type === "fault" && e.action === "verified" ? [e.round] : [])));

  for (const event of events) {
    switch (event.type) {
      case "steady-state":
        steadyState(
          event,
          event.round === undefined ? suite(`steady state ${event.phase}`, event.at) : suite(`round ${event.round}`, event.at),
          config?.clusterSize,
        );
        break;
      case "check": {
        if (event.check === "fault-injected" && verifiedRounds.has(event.round)) {
          break;
        }
        const c = roundCase(event.round, event.at, `${event.phase} ${event.check} @${event.node}`).time(event.durationMs / 1000);
        if (event.passed < event.total) {
          const subjects = event.failures.map((f) => f.subject);
          c.failure(
            `${event.total - event.passed} of ${event.total} failed: ${subjects.length ? subjects.join(", ") : "no subjects reported"}`,
            event.check,
          );
          c.standardError(event.failures.map((f) => `${f.subject}: ${f.detail}`).join("\n"));
        }
        break;
      }
      case "fault":
        if (event.action === "verified") {
          const c = roundCase(event.round, event.at, `during fault-injected @${event.node}`);
          if (!event.ok) {
            c.failure(`${event.kind} of ${event.node} was not observed${event.message ? `: ${event.message}` : ""}`, "fault-injected");
          }
        } else if (event.action === "restored") {
          const c = roundCase(event.round, event.at, `after fault-restored @${event.node}`);
          if (!event.ok) {
            c.failure(`${event.node} was not restored${event.message ? `: ${event.message}` : ""}`, "fault-restored");
          }
        } else {
          suite(`round ${event.round}`, event.at);
        }
        break;
      case "traffic":
        roundCase(event.round, event.at, "during traffic @lb").standardOutput(
          `${event.requests} requests, ${event.errors} errors, latency p50 ${event.latencyMs.p50} ms, p95 ${event.latencyMs.p95} ms, max ${event.latencyMs.max} ms`,
        );
        break;
      case "round-start":
      case "timing":
        suite(`round ${event.round}`, event.at);
        break;
      case "sessions":
        if (event.round !== undefined) {
          suite(`round ${event.round}`, event.at);
        }
        break;
      case "run-end":
        verdictCase(event, suite("run", event.at));
        break;
      case "run-start":
      case "node-state":
      case "log":
        break;
    }
  }
  for (const { suite: s, first, last } of suites.values()) {
    if (first !== undefined && last !== undefined) {
      // UTC, without a zone suffix (the JUnit schema's form); not the builder's local time.
      s.timestamp(new Date(first).toISOString().slice(0, 19)).time((last - first) / 1000);
    }
  }
  return builder.build();
}

function steadyState(event: Event<"steady-state">, s: TestSuite, clusterSize: number | undefined): void {
  let anyFailed = false;
  for (const node of event.nodes) {
    const c = s
      .testCase()
      .className(event.round === undefined ? "chaos.steady-state" : `chaos.round-${event.round}`)
      .name(`${event.phase} steady-state @${node.id}`);
    const problems = [
      node.ready ? "" : "not ready",
      node.clusterSize !== undefined && clusterSize !== undefined && node.clusterSize !== clusterSize
        ? `cluster size ${node.clusterSize}, want ${clusterSize}`
        : "",
    ].filter(Boolean);
    if (problems.length) {
      anyFailed = true;
      c.failure(`${node.id}: ${problems.join(", ")}`, "steady-state");
    }
  }
  if (!event.ok && !anyFailed) {
    s.testCase()
      .className("chaos.steady-state")
      .name(`${event.phase} steady-state`)
      .failure(event.message ?? "steady state not reached", "steady-state");
  }
}

function verdictCase(event: Event<"run-end">, s: TestSuite): void {
  const c = s.testCase().className("chaos.run").name("verdict");
  const lost = event.lost.length ? `; lost sessions (${event.lost.length}): ${event.lost.join(", ")}` : "";
  const message = `${event.verdict} (exit ${event.exitCode})${event.message ? `: ${event.message}` : ""}${lost}`;
  if (event.verdict === "failed") {
    c.failure(message, "failed");
  } else if (event.verdict !== "passed") {
    c.error(message, event.verdict);
  }
}

export class JunitReporter extends FileReporter {
  constructor(dir: string) {
    super(dir, JunitFile);
  }

  xml(): string {
    return this.render();
  }

  protected render(): string {
    return junitXml(this.events);
  }
}
