import { describe, expect, it } from "vitest";
import { BREAK_FACTOR, BREAK_FLOOR_MS, breakPoint, type SweepStep } from "./sweep.js";

function steps(p99s: Array<number | null>): SweepStep[] {
  return p99s.map((p99, i) => ({
    percent: (i + 1) * 10,
    rate: (i + 1) * 1000,
    messages: 100,
    points: [{ side: "mqa", p50: p99 === null ? null : p99 / 2, p99, sentRate: p99 === null ? null : 1 }],
  }));
}

describe("breakPoint", () => {
  it("is the first rate whose p99 exceeds BREAK_FACTOR × the lowest rate's p99", () => {
    const base = 2 * BREAK_FLOOR_MS;
    const b = breakPoint(steps([base, base * 2, base * BREAK_FACTOR + 1, base]), "mqa");
    expect(b).toEqual({
      side: "mqa",
      baseP99: base,
      threshold: base * BREAK_FACTOR,
      rate: 3000,
      percent: 30,
    });
  });

  it("does not call anything under the floor a break", () => {
    const b = breakPoint(steps([0.2, BREAK_FLOOR_MS - 0.1, BREAK_FLOOR_MS]), "mqa");
    expect(b.threshold).toBe(BREAK_FLOOR_MS);
    expect(b.rate).toBeNull();
  });

  it("counts a round that did not drain as a break", () => {
    expect(breakPoint(steps([1, 2, null]), "mqa").percent).toBe(30);
  });

  it("breaks at the lowest rate when even that round failed", () => {
    expect(breakPoint(steps([null, 1]), "mqa")).toMatchObject({
      baseP99: null,
      threshold: null,
      percent: 10,
    });
  });
});
