import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { JournalDocument, JournalFile, JournalReporter } from "../../../chaos/report/journal";
import { syntheticRun, tempDir } from "./fixtures";

async function readJournal(dir: string): Promise<JournalDocument> {
  return JSON.parse(await readFile(path.join(dir, JournalFile), "utf8")) as JournalDocument;
}

describe("JSON journal", () => {
  it("holds the configuration with the seed, every event in order, and the verdict", async () => {
    const dir = path.join(await tempDir(), "nested");
    const { events, config, lost } = syntheticRun();
    const journal = new JournalReporter(dir);
    events.forEach((e) => journal.emit(e));
    expect(await journal.finish()).toBe(path.join(dir, JournalFile));

    const doc = await readJournal(dir);
    expect(doc.seed).toBe(42);
    expect(doc.config).toEqual(config);
    expect(doc.events).toEqual(events);
    expect(doc.complete).toBe(true);
    expect(doc.startedAt).toBe(events[0].at);
    expect(doc.endedAt).toBe(events.at(-1)?.at);
    expect(doc.verdict).toEqual({ verdict: "failed", exitCode: 1, message: `4 session(s) lost: ${lost.join(", ")}`, lost });
    const times = doc.events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(await readdir(dir)).toEqual([JournalFile]);
  });

  it("flushes a partial journal on an abnormal exit, synchronously too", async () => {
    const dir = await tempDir();
    const { events } = syntheticRun();
    const journal = new JournalReporter(dir);
    events.slice(0, 5).forEach((e) => journal.emit(e));
    await journal.flush();
    let doc = await readJournal(dir);
    expect(doc).toMatchObject({ complete: false, verdict: null, endedAt: null, seed: 42 });
    expect(doc.events).toHaveLength(5);

    events.slice(5, 9).forEach((e) => journal.emit(e));
    journal.flushSync();
    doc = await readJournal(dir);
    expect(doc.events).toEqual(events.slice(0, 9));
    expect(await readdir(dir)).toEqual([JournalFile]);
  });

  it("records an empty run without a configuration", async () => {
    const dir = await tempDir();
    await new JournalReporter(dir).finish();
    expect(await readJournal(dir)).toMatchObject({ seed: null, config: null, events: [], complete: false });
  });
});
