import { afterEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import type { RedisTransport } from "./transport.js";
import { bytes, REDIS_URL, text, transportFactory, until } from "../../../test/redis-helpers.js";

const topics = { orders: { partitions: 4 } };

describe("partitioned topics", () => {
  const f = transportFactory({ topics, partitionLeaseMs: 600 });
  afterEach(() => f.cleanup());

  it("publishes by key hash to N hash-tagged streams", async () => {
    const t = f.create();
    await t.declare({ topic: "orders", group: "g" });
    for (let i = 0; i < 40; i++) await t.publish("orders", { key: `k${i}`, payload: bytes("x") });
    const r = new Redis(REDIS_URL);
    const lengths = await Promise.all(t.names.streams("orders", 4).map((s) => r.xlen(s)));
    r.disconnect();
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(40);
    expect(lengths.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it("spreads partitions over a group's consumers, keeps per-key order, and rebalances when one leaves", async () => {
    const a = f.create();
    const b = f.create();
    const seen: { by: string; key: string; i: number }[] = [];
    const handler = (by: string) => async (d: Parameters<Parameters<RedisTransport["subscribe"]>[2]>[0]) => {
      const [key, i] = text(d.message.payload).split(":") as [string, string];
      seen.push({ by, key, i: Number(i) });
      await d.ack();
    };
    const subA = await a.subscribe("orders", "g", handler("a"), { prefetch: 1 });
    await b.subscribe("orders", "g", handler("b"), { prefetch: 1 });
    const r = new Redis(REDIS_URL);
    const leases = a.names.group("orders", "g", 4).map((k) => k.lease);
    // Both consumers end up owning two partitions each.
    await until(async () => {
      const owners = await Promise.all(leases.map((l) => r.get(l)));
      return owners.every((o) => o !== null) && new Set(owners).size === 2;
    }, "an even split of the leases");

    const keys = ["a", "b", "c", "d", "e", "f", "g", "h"];
    for (let i = 0; i < 80; i++)
      await a.publish("orders", { key: keys[i % 8], payload: bytes(`${keys[i % 8]}:${i}`) });
    await until(() => seen.length === 80, "80 deliveries");
    expect(new Set(seen.map((s) => s.by))).toEqual(new Set(["a", "b"]));
    for (const k of keys) {
      const order = seen.filter((s) => s.key === k).map((s) => s.i);
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(new Set(seen.filter((s) => s.key === k).map((s) => s.by)).size).toBe(1); // one owner per key
    }

    await subA.close();
    await until(async () => {
      const owners = await Promise.all(leases.map((l) => r.get(l)));
      return owners.every((o) => o !== null) && new Set(owners).size === 1;
    }, "the remaining consumer to own every partition");
    for (let i = 80; i < 120; i++)
      await a.publish("orders", { key: keys[i % 8], payload: bytes(`${keys[i % 8]}:${i}`) });
    await until(() => seen.length === 120, "120 deliveries");
    expect(seen.slice(80).every((s) => s.by === "b")).toBe(true);
    r.disconnect();
  });

  it("a crashed owner's partitions and pending entries move to the survivor after the lease", async () => {
    const a = f.create();
    const b = f.create();
    let heldByA = 0;
    await a.subscribe("orders", "g", async () => {
      heldByA++;
      await new Promise(() => undefined);
    });
    const got = new Set<string>();
    for (let i = 0; i < 20; i++)
      await b.publish("orders", { id: `m${i}`, key: `k${i}`, payload: bytes("x") });
    await until(() => heldByA > 0, "the first consumer to hold entries");
    await b.subscribe("orders", "g", async (d) => {
      got.add(d.message.id);
      await d.ack();
    });
    await a.abort();
    await until(() => got.size === 20, "all 20 after the crashed owner's leases expired", 15_000);
  });

  it("refuses a process configured with another partition count, loudly", async () => {
    const four = f.create();
    await four.declare({ topic: "orders", group: "g" });
    const one = f.create({ topics: {} });
    await expect(one.publish("orders", { payload: bytes("x") })).rejects.toMatchObject({
      code: "precondition-failed",
      details: { server: 4, configured: 1 },
    });
    await expect(one.declare({ topic: "orders", group: "h" })).rejects.toMatchObject({
      code: "precondition-failed",
    });
    await expect(one.publish("elsewhere", { payload: bytes("x") })).resolves.toBeDefined();
  });
});
