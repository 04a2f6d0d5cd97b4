import { afterEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import type { Delivery } from "../../core/transport.js";
import { bytes, REDIS_URL, text, transportFactory, until } from "../../../test/redis-helpers.js";

describe("RedisTransport against the local Redis", () => {
  const f = transportFactory();
  afterEach(() => f.cleanup());

  it("publishes, delivers and acks, with every message field intact", async () => {
    const t = f.create();
    const got: Delivery[] = [];
    await t.subscribe("orders", "billing", async (d) => {
      got.push(d);
      await d.ack();
    });
    const payload = new Uint8Array([0, 255, 1, 254]);
    const receipt = await t.publish("orders", {
      id: "m1",
      key: "k",
      payload,
      contentType: "application/x-test",
      headers: { a: "b" },
      correlationId: "c1",
      causationId: "z1",
      timestamp: 1234,
    });
    expect(receipt.id).toBe("m1");
    expect(receipt.position).toMatch(/^\d+-\d+$/);
    await until(() => got.length === 1, "delivery");
    const m = got[0]!.message;
    expect(m).toMatchObject({ id: "m1", key: "k", contentType: "application/x-test", correlationId: "c1" });
    expect(m.causationId).toBe("z1");
    expect(m.timestamp).toBe(1234);
    expect(Array.from(m.payload)).toEqual([0, 255, 1, 254]);
    expect(m.headers.a).toBe("b");
    expect(m.attempt).toBe(1);
    const r = new Redis(REDIS_URL);
    await until(async () => (await r.xpending(t.names.stream("orders"), "billing"))[0] === 0, "ack");
    r.disconnect();
  });

  it("retries broker-side after a delay, counting the attempt", async () => {
    const t = f.create();
    const attempts: number[] = [];
    await t.subscribe("jobs", "w", async (d) => {
      attempts.push(d.message.attempt);
      if (d.message.attempt < 3) await d.retry({ delayMs: d.message.attempt === 1 ? 0 : 300 });
      else await d.ack();
    });
    await t.publish("jobs", { payload: bytes("x") });
    await until(() => attempts.length === 3, "three attempts");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("dead-letters with the reason and reads dead letters back", async () => {
    const t = f.create();
    await t.subscribe("pay", "g", async (d) => {
      await d.deadLetter({ reason: "invalid-payload", error: { name: "E", message: "bad" } });
    });
    await t.publish("pay", { id: "p1", payload: bytes("{") });
    let letters: Awaited<ReturnType<typeof t.readDeadLetters>> = [];
    await until(async () => (letters = await t.readDeadLetters("pay", "g")).length === 1, "dead letter");
    expect(letters[0]!.reason).toBe("invalid-payload");
    expect(letters[0]!.message.id).toBe("p1");
    expect(text(letters[0]!.message.payload)).toBe("{");
    expect(letters[0]!.headers["x-mqa-error-message"]).toBe("bad");
    expect(letters[0]!.headers["x-mqa-original-group"]).toBe("g");
  });

  it("gives every group every message; consumers of one group compete", async () => {
    const t1 = f.create();
    const t2 = f.create();
    const a: string[] = [];
    const b: string[] = [];
    const c: string[] = [];
    await t1.subscribe("ev", "A", async (d) => void (a.push(d.message.id), await d.ack()));
    await t2.subscribe("ev", "A", async (d) => void (b.push(d.message.id), await d.ack()));
    await t2.subscribe("ev", "C", async (d) => void (c.push(d.message.id), await d.ack()));
    for (let i = 0; i < 50; i++) await t1.publish("ev", { id: `m${i}`, payload: bytes("x") });
    await until(() => a.length + b.length === 50 && c.length === 50, "all deliveries");
    expect(new Set([...a, ...b]).size).toBe(50);
  });

  it("keeps messages published before any group for the first group declared (retain)", async () => {
    const t = f.create();
    await t.publish("early", { id: "e1", payload: bytes("x") });
    const got: string[] = [];
    await t.subscribe("early", "late", async (d) => void (got.push(d.message.id), await d.ack()));
    await until(() => got.length === 1, "retained message");
    expect(got).toEqual(["e1"]);
  });

  it("reclaims what a lost consumer held and gives it to another consumer", async () => {
    const crashing = f.create();
    const survivor = f.create();
    let held = 0;
    await crashing.subscribe("work", "g", async () => {
      held++;
      await new Promise(() => undefined); // never settles: the process "dies" holding it
    });
    await crashing.publish("work", { id: "w1", payload: bytes("x") });
    await until(() => held === 1, "first consumer holds the entry");
    await crashing.abort();
    const got: number[] = [];
    await survivor.subscribe("work", "g", async (d) => void (got.push(d.message.attempt), await d.ack()));
    await until(() => got.length === 1, "reclaimed delivery");
    expect(got[0]).toBe(2);
    expect(survivor.stats.reclaimed).toBe(1);
  });

  it("delivers an entry handed back on close once to the consumer that takes it over, not twice", async () => {
    // At start a consumer both re-reads its own pending entries (ID 0) and reclaims idle ones; an entry
    // it reclaimed, handled and acked in between must not come back from the re-read's reply.
    const first = f.create();
    let held = 0;
    const sub = await first.subscribe("handover", "g", async () => {
      held++;
      await new Promise(() => undefined);
    });
    await first.publish("handover", { id: "h1", payload: bytes("x") });
    await until(() => held === 1, "the first consumer to hold the entry");
    await sub.close({ timeoutMs: 100 }); // hands the entry back (marked long idle)
    const got: string[] = [];
    const next = f.create();
    await next.subscribe("handover", "g", async (d) => {
      got.push(d.message.id);
      await d.ack();
    });
    await until(() => got.length >= 1, "the handed-back entry");
    await new Promise((r) => setTimeout(r, 1500)); // a few reclaim and re-read rounds
    expect(got).toEqual(["h1"]);
  });

  it("removes pending entries deleted from the stream and counts them", async () => {
    const t = f.create({ claimIdleMs: 200 });
    const r = new Redis(REDIS_URL);
    let seen = 0;
    const sub = await t.subscribe("del", "g", async () => {
      seen++;
      await new Promise(() => undefined);
    });
    const receipt = await t.publish("del", { payload: bytes("x") });
    await until(() => seen === 1, "delivery");
    await sub.close({ timeoutMs: 10 }); // gives the entry back, still pending
    await r.xdel(t.names.stream("del"), receipt.position!);
    const t2 = f.create({ claimIdleMs: 200 });
    await t2.subscribe("del", "g", async (d) => d.ack());
    await until(() => t2.stats.deletedWhilePending === 1, "deleted entry counted");
    await until(async () => (await r.xpending(t.names.stream("del"), "g"))[0] === 0, "PEL empty");
    r.disconnect();
  });

  it("removes idle consumers once they hold nothing, and leaves the group on close", async () => {
    const t = f.create({ consumerIdleMs: 300, claimIdleMs: 200 });
    await t.declare({ topic: "tidy", group: "g" });
    const r = new Redis(REDIS_URL);
    const stream = t.names.stream("tidy");
    await r.xgroup("CREATECONSUMER", stream, "g", "ghost");
    await r.xgroup("CREATECONSUMER", stream, "g", "holder");
    await r.xadd(stream, "*", "id", "x", "a", "1", "h", "{}", "p", "x");
    await r.xreadgroup("GROUP", "g", "holder", "COUNT", 1, "STREAMS", stream, ">");
    const consumers = async (): Promise<string[]> =>
      ((await r.xinfo("CONSUMERS", stream, "g")) as unknown[][]).map((c) => String(c[1]));
    const sub = await t.subscribe("tidy", "g", async (d) => d.ack());
    await until(async () => !(await consumers()).includes("ghost"), "the ghost consumer to be removed");
    // The counter moves once the whole cleanup pass is done, which can be after XINFO already shows the removal.
    await until(() => t.stats.removedConsumers >= 1, "the removal to be counted");
    // "holder" held an entry: it was reclaimed (idle > claimIdleMs) and, once empty, removed too.
    await until(async () => !(await consumers()).includes("holder"), "the drained holder to be removed");
    await sub.close();
    expect(await consumers()).toEqual([]);
    r.disconnect();
  });

  it("keeps a delayed retry in Redis across the consumer's death", async () => {
    const first = f.create();
    let retried = false;
    await first.subscribe("later", "g", async (d) => {
      await d.retry({ delayMs: 400, headers: { "x-why": "busy" } });
      retried = true;
    });
    await first.publish("later", { id: "d1", payload: bytes("x") });
    await until(() => retried, "the retry");
    await first.abort(); // nothing in this process remembers the retry now
    const got: { attempt: number; why: string | undefined }[] = [];
    const second = f.create();
    await second.subscribe("later", "g", async (d) => {
      got.push({ attempt: d.message.attempt, why: d.message.headers["x-why"] });
      await d.ack();
    });
    await until(() => got.length === 1, "the delayed retry from Redis");
    expect(got[0]).toEqual({ attempt: 2, why: "busy" });
  });

  it("inspects a group: lag, pending age, retries, dead letters", async () => {
    const t = f.create();
    await t.declare({ topic: "health", group: "g" });
    for (let i = 0; i < 5; i++) await t.publish("health", { id: `h${i}`, payload: bytes("x") });
    expect(await t.inspect("health", "g")).toEqual([
      expect.objectContaining({ partition: 0, length: 5, lag: 5, pending: 0, delayed: 0, deadLetters: 0 }),
    ]);
    let n = 0;
    await t.subscribe("health", "g", async (d) => {
      n++;
      if (d.message.id === "h0") await d.deadLetter({ reason: "test" });
      else if (d.message.id === "h1") await d.retry({ delayMs: 60_000 });
      else if (d.message.id === "h2")
        await new Promise(() => undefined); // stays pending
      else await d.ack();
    });
    await until(() => n === 5, "five deliveries");
    await until(async () => (await t.inspect("health", "g"))[0]!.deadLetters === 1, "the dead letter");
    const [h] = await t.inspect("health", "g");
    expect(h).toMatchObject({ lag: 0, pending: 1, delayed: 1, deadLetters: 1, consumers: 1 });
    expect(h!.oldestPendingIdleMs).toBeGreaterThanOrEqual(0);
  });
});
