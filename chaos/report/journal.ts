/**
 * The JSON journal: the source of truth of a run (configuration with the seed, every event in
 * the order it happened, the verdict). Written atomically at run-end, and by `flush()` or
 * `flushSync()` whenever a partial record is better than none (abnormal exit).
 */
import { ChaosEvent, RunConfig, Verdict } from "../events";
import { FileReporter, runConfigOf, writeFileAtomicSync } from "./common";

export const JournalFile = "chaos-journal.json";

export interface JournalVerdict {
  readonly verdict: Verdict;
  readonly exitCode: number;
  readonly message?: string;
  readonly lost: readonly string[];
}

export interface JournalDocument {
  readonly schemaVersion: 1;
  /** The seed again at the top, so a run can be repeated without reading the configuration. */
  readonly seed: number | null;
  readonly config: RunConfig | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  /** False while the run has not ended (a flush on an abnormal exit). */
  readonly complete: boolean;
  readonly verdict: JournalVerdict | null;
  /** Every event, in the order the runner emitted it, each with its own time (`at`). */
  readonly events: readonly ChaosEvent[];
}

/** Builds the journal document of a list of events. */
export function journalOf(events: readonly ChaosEvent[]): JournalDocument {
  const config = runConfigOf(events) ?? null;
  const end = events.findLast((e) => e.type === "run-end");
  return {
    schemaVersion: 1,
    seed: config?.seed ?? null,
    config,
    startedAt: events[0]?.at ?? null,
    endedAt: end?.at ?? null,
    complete: end !== undefined,
    verdict: end ? { verdict: end.verdict, exitCode: end.exitCode, message: end.message, lost: end.lost } : null,
    events,
  };
}

export class JournalReporter extends FileReporter {
  constructor(dir: string) {
    super(dir, JournalFile);
  }

  document(): JournalDocument {
    return journalOf([...this.events]);
  }

  protected render(): string {
    return `${JSON.stringify(this.document(), null, 2)}\n`;
  }

  /** Writes what is known so far; safe to call at any time, and more than once. */
  async flush(): Promise<string> {
    return this.finish();
  }

  /** `flush()` for a `process.on("exit")` handler. */
  flushSync(): string {
    writeFileAtomicSync(this.file, this.render());
    return this.file;
  }
}
