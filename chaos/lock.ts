/**
 * One chaos run per cluster at a time: a lock file next to the restore record, created
 * exclusively, holding the owner's pid and host. A lock whose process is gone (same host) is
 * taken over; a live one refuses the second run, which then touches nothing.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { safeName } from "./restore";

export class LockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LockedError";
  }
}

export interface Lock {
  readonly file: string;
  release(): Promise<void>;
}

interface LockHolder {
  readonly pid?: number;
  readonly host?: string;
  readonly what?: string;
  readonly since?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockPath(dir: string, clusterId: string): string {
  return path.join(dir, `lock-${safeName(clusterId)}.json`);
}

/** Takes the cluster's lock or throws {@link LockedError} naming its holder. */
export async function acquireLock(file: string, what: string): Promise<Lock> {
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx", 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), what, since: new Date().toISOString() }));
      await handle.close();
      return { file, release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw error;
      }
    }
    const holder: LockHolder = await readFile(file, "utf8").then(
      (text) => JSON.parse(text) as LockHolder,
      () => ({}),
    );
    const sameHost = holder.host === os.hostname();
    if (sameHost && typeof holder.pid === "number" && !alive(holder.pid)) {
      // Its process is gone: a stale lock.
      await rm(file, { force: true });
      continue;
    }
    throw new LockedError(
      `another chaos run holds this cluster (${holder.what ?? "unknown"}, pid ${holder.pid ?? "?"} on ${holder.host ?? "?"}, since ${holder.since ?? "?"}); ` +
        `wait for it to finish, or delete ${file} if that process is gone`,
    );
  }
  throw new LockedError(`could not take the lock ${file}`);
}
