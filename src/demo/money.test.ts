import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAmount, parseAmount } from "./money.js";

describe("decimal money", () => {
  it("adds 0.10 + 0.20 to exactly 0.30", () => {
    expect(formatAmount(parseAmount("0.10") + parseAmount("0.20"))).toBe("0.30");
  });

  it("round-trips any cent amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (c) => {
        expect(parseAmount(formatAmount(c))).toBe(c);
      }),
    );
  });

  it("rejects floats, commas and missing decimals", () => {
    for (const bad of ["12,50", "12.5", "1e3", "-1.00", "12", ""])
      expect(() => parseAmount(bad)).toThrow(RangeError);
  });
});
