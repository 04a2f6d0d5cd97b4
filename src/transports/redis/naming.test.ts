import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  escapeName,
  partitionForKey,
  planDeclaration,
  RedisKeyNames,
  streamKeyTag,
  unescapeName,
} from "./naming.js";

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

describe("topics that name their stream key", () => {
  const names = new RedisKeyNames("mqa", { orders: "orders", eu: "shop{eu}:orders", odd: "a{}b" });

  it("use the key as given and put mqa's keys under <prefix>:{tag}:key:<key>", () => {
    expect(names.partition("orders", "billing")).toEqual({
      partition: 0,
      stream: "orders",
      retry: "mqa:{orders}:key:orders:retry:billing",
      delayed: "mqa:{orders}:key:orders:delayed:billing",
      dlq: "mqa:{orders}:key:orders:dlq:billing",
      lease: "mqa:{orders}:key:orders:lease:billing",
    });
    expect(names.meta("orders")).toBe("mqa:{orders}:key:orders:meta");
    expect(names.members("orders", "billing")).toBe("mqa:{orders}:key:orders:members:billing");
    expect(names.partition("eu", "g").dlq).toBe("mqa:{eu}:key:shop%7Beu%7D:orders:dlq:g");
    expect(names.streamKeyOf("eu")).toBe("shop{eu}:orders");
    expect(names.streamKeyOf("other")).toBeUndefined();
    expect(names.stream("other")).toBe("mqa:{other}");
  });

  it("have exactly one partition", () => {
    expect(names.streams("orders")).toEqual(["orders"]);
    expect(() => names.stream("orders", 0, 2)).toThrow(/one partition/);
    expect(() => planDeclaration(names, { topic: "orders", group: "g", partitions: 2 })).toThrow(
      /one partition/,
    );
  });

  it("keep mqa's keys in the stream's cluster slot when the key has a usable hash tag or none", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1 }), (key, group) => {
        const n = new RedisKeyNames("p", { t: key });
        const keys = n.partition("t", group);
        expect(keys.stream).toBe(key);
        const { sameSlot } = streamKeyTag(key);
        for (const k of [keys.retry, keys.delayed, keys.dlq, n.meta("t"), n.members("t", group)]) {
          if (sameSlot) expect(keySlot(k)).toBe(keySlot(key));
          // Whatever the key, all of mqa's own keys of the topic share one slot (the Lua scripts need that).
          expect(keySlot(k)).toBe(keySlot(keys.retry));
        }
      }),
    );
    expect(streamKeyTag("a{}b")).toEqual({ tag: "a%7B%7Db", sameSlot: false });
    expect(streamKeyTag("x{a{b}c")).toEqual({ tag: "a{b", sameSlot: true });
    expect(names.partition("odd", "g").retry).toBe("mqa:{a%7B%7Db}:key:a%7B%7Db:retry:g");
  });

  it("never share a name with an mqa-convention topic's keys or another stream key's", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        (key, otherKey, topic, partitions) => {
          // "f" and "g" name their stream keys here; a convention topic is any other name.
          fc.pre(key !== otherKey && topic !== "f" && topic !== "g");
          const n = new RedisKeyNames("mqa", { f: key, g: otherKey });
          const all = (t: string, p: number): string[] =>
            n
              .group(t, "grp", p)
              .flatMap((k) => [k.retry, k.delayed, k.dlq, k.lease])
              .concat(n.meta(t), n.members(t, "grp"));
          const foreign = all("f", 1);
          const convention = new Set([...all(topic, partitions), ...n.streams(topic, partitions)]);
          const other = new Set(all("g", 1));
          for (const k of foreign) {
            expect(convention.has(k)).toBe(false);
            expect(other.has(k)).toBe(false);
          }
        },
      ),
    );
  });

  it("match only mqa's keys with the topic pattern", () => {
    expect(names.topicPattern("orders")).toBe("mqa:{orders}:key:orders:*");
    expect(names.topicPattern("eu")).toBe("mqa:{eu}:key:shop%7Beu%7D:orders:*");
  });

  it("plan an existing group as a check, and still create mqa's retry group", () => {
    const steps = planDeclaration(names, { topic: "orders", group: "billing", existing: true });
    const groups = steps.flatMap((s) => (s.kind === "group" ? [`${s.stream} ${s.start}`] : []));
    expect(groups).toEqual(["orders existing", "mqa:{orders}:key:orders:retry:billing 0"]);
    expect(steps[0]).toMatchObject({ kind: "meta", key: "mqa:{orders}:key:orders:meta" });
  });
});
