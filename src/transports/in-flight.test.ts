import { describe, expect, it } from "vitest";
import { InFlight } from "./in-flight.js";

describe("InFlight", () => {
  it("wakes every waiter when the last operation ends, and times out otherwise", async () => {
    const f = new InFlight();
    expect(await f.drained(0)).toBe(true);
    f.begin();
    f.begin();
    const a = f.drained(5000);
    const b = f.drained(5000);
    expect(f.end()).toBe(false);
    expect(f.end()).toBe(true);
    expect(await Promise.all([a, b])).toEqual([true, true]);
    f.begin();
    expect(await f.drained(20)).toBe(false);
    expect(f.size).toBe(1);
  });
});
