import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blastRadiusProblems, planRounds } from "../../chaos/plan";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `kc-${i}`);

describe("victim choice", () => {
  it("picks distinct victims from the cluster, the requested number, never every node; same seed, same plan", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 1, max: 10 }),
        (n, seed, rounds) => {
          const perFault = 1 + (seed % (n - 1));
          const plan = planRounds(seed, ids(n), rounds, perFault, 2000);
          expect(plan).toHaveLength(rounds);
          for (const round of plan) {
            expect(new Set(round.victims).size).toBe(perFault);
            expect(round.victims.every((v) => ids(n).includes(v))).toBe(true);
            expect(round.victims.length).toBeLessThan(n);
            expect(round.delayMs).toBeGreaterThanOrEqual(0);
            expect(round.delayMs).toBeLessThanOrEqual(2000);
          }
          expect(planRounds(seed, ids(n), rounds, perFault, 2000)).toEqual(plan);
        },
      ),
    );
  });

  it("spreads victims over the nodes across many rounds", () => {
    const counts = new Map<string, number>();
    for (const round of planRounds(3, ids(3), 300, 1, 0)) {
      counts.set(round.victims[0], (counts.get(round.victims[0]) ?? 0) + 1);
    }
    expect([...counts.values()].every((c) => c > 60)).toBe(true);
  });
});

describe("blast radius", () => {
  it("never allows stopping every node", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        (nodes, perFault, volatileSessions, allowLoss) => {
          const problems = blastRadiusProblems({ nodes, nodesPerFault: perFault, volatileSessions, owners: 2, allowLoss });
          if (perFault >= nodes || perFault < 1) {
            expect(problems).toHaveLength(1);
          }
        },
      ),
    );
  });

  it("asks for --allow-loss when a round breaks as many nodes as a cache entry has owners, whatever the session mode", () => {
    expect(blastRadiusProblems({ nodes: 3, nodesPerFault: 2, volatileSessions: true, owners: 2, allowLoss: false })).toEqual([
      "--nodes-per-fault 2: 2 nodes break at once and each distributed cache entry has 2 owners: sessions, logins in progress and unredeemed authorization codes can be lost. Add --allow-loss to run it anyway",
    ]);
    expect(blastRadiusProblems({ nodes: 3, nodesPerFault: 2, volatileSessions: false, owners: 2, allowLoss: false })).toEqual([
      "--nodes-per-fault 2: 2 nodes break at once and each distributed cache entry has 2 owners: logins in progress and unredeemed authorization codes (sessions are also in the database) can be lost. Add --allow-loss to run it anyway",
    ]);
    expect(blastRadiusProblems({ nodes: 3, nodesPerFault: 2, volatileSessions: true, owners: 2, allowLoss: true })).toEqual([]);
    expect(blastRadiusProblems({ nodes: 3, nodesPerFault: 1, volatileSessions: true, owners: 2, allowLoss: false })).toEqual([]);
    expect(blastRadiusProblems({ nodes: 3, nodesPerFault: 3, volatileSessions: false, owners: 2, allowLoss: true })).toEqual([
      "--nodes-per-fault 3 would break every node of 3; at most 2 (nodes - 1)",
    ]);
  });
});
