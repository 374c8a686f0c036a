/**
 * Seeded choices: which nodes each round breaks and when. The same seed gives the same plan.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

export interface RoundPlan {
  readonly round: number;
  /** Node ids to break together. */
  readonly victims: readonly string[];
  /** Delay after the round's sessions are ready and before the fault, in ms. */
  readonly delayMs: number;
}

export class SeededRandom {
  private readonly rng: RandomGenerator;

  constructor(readonly seed: number) {
    this.rng = xoroshiro128plus(seed);
  }

  /** Uniform whole number in [from, to]. */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  /** `count` distinct items, in a seeded order (partial Fisher-Yates). */
  pick<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    for (let i = 0; i < count; i++) {
      const j = this.int(i, pool.length - 1);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, count);
  }
}

/** A fresh seed when none is given (printed in every report, so a run can be repeated). */
export function newSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** Every round's victims and timing, decided up front from the seed. */
export function planRounds(
  seed: number,
  nodeIds: readonly string[],
  rounds: number,
  nodesPerFault: number,
  maxDelayMs: number,
): RoundPlan[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: rounds }, (_, i) => ({
    round: i + 1,
    victims: random.pick(nodeIds, nodesPerFault),
    delayMs: random.int(0, maxDelayMs),
  }));
}

/** Owners of each distributed cache entry in Keycloak's default cache configuration. */
export const CacheOwners = 2;

/**
 * What a round may lose when it breaks as many nodes at once as a cache entry has owners. Logins
 * in progress (authenticationSessions) and unredeemed codes (actionTokens) live only in the
 * distributed caches whatever the session mode; volatile sessions do too.
 */
export function possibleLoss(volatileSessions: boolean, nodesPerFault: number, owners = CacheOwners): string | undefined {
  if (nodesPerFault < owners) {
    return undefined;
  }
  const what = volatileSessions
    ? "sessions, logins in progress and unredeemed authorization codes"
    : "logins in progress and unredeemed authorization codes (sessions are also in the database)";
  return `${nodesPerFault} nodes break at once and each distributed cache entry has ${owners} owners: ${what} can be lost`;
}

export interface BlastRadius {
  readonly nodes: number;
  readonly nodesPerFault: number;
  readonly volatileSessions: boolean;
  /** Owners of each distributed cache entry (Keycloak's default: 2). */
  readonly owners: number;
  readonly allowLoss: boolean;
}

/** Problems with the blast radius; empty when the run may go ahead. */
export function blastRadiusProblems(b: BlastRadius): string[] {
  if (b.nodesPerFault < 1) {
    return ["--nodes-per-fault must be at least 1"];
  }
  if (b.nodesPerFault > b.nodes - 1) {
    return [`--nodes-per-fault ${b.nodesPerFault} would break every node of ${b.nodes}; at most ${b.nodes - 1} (nodes - 1)`];
  }
  const loss = possibleLoss(b.volatileSessions, b.nodesPerFault, b.owners);
  if (loss && !b.allowLoss) {
    return [`--nodes-per-fault ${b.nodesPerFault}: ${loss}. Add --allow-loss to run it anyway`];
  }
  return [];
}
