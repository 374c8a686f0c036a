/** Bounded polling, shared by the drivers' waits: check, sleep, check again, until done or the deadline. */
import { setTimeout as delay } from "node:timers/promises";

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = async (ms) => {
  await delay(ms);
};

export interface PollOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly sleep?: Sleep;
}

/** One look: done, or not yet and what was seen (kept for the timeout's message). */
export type Look = { readonly done: true } | { readonly done: false; readonly seen: string };

/** Polls until `look` says done, or the time is up: then the last look (what it saw, for the error). */
export async function pollUntil(look: () => Promise<Look>, options: PollOptions): Promise<Look> {
  const sleep = options.sleep ?? realSleep;
  const deadline = performance.now() + options.timeoutMs;
  let last: Look = { done: false, seen: "nothing (no look before the deadline)" };
  while (performance.now() < deadline) {
    last = await look();
    if (last.done) {
      return last;
    }
    await sleep(options.intervalMs);
  }
  return last;
}
