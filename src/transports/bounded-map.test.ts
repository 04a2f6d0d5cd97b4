import { describe, expect, it } from "vitest";
import { BoundedMap } from "./bounded-map.js";

describe("BoundedMap", () => {
  it("forgets the least recently used key past its capacity", () => {
    const m = new BoundedMap<string, number>(2);
    m.set("a", 1).set("b", 2);
    expect(m.get("a")).toBe(1); // a is now more recent than b
    m.set("c", 3);
    expect(m.size).toBe(2);
    expect(m.has("b")).toBe(false);
    expect([m.get("a"), m.get("c")]).toEqual([1, 3]);
    m.set("c", 4); // updating keeps the size
    expect(m.size).toBe(2);
    expect(m.delete("a")).toBe(true);
    expect(m.size).toBe(1);
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new BoundedMap(0)).toThrow(/positive integer, got 0/);
  });
});
