/**
 * Every reporter behind one sink: live console (text or NDJSON), JSON journal, JUnit XML and
 * HTML. `finish()` writes the files at run-end; a file that cannot be written is reported on
 * the stream and left out of `files`, so one broken writer does not lose the others.
 */
import { ChaosEvent, EventSink, Fanout } from "../events";
import { describeError } from "../pool";
import { ConsoleReporter, TextStream, wantsColor } from "./console";
import { HtmlReporter } from "./html";
import { JournalReporter } from "./journal";
import { JunitReporter } from "./junit";

export { ConsoleReporter, wantsColor } from "./console";
export type { ConsoleOptions, TextStream } from "./console";
export { HtmlFile, HtmlReporter, renderHtml } from "./html";
export { JournalFile, JournalReporter, journalOf } from "./journal";
export type { JournalDocument } from "./journal";
export { JunitFile, JunitReporter, junitXml } from "./junit";

export interface ReporterOptions {
  /** Directory for chaos-journal.json, chaos-junit.xml and chaos-report.html (created when missing). */
  readonly dir: string;
  /** NDJSON events on the stream instead of text. */
  readonly json: boolean;
  /** Where live progress goes (stdout in the CLI). */
  readonly stream: TextStream;
  /** Whether the stream is a terminal: colors only then. */
  readonly isTTY: boolean;
  /** NO_COLOR is set: never colors. */
  readonly noColor: boolean;
}

export interface Reporters {
  readonly sink: EventSink;
  /** Writes every file; resolves with the files written. Calling it again writes them again. */
  finish(): Promise<{ files: string[] }>;
  /** Writes the journal as it stands (for an abnormal exit); returns its path. */
  flush(): Promise<string>;
  /** `flush()` for a `process.on("exit")` handler. */
  flushSync(): string;
}

export function createReporters(options: ReporterOptions): Reporters {
  const live = new ConsoleReporter(options.stream, { json: options.json, color: wantsColor(options) });
  const journal = new JournalReporter(options.dir);
  const junit = new JunitReporter(options.dir);
  const html = new HtmlReporter(options.dir);
  const sink = new Fanout([live, journal, junit, html]);
  const writers: { readonly file: string; finish(): Promise<string> }[] = [journal, junit, html];

  return {
    sink,
    async finish() {
      const results = await Promise.allSettled(writers.map((w) => w.finish()));
      const files: string[] = [];
      results.forEach((result, i) => {
        if (result.status === "fulfilled") {
          files.push(result.value);
        } else {
          const warning: ChaosEvent = {
            type: "log",
            at: new Date().toISOString(),
            level: "warn",
            message: `could not write ${writers[i].file}: ${describeError(result.reason)}`,
          };
          live.emit(warning);
        }
      });
      return { files };
    },
    flush: () => journal.flush(),
    flushSync: () => journal.flushSync(),
  };
}
