import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FAULT_KINDS, planFaults } from "./fault-plan.js";

describe("planFaults", () => {
  it("draws the same plan from the same seed, and another from another seed", () => {
    const a = planFaults(42, FAULT_KINDS, 1000, 3);
    expect(planFaults(42, FAULT_KINDS, 1000, 3)).toEqual(a);
    expect(planFaults(43, FAULT_KINDS, 1000, 3)).not.toEqual(a);
  });

  it("keeps every fault inside the run and poison inside the sequence range", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 8 }),
        (seed, n, k) => {
          const plan = planFaults(seed, FAULT_KINDS, n, k);
          // 2 kills, 2 cuts, 1 broker restart, 1 leader kill, 1 primary kill, 1 slot move
          expect(plan.faults).toHaveLength(8);
          for (const f of plan.faults) {
            expect(f.at).toBeGreaterThanOrEqual(0.15);
            expect(f.at).toBeLessThanOrEqual(0.85);
            expect(f.target).toBeGreaterThanOrEqual(0);
            expect(f.target).toBeLessThan(k);
          }
          expect(plan.poison.length).toBeGreaterThanOrEqual(1);
          expect(new Set(plan.poison).size).toBe(plan.poison.length);
          for (const s of plan.poison) expect(s >= 0 && s < n).toBe(true);
        },
      ),
    );
  });

  it("plans only the faults asked for", () => {
    const plan = planFaults(1, ["consumer-kill"], 100, 2);
    expect(plan.faults.map((f) => f.kind)).toEqual(["consumer-kill", "consumer-kill"]);
    expect(plan.poison).toEqual([]);
  });
});
