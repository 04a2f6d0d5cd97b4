import { describe, expect, it } from "vitest";
import { drainWithin } from "./drain.js";
import { InFlight } from "./in-flight.js";

describe("drainWithin", () => {
  it("resolves true as soon as the work is done, rejections included", async () => {
    let finish!: () => void;
    const slow = new Promise<void>((r) => (finish = r));
    const failed = Promise.reject(new Error("handler failed"));
    failed.catch(() => undefined);
    const waiting = drainWithin([slow, failed], 60_000);
    finish();
    // With the 60 s bound a missed wake-up would time the test out instead of passing.
    expect(await waiting).toBe(true);
    expect(await drainWithin([], 60_000)).toBe(true);
  });

  it("resolves false at the deadline and leaves no waiter behind on the counter", async () => {
    const f = new InFlight();
    f.begin();
    expect(await drainWithin(f, 10)).toBe(false);
    expect(await drainWithin([new Promise<void>(() => undefined)], 10)).toBe(false);
    expect(f.waiting).toBe(0);
    const later = drainWithin(f, 60_000);
    expect(f.waiting).toBe(1);
    f.end();
    expect(await later).toBe(true);
    expect(f.waiting).toBe(0);
  });
});
