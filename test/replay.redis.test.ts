/**
 * Replay on the real Redis: from a time (exactly the entries stored at or after it), from the start, from an
 * entry id, up to an id or a time, across partitions (merged by entry id), following new entries, resuming
 * from a checkpoint, and without moving any consumer group. Each test uses a key prefix of its own and
 * deletes its keys.
 */
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MqaError } from "../src/core/errors.js";
import {
  RedisCheckpointStore,
  openReplay,
  parseReplayPoint,
  type ReplayBatch,
  type ReplayReader,
} from "../src/replay/mod.js";
import { createRedisTransport, type RedisTransport } from "../src/transports/redis/mod.js";
import { REDIS_URL, deleteKeys, uniquePrefix } from "./redis-helpers.js";

const redis = new Redis(REDIS_URL);
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});
afterAll(() => redis.disconnect());

const text = new TextEncoder();
const decoder = new TextDecoder();

/** A transport on a fresh prefix, removed (with every key) after the test. */
function setup(partitions = 1): { prefix: string; transport: RedisTransport } {
  const prefix = uniquePrefix();
  const transport = createRedisTransport({
    url: REDIS_URL,
    keyPrefix: prefix,
    ...(partitions > 1 ? { topics: { p: { partitions } } } : {}),
  });
  cleanups.push(() => deleteKeys(prefix));
  cleanups.push(() => transport.close({ timeoutMs: 1000 }));
  return { prefix, transport };
}

/** Publish `ids` one after the other (so their order is their entry order). */
async function publish(
  t: RedisTransport,
  topic: string,
  ids: readonly string[],
  key?: (i: number) => string,
) {
  for (const [i, id] of ids.entries())
    await t.publish(topic, { id, payload: text.encode(id), ...(key ? { key: key(i) } : {}) });
}

/** Every message id a reader hands over, until its end. */
async function readAll(reader: ReplayReader): Promise<{ ids: string[]; batches: ReplayBatch[] }> {
  const ids: string[] = [];
  const batches: ReplayBatch[] = [];
  for await (const batch of reader) {
    batches.push(batch);
    ids.push(...batch.messages.map((r) => r.message.id));
  }
  await reader.close();
  return { ids, batches };
}

/** Wait until the clock has passed `ms` (so a time taken now is after everything stored so far). */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await delay(1);
}

const names = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);

