/**
 * The restore record: written BEFORE a node is broken, removed once every node it names is
 * restored, so a run that was killed can be undone later (`npm run chaos -- --restore`). It is
 * keyed by the cluster (its clusterId), carries the driver handle, and is validated on read: a
 * broken record is a clear refusal, never a crash.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { DriverHandle, DriverHandleSchema } from "../components/shared/outputs";
import { FaultKind } from "./events";
import { FaultTarget } from "./drivers/driver";

const RecordSchema = z.object({
  version: z.literal(2),
  createdAt: z.string(),
  pid: z.number().int(),
  source: z.string(),
  clusterId: z.string().min(1),
  clusterSize: z.number().int().positive(),
  driver: DriverHandleSchema,
  faults: z.array(
    z.object({
      node: z.string().min(1),
      fault: z.enum(Object.values(FaultKind) as [FaultKind, ...FaultKind[]]),
      ref: z.record(z.string(), z.string()),
    }),
  ),
});

export type RestoreRecord = z.infer<typeof RecordSchema>;

/** The cluster a record belongs to and how to reach it. */
export interface RecordedCluster {
  readonly source: string;
  readonly clusterId: string;
  readonly clusterSize: number;
  readonly driver: DriverHandle;
}

/** A record that exists but cannot be used: exit 2 with the file and what to do. */
export class RestoreRecordError extends Error {
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(
      `the restore record ${file} cannot be read (${why}). If a chaos run left nodes broken, bring them back by hand ` +
        `(or with pulumi up), then delete the file; if nothing is broken, just delete it`,
    );
    this.name = "RestoreRecordError";
  }
}

/** `docker/kc-dev` → `.chaos/restore-docker_kc-dev.json` (one record per cluster). */
export function recordPath(dir: string, clusterId: string): string {
  return path.join(dir, `restore-${safeName(clusterId)}.json`);
}

export function safeName(clusterId: string): string {
  return clusterId.replace(/[^A-Za-z0-9._-]+/g, "_");
}

export class RestoreFile {
  constructor(readonly file: string) {}

  async write(cluster: RecordedCluster, faults: readonly FaultTarget[]): Promise<void> {
    const record: RestoreRecord = { version: 2, createdAt: new Date().toISOString(), pid: process.pid, ...cluster, faults: [...faults] };
    await mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(record, null, 2), { mode: 0o600 });
    await rename(temp, this.file);
  }

  /** The record, undefined when there is none; throws {@link RestoreRecordError} when it is unusable. */
  async read(): Promise<RestoreRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        return undefined;
      }
      throw new RestoreRecordError(this.file, code === "EISDIR" ? "it is a directory" : (error as Error).message);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RestoreRecordError(this.file, text.trim() ? "it is not valid JSON, perhaps cut short" : "it is empty");
    }
    const parsed = RecordSchema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      throw new RestoreRecordError(this.file, `it does not have the restore record's shape: ${where.join("; ")}`);
    }
    return parsed.data;
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
