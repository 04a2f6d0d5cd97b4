import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  const o = { baseMs: 100, multiplier: 2, maxMs: 1000, jitter: "none" as const };

  it("grows exponentially up to the ceiling", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(o, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("full jitter stays within [0, ceiling]", () => {
    fc.assert(
      fc.property(fc.nat(30), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, r) => {
        const d = backoffDelay({ ...o, jitter: "full" }, n, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** n));
      }),
    );
  });
});
