import { describe, expect, it } from "vitest";
import { closeQuietly } from "./close-quietly.js";

describe("closeQuietly", () => {
  it("gives up on a close that never settles (a connection that died mid-close), and swallows errors", async () => {
    const never = { close: () => new Promise<void>(() => undefined) };
    // Without the bound this await would never end (the test would time out).
    await expect(closeQuietly(never, 50)).resolves.toBe(false);
    await expect(closeQuietly({ close: () => Promise.reject(new Error("closed")) })).resolves.toBe(true);
    await expect(closeQuietly({ close: () => Promise.resolve() })).resolves.toBe(true);
  });
});
