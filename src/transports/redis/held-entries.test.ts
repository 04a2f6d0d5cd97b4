import { describe, expect, it } from "vitest";
import type { RawEntry } from "./fields.js";
import { HeldEntries, type HeldItem } from "./held-entries.js";
import type { PartitionKeys } from "./naming.js";

const keys = { partition: 0 } as PartitionKeys;
const item = (stream: string, id: string): HeldItem => ({
  raw: [Buffer.from(id), []] as unknown as RawEntry,
  id,
  stream,
  keys,
  deliveryCount: 1,
});

describe("HeldEntries", () => {
  it("holds an entry once until its handler finishes, and counts it against the prefetch", async () => {
    const held = new HeldEntries(3);
    expect(held.reserve("s", "1-0")).toBe(true);
    expect(held.reserve("s", "1-0")).toBe(false); // a re-read or reclaim of an entry in hand
    expect(held.reserve("other", "1-0")).toBe(true); // same id, another stream
    held.buffer(item("s", "1-0"));
    held.buffer(item("other", "1-0"));
    expect(held.capacity).toBe(1);
    let finish!: () => void;
    const slot = held.startNext((_, s) => new Promise<void>((r) => (finish = r)).then(() => held.finish(s)));
    expect(slot?.id).toBe("1-0");
    expect([held.inFlight, held.buffered.length, held.capacity]).toEqual([1, 1, 1]);
    expect([...held.byStream()]).toEqual([
      ["s", ["1-0"]],
      ["other", ["1-0"]],
    ]);
    finish();
    await slot?.done;
    expect(held.inFlight).toBe(0);
    expect(held.reserve("s", "1-0")).toBe(true); // handled: it may be read again (e.g. retried)
  });

  it("forgets dropped buffered entries so a later read may hold them again", () => {
    const held = new HeldEntries(5);
    for (const id of ["1-0", "2-0"]) {
      held.reserve("s", id);
      held.buffer(item("s", id));
    }
    held.dropBuffered((i) => i.raw[0].toString() === "1-0");
    expect(held.buffered.map((i) => i.raw[0].toString())).toEqual(["2-0"]);
    expect(held.reserve("s", "1-0")).toBe(true);
    expect(held.reserve("s", "2-0")).toBe(false);
    expect(held.startNext(async () => undefined)?.id).toBe("2-0");
    expect(held.startNext(async () => undefined)).toBeUndefined();
  });
});
