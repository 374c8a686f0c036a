import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createReporters } from "../../../chaos/report/index";
import { captureStream, syntheticRun, tempDir } from "./fixtures";

describe("createReporters", () => {
  it("fans every event out to the console and the three files", async () => {
    const dir = await tempDir();
    const stream = captureStream();
    const reporters = createReporters({ dir, json: false, stream, isTTY: true, noColor: true });
    const { events } = syntheticRun();
    events.forEach((e) => reporters.sink.emit(e));
    const { files } = await reporters.finish();

    expect(files).toEqual(["chaos-journal.json", "chaos-junit.xml", "chaos-report.html"].map((f) => path.join(dir, f)));
    expect((await readdir(dir)).sort()).toEqual(["chaos-journal.json", "chaos-junit.xml", "chaos-report.html"]);
    expect(stream.text()).toContain("verdict: FAILED (exit 1)");
    expect(stream.text()).not.toContain("\u001b");
    const journal = JSON.parse(await readFile(files[0], "utf8")) as { events: unknown[] };
    expect(journal.events).toEqual(events);
  });

  it("streams NDJSON in json mode", async () => {
    const stream = captureStream();
    const reporters = createReporters({ dir: await tempDir(), json: true, stream, isTTY: true, noColor: false });
    const { events } = syntheticRun();
    events.forEach((e) => reporters.sink.emit(e));
    expect(
      stream
        .text()
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(events);
  });

  it("flushes the journal before the end", async () => {
    const dir = await tempDir();
    const reporters = createReporters({ dir, json: false, stream: captureStream(), isTTY: false, noColor: false });
    syntheticRun()
      .events.slice(0, 3)
      .forEach((e) => reporters.sink.emit(e));
    const file = await reporters.flush();
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ complete: false, seed: 42 });
  });

  it("reports a file it cannot write and leaves it out", async () => {
    const base = await tempDir();
    const dir = path.join(base, "not-a-dir");
    await writeFile(dir, "");
    const stream = captureStream();
    const reporters = createReporters({ dir, json: false, stream, isTTY: false, noColor: false });
    syntheticRun().events.forEach((e) => reporters.sink.emit(e));
    expect((await reporters.finish()).files).toEqual([]);
    expect(stream.text()).toContain(`warning: could not write ${path.join(dir, "chaos-journal.json")}`);
  });
});
