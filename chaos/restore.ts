/**
 * The restore record: written BEFORE a node is stopped, removed once every node it names is
 * back, so a run that was killed can be undone later (`npm run chaos -- --restore`).
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { NodeEndpoint } from "../components/shared/outputs";
import { FaultKind } from "./events";
import { NodeDriver } from "./drivers/driver";

export interface PendingFault {
  readonly node: NodeEndpoint;
  readonly fault: FaultKind;
}

export interface RestoreRecord {
  readonly version: 1;
  readonly createdAt: string;
  readonly pid: number;
  readonly source: string;
  readonly faults: readonly PendingFault[];
}

export class RestoreFile {
  constructor(readonly file: string) {}

  async write(source: string, faults: readonly PendingFault[]): Promise<void> {
    const record: RestoreRecord = { version: 1, createdAt: new Date().toISOString(), pid: process.pid, source, faults };
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(record, null, 2), { mode: 0o600 });
    await rename(temp, this.file);
  }

  async read(): Promise<RestoreRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.file, "utf8")) as RestoreRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return undefined;
      }
      throw error;
    }
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

/** Restores every fault of the record; returns what could not be restored. Clears the record when all are. */
export async function restoreAll(file: RestoreFile, drivers: (node: NodeEndpoint) => NodeDriver): Promise<{ restored: string[]; failed: string[] }> {
  const record = await file.read();
  const restored: string[] = [];
  const failed: string[] = [];
  for (const { node, fault } of record?.faults ?? []) {
    try {
      await drivers(node).restore(node, fault);
      restored.push(node.id);
    } catch (error) {
      failed.push(`${node.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failed.length === 0) {
    await file.clear();
  }
  return { restored, failed };
}
