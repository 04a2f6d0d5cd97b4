import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { escapeName, partitionForKey, planDeclaration, RedisKeyNames, unescapeName } from "./naming.js";

/** Redis Cluster slot of a key (CRC16/XMODEM of the hash tag, mod 16384), as the cluster spec defines it. */
function keySlot(key: string): number {
  const open = key.indexOf("{");
  let hashed = key;
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe("RedisKeyNames", () => {
  const names = new RedisKeyNames();

  it("names an unpartitioned topic and its group keys", () => {
    expect(names.partition("orders", "billing")).toEqual({
      partition: 0,
      stream: "mqa:{orders}",
      retry: "mqa:{orders}:retry:billing",
      delayed: "mqa:{orders}:delayed:billing",
      dlq: "mqa:{orders}:dlq:billing",
      lease: "mqa:{orders}:lease:billing",
    });
  });

  it("puts every key a Lua script touches together in one slot", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1, max: 64 }),
        (topic, group, n) => {
          for (const keys of names.group(topic, group, n)) {
            const slot = keySlot(keys.stream);
            for (const k of [keys.retry, keys.delayed, keys.dlq, keys.lease]) expect(keySlot(k)).toBe(slot);
          }
        },
      ),
    );
  });

  it("spreads partitions over cluster slots", () => {
    const slots = new Set(names.streams("orders", 16).map(keySlot));
    expect(slots.size).toBeGreaterThan(12);
  });

  it("never lets two topics or partitions share a stream name", () => {
    expect(names.stream("a#1")).not.toBe(names.stream("a", 1, 2));
    expect(names.stream("a}b")).toBe("mqa:{a%7Db}");
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(names.stream(a)).not.toBe(names.stream(b));
      }),
    );
  });

  it("escapes reversibly", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(unescapeName(escapeName(s))).toBe(s);
      }),
    );
  });

  it("rejects a prefix with hash tag braces and empty names", () => {
    expect(() => new RedisKeyNames("a{b}")).toThrow(/hash tag/);
    expect(() => names.stream("")).toThrow(/empty/);
    expect(() => names.partition("t", "")).toThrow(/empty/);
  });
});

describe("partitionForKey", () => {
  it("is stable and in range", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 128 }), (key, n) => {
        const p = partitionForKey(key, n);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
        expect(partitionForKey(key, n)).toBe(p);
      }),
    );
  });
  it("uses every partition for varied keys", () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => partitionForKey(`order-${i}`, 8)));
    expect(used.size).toBe(8);
  });
});

describe("planDeclaration", () => {
  it("lists streams, groups, lazy keys and trimming per partition", () => {
    const steps = planDeclaration(new RedisKeyNames(), {
      topic: "orders",
      group: "billing",
      partitions: 2,
      trim: { maxLen: 1000 },
    });
    expect(steps.filter((s) => s.kind === "group").map((s) => s.stream)).toEqual([
      "mqa:{orders#0}",
      "mqa:{orders#0}:retry:billing",
      "mqa:{orders#1}",
      "mqa:{orders#1}:retry:billing",
    ]);
    expect(steps.filter((s) => s.kind === "trim")).toHaveLength(2);
    expect(steps[0]).toMatchObject({ kind: "meta", key: "mqa:{orders}:meta", partitions: 2 });
    expect(steps.some((s) => s.kind === "lazy" && s.purpose === "members")).toBe(true);
  });
  it("skips the DLQ when deadLetter is false", () => {
    const steps = planDeclaration(new RedisKeyNames(), { topic: "t", group: "g", deadLetter: false });
    expect(steps.some((s) => s.kind === "lazy" && s.purpose === "dead-letters")).toBe(false);
    expect(steps.some((s) => s.kind === "trim")).toBe(false);
  });
});