describe("replay on Redis Streams", () => {
  it("from a timestamp returns exactly the entries stored at or after it, in order", async () => {
    const { prefix, transport } = setup();
    await transport.declare({ topic: "orders", group: "g" });
    const before = names("a", 30);
    const after = names("b", 30);
    await publish(transport, "orders", before);
    const last = (await redis.xrevrange(`${prefix}:{orders}`, "+", "-", "COUNT", 1))[0]![0];
    await clockPast(Number(last.split("-")[0]));
    const t = new Date();
    await publish(transport, "orders", after);

    const reader = await openReplay(REDIS_URL, "orders", {
      keyPrefix: prefix,
      from: { timestamp: t },
      batchSize: 7,
    });
    const { ids, batches } = await readAll(reader);
    expect(ids).toEqual(after);
    expect(batches.every((b) => b.messages.length <= 7)).toBe(true);
    // Positions are entry ids at or after T, and the message is the one a consumer would get.
    const first = batches[0]!.messages[0]!;
    expect(Number(first.position.split("-")[0])).toBeGreaterThanOrEqual(t.getTime());
    expect(decoder.decode(first.message.payload)).toBe(after[0]);
    expect(first.message.topic).toBe("orders");
  });

  it("from the start, from an entry id, up to an id (inclusive) or a time (exclusive)", async () => {
    const { prefix, transport } = setup();
    await transport.declare({ topic: "t", group: "g" });
    const ids = names("m", 20);
    await publish(transport, "t", ids);
    const entries = await redis.xrange(`${prefix}:{t}`, "-", "+");
    const idOf = (i: number): string => entries[i]![0];

    expect((await readAll(await openReplay(REDIS_URL, "t", { keyPrefix: prefix }))).ids).toEqual(ids);
    const fromFifth = await openReplay(REDIS_URL, "t", { keyPrefix: prefix, from: { offset: idOf(5) } });
    expect((await readAll(fromFifth)).ids).toEqual(ids.slice(5));
    const range = await openReplay(REDIS_URL, "t", {
      keyPrefix: prefix,
      from: { offset: idOf(3) },
      to: { offset: idOf(8) },
    });
    expect((await readAll(range)).ids).toEqual(ids.slice(3, 9));
    // to a time: everything stored before the time of entry 12 (entries of the same ms excluded too)
    const ms12 = Number(idOf(12).split("-")[0]);
    const expected = ids.filter((_, i) => Number(idOf(i).split("-")[0]) < ms12);
    const toTime = await openReplay(REDIS_URL, "t", { keyPrefix: prefix, to: { timestamp: new Date(ms12) } });
    expect((await readAll(toTime)).ids).toEqual(expected);
  });

  it("stops at the end as it was when opened, without follow", async () => {
    const { prefix, transport } = setup();
    await transport.declare({ topic: "t", group: "g" });
    await publish(transport, "t", names("x", 5));
    const reader = await openReplay(REDIS_URL, "t", { keyPrefix: prefix, batchSize: 2 });
    const first = await reader.next();
    await publish(transport, "t", names("late", 3)); // after open: not part of this replay
    const rest = await readAll(reader);
    expect([...first!.messages.map((r) => r.message.id), ...rest.ids]).toEqual(names("x", 5));
  });

  it("merges the partitions of a partitioned topic by entry id, keeping each key's order", async () => {
    const { prefix, transport } = setup(4);
    await transport.declare({ topic: "p", group: "g" });
    const ids = names("k", 60);
    await publish(transport, "p", ids, (i) => `key-${i % 7}`);
    const reader = await openReplay(REDIS_URL, "p", { keyPrefix: prefix, batchSize: 9 });
    const got: { id: string; position: string; stream: string }[] = [];
    for await (const b of reader)
      got.push(...b.messages.map((r) => ({ id: r.message.id, position: r.position, stream: r.stream })));
    await reader.close();
    expect(new Set(got.map((g) => g.stream)).size).toBeGreaterThan(1);
    // Every message once; entry times never go back; each key's messages in publish order.
    expect([...got.map((g) => g.id)].sort()).toEqual(ids);
    const times = got.map((g) => Number(g.position.split("-")[0]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (let k = 0; k < 7; k++) {
      const ofKey = ids.filter((_, i) => i % 7 === k);
      expect(got.map((g) => g.id).filter((id) => ofKey.includes(id))).toEqual(ofKey);
    }
    const cursor = reader.cursor!;
    expect(Object.keys(JSON.parse(cursor) as object)).toHaveLength(4);
  });

  it("follows new entries after the end, until closed", async () => {
    const { prefix, transport } = setup();
    await transport.declare({ topic: "f", group: "g" });
    await publish(transport, "f", ["old-1", "old-2"]);
    const reader = await openReplay(REDIS_URL, "f", { keyPrefix: prefix, follow: true });
    const seen: string[] = [];
    const running = reader.run((b) => void seen.push(...b.messages.map((r) => r.message.id)));
    await publish(transport, "f", ["new-1", "new-2"]);
    while (seen.length < 4) await delay(10);
    await reader.close();
    await running;
    expect(seen).toEqual(["old-1", "old-2", "new-1", "new-2"]);
  });

  it("resumes after its checkpoint in a Redis hash, and moves no consumer group", async () => {
    const { prefix, transport } = setup();
    await transport.declare({ topic: "c", group: "live" });
    const ids = names("c", 25);
    await publish(transport, "c", ids);
    const groupsBefore = await redis.xinfo("GROUPS", `${prefix}:{c}`);
    const store = new RedisCheckpointStore({ redis, keyPrefix: prefix });
    const checkpoint = { name: "reader-1", store };

    const first = await openReplay(REDIS_URL, "c", { keyPrefix: prefix, batchSize: 10, checkpoint });
    const b1 = await first.next();
    const b2 = await first.next(); // hands b1 over: saved
    expect(await store.load("reader-1")).toBe(b1!.cursor);
    await first.close(); // b2 was in hand, not handed over: it comes again
    expect(await redis.hget(`${prefix}:replay:checkpoints`, "reader-1")).toBe(b1!.cursor);

    const second = await openReplay(REDIS_URL, "c", { keyPrefix: prefix, batchSize: 10, checkpoint });
    expect(second.resumedAfter).toBe(b1!.cursor);
    const rest = await readAll(second);
    expect(rest.ids).toEqual(ids.slice(10));
    expect(b2!.messages.map((r) => r.message.id)).toEqual(ids.slice(10, 20));
    expect(await store.load("reader-1")).toBe(rest.batches.at(-1)!.cursor);
    // No group was read from: same last-delivered id, nothing pending.
    expect(await redis.xinfo("GROUPS", `${prefix}:{c}`)).toEqual(groupsBefore);
  });

  it("reads another program's stream as the transport would decode it (key and field layout)", async () => {
    const key = `${uniquePrefix()}:ext-orders`;
    cleanups.push(() => redis.del(key));
    await redis.xadd(key, "*", "body", '{"orderId":"o-1"}', "kind", "created");
    await redis.xadd(key, "*", "body", '{"orderId":"o-2"}', "kind", "paid");
    const reader = await openReplay(REDIS_URL, "ext", { key, fields: { payload: "body" } });
    const got: ReplayBatch["messages"][number][] = [];
    for await (const b of reader) got.push(...b.messages);
    await reader.close();
    expect(got.map((r) => decoder.decode(r.message.payload))).toEqual([
      '{"orderId":"o-1"}',
      '{"orderId":"o-2"}',
    ]);
    expect(got.map((r) => r.stream)).toEqual([key, key]);
    expect(got[1]!.message.headers["kind"]).toBe("paid");
  });

  it("says clearly what is wrong: unknown topic, memory broker, bad --from", async () => {
    const prefix = uniquePrefix();
    const err = await openReplay(REDIS_URL, "nothing-here", { keyPrefix: prefix }).catch((e: unknown) => e);
    expect(MqaError.is(err, "not-found")).toBe(true);
    expect((err as Error).message).toContain(`${prefix}:{nothing-here}`);
    const mem = await openReplay("memory://", "t").catch((e: unknown) => e);
    expect(MqaError.is(mem, "unsupported")).toBe(true);
    expect(() => parseReplayPoint("yesterday", "--from")).toThrow(/--from "yesterday" is not start/);
    expect(() => parseReplayPoint("2026-13-45T99:00:00Z", "--from")).toThrow(MqaError);
    expect(parseReplayPoint("2026-12-03T10:00:00Z", "--from")).toEqual({
      timestamp: new Date("2026-12-03T10:00:00Z"),
    });
    const bad = await openReplay(REDIS_URL, "t", { from: { offset: "abc" } }).catch((e: unknown) => e);
    expect(MqaError.is(bad, "invalid-options")).toBe(true);
    expect((bad as Error).message).toContain("from.offset");
  });
});
