/**
 * mqa on streams other programs own (real Redis): any stream key, other producers' field layouts, consumer
 * groups that exist already, and a topology spec as the source of truth. Raw ioredis plays "the other
 * service" in both directions.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { MqaError } from "../src/core/errors.js";
import { Router } from "../src/core/router.js";
import { openRedisTail } from "../src/tail/redis.js";
import { specToRedisModel } from "../src/topology/expand-redis.js";
import { redisScript } from "../src/topology/export-redis.js";
import { applyTopology, planTopology } from "../src/topology/live.js";
import { validateSpec } from "../src/spec/parse.js";
import { createRedisTransport, type RedisTransport } from "../src/transports/redis/mod.js";
import type { Message } from "../src/core/message.js";
import {
  bytes,
  deleteKeys,
  rawRedis,
  REDIS_URL,
  text,
  transportFactory,
  uniqueName,
  until,
} from "./redis-helpers.js";

const order = z.strictObject({ orderId: z.string(), amount: z.string().regex(/^\d+\.\d{2}$/) });
type Order = z.infer<typeof order>;

/** Fields of the entries of `key`, as [field, value] lists. */
async function entries(raw: ReturnType<typeof rawRedis>, key: string): Promise<string[][]> {
  return (await raw.client.xrange(key, "-", "+")).map(([, fields]) => fields);
}

async function rejection(p: Promise<unknown>): Promise<MqaError> {
  try {
    await p;
  } catch (err) {
    return err as MqaError;
  }
  throw new Error("expected a rejection");
}

describe("Redis streams other programs own", () => {
  const f = transportFactory();
  let raw: ReturnType<typeof rawRedis>;
  const routers: Router[] = [];
  beforeEach(() => {
    raw = rawRedis();
  });
  afterEach(async () => {
    await Promise.all(routers.splice(0).map((r) => r.stop({ timeoutMs: 1000 })));
    await f.cleanup();
    await raw.cleanup();
  });

  /** Start a router with one zod-validated route; returns what its handler got. */
  async function route(t: RedisTransport, topic: string, group: string) {
    const got: { payload: Order; message: Message }[] = [];
    const router = new Router(t).handle({
      topic,
      group,
      schema: order,
      handler: (payload, ctx) => void got.push({ payload, message: ctx.message }),
    });
    routers.push(router);
    await router.start();
    return got;
  }

  it("handles an entry another service XADDed into mqa's own stream with only `p`", async () => {
    const t = f.create();
    const topic = uniqueName("own");
    const got = await route(t, topic, "billing");
    await raw.client.xadd(t.names.stream(topic), "*", "p", '{"orderId":"1","amount":"1.00"}');
    await until(() => got.length === 1, "the raw entry to be handled");
    expect(got[0]!.payload).toEqual({ orderId: "1", amount: "1.00" });
    expect(await t.readDeadLetters(topic, "billing")).toEqual([]);
  });

  it("reads another producer's layout through a field mapping; bad JSON is dead-lettered, the rest goes on", async () => {
    const key = raw.track(uniqueName("orders"));
    const topic = uniqueName("t");
    const t = f.create({ topics: { [topic]: { key, fields: { payload: "data" } } } });
    const got = await route(t, topic, "billing");
    await raw.client.xadd(key, "*", "data", '{"orderId":"1","amount":"1.00"}', "type", "order.created");
    await raw.client.xadd(key, "*", "data", "{not json", "type", "order.created");
    await raw.client.xadd(key, "*", "data", '{"orderId":"2","amount":"2.50"}', "type", "order.updated");
    await until(() => got.length === 2, "both valid entries");
    expect(got.map((g) => g.payload.orderId)).toEqual(["1", "2"]);
    expect(got[0]!.message.headers["type"]).toBe("order.created");
    expect(got[0]!.message.contentType).toBeUndefined();
    let letters: Awaited<ReturnType<typeof t.readDeadLetters>> = [];
    await until(
      async () => (letters = await t.readDeadLetters(topic, "billing")).length === 1,
      "the dead letter",
    );
    expect(letters[0]!.reason).toBe("invalid-payload");
    expect(text(letters[0]!.message.payload)).toBe("{not json");
    expect(letters[0]!.message.headers["type"]).toBe("order.created");
    // The dead letter is mqa's, in mqa's keys; the other program's stream is left as it wrote it.
    const dlq = t.names.partition(topic, "billing").dlq;
    expect(dlq.startsWith(`${f.prefix}:{`)).toBe(true);
    expect(dlq).toContain(":key:");
    expect(await raw.client.xlen(dlq)).toBe(1);
    expect(await raw.client.xlen(key)).toBe(3);
  });

  it("handles an entry with no mapping and no mqa fields as the JSON object of its fields", async () => {
    const key = raw.track(uniqueName("plain"));
    const topic = uniqueName("t");
    const t = f.create({ topics: { [topic]: { key } } });
    const got = await route(t, topic, "g");
    await raw.client.xadd(key, "*", "orderId", "7", "amount", "7.70");
    await until(() => got.length === 1, "the entry");
    expect(got[0]!.payload).toEqual({ orderId: "7", amount: "7.70" });
    expect(got[0]!.message.contentType).toBe("application/json");
  });

  it('maps payload "*" both ways: the field map in, a JSON object of scalars out', async () => {
    const key = raw.track(uniqueName("star"));
    const topic = uniqueName("t");
    const t = f.create({ topics: { [topic]: { key, fields: { payload: "*" } } } });
    const got = await route(t, topic, "g");
    await raw.client.xadd(key, "*", "orderId", "3", "amount", "3.00");
    await until(() => got.length === 1, "the raw entry");
    expect(got[0]!.payload).toEqual({ orderId: "3", amount: "3.00" });
    await t.publish(topic, { payload: bytes('{"orderId":"4","amount":"4.00","paid":true,"n":2}') });
    expect((await entries(raw, key)).at(-1)).toEqual([
      "orderId",
      "4",
      "amount",
      "4.00",
      "paid",
      "true",
      "n",
      "2",
    ]);
    const err = await rejection(t.publish(topic, { payload: bytes('{"items":[1]}') }));
    expect(MqaError.is(err, "invalid-payload")).toBe(true);
    expect(err.message).toMatch(/key "items" holds an array/);
  });

  it("publishes in the mapped layout, and in mqa's layout (m, p; no ct unless given) without a mapping", async () => {
    const mappedKey = raw.track(uniqueName("mapped"));
    const plainKey = raw.track(uniqueName("plain"));
    const t = f.create({
      topics: {
        mapped: { key: mappedKey, fields: { payload: "data", id: "eventId" } },
        plain: { key: plainKey },
      },
    });
    const receipt = await t.publish("mapped", {
      id: "e-1",
      payload: bytes('{"a":1}'),
      headers: { type: "order.created", source: "mqa" },
    });
    expect(receipt.id).toBe("e-1");
    expect(await entries(raw, mappedKey)).toEqual([
      ["data", '{"a":1}', "type", "order.created", "source", "mqa", "eventId", "e-1"],
    ]);
    const plain = await t.publish("plain", { id: "p-1", payload: bytes("x") });
    const [[m, meta, p, payload]] = (await entries(raw, plainKey)) as [string[]];
    expect([m, p, payload]).toEqual(["m", "p", "x"]);
    const parsed = JSON.parse(meta!) as Record<string, unknown>;
    expect(parsed).toMatchObject({ id: "p-1", ts: expect.any(Number) });
    expect(parsed).not.toHaveProperty("ct");
    expect(plain.position).toMatch(/^\d+-\d+$/);
  });

  it("refuses a missing group declared existing with not-found, creating nothing", async () => {
    const key = raw.track(uniqueName("missing"));
    const topic = uniqueName("t");
    const t = f.create({ topics: { [topic]: { key, groups: { billing: { existing: true } } } } });
    const noStream = await rejection(t.declare({ topic, group: "billing" }));
    expect(MqaError.is(noStream, "not-found")).toBe(true);
    expect(noStream.message).toContain(key);
    expect(noStream.message).toContain(`XGROUP CREATE ${key} billing $ MKSTREAM`);
    expect(noStream.message).toMatch(/drop existing/);
    expect(await raw.client.exists(key, t.names.meta(topic), t.names.partition(topic, "billing").retry)).toBe(
      0,
    );
    // The stream exists, the group does not: still refused, still nothing created.
    await raw.client.xadd(key, "*", "k", "v");
    const noGroup = await rejection(t.subscribe(topic, "billing", async (d) => d.ack()));
    expect(MqaError.is(noGroup, "not-found")).toBe(true);
    expect(noGroup.message).toMatch(/has no such group/);
    expect(await raw.client.xinfo("GROUPS", key)).toEqual([]);
  });

  it("consumes an existing group; retries with delay and dead letters go to mqa's own keys", async () => {
    const key = raw.track(uniqueName("theirs"));
    await raw.client.xgroup("CREATE", key, "billing", "$", "MKSTREAM");
    const topic = uniqueName("t");
    const t = f.create({
      topics: { [topic]: { key, fields: { payload: "data" }, groups: { billing: { existing: true } } } },
    });
    const attempts: number[] = [];
    await t.subscribe(topic, "billing", async (d) => {
      attempts.push(d.message.attempt);
      if (d.message.attempt === 1) await d.retry({ delayMs: 300 });
      else await d.deadLetter({ reason: "gave-up" });
    });
    await raw.client.xadd(key, "*", "data", "payload-1", "type", "x");
    let letters: Awaited<ReturnType<typeof t.readDeadLetters>> = [];
    await until(
      async () => (letters = await t.readDeadLetters(topic, "billing")).length === 1,
      "the dead letter",
    );
    expect(attempts).toEqual([1, 2]);
    expect(letters[0]).toMatchObject({ reason: "gave-up" });
    expect(text(letters[0]!.message.payload)).toBe("payload-1");
    expect(letters[0]!.message.headers["type"]).toBe("x");
    const keys = t.names.partition(topic, "billing");
    for (const k of [keys.retry, keys.delayed, keys.dlq]) {
      expect(k.startsWith(`${f.prefix}:{${key}}:key:${key}:`)).toBe(true);
    }
    expect(await raw.client.xlen(keys.retry)).toBe(0); // retries are deleted once handled
    expect(await raw.client.xlen(keys.dlq)).toBe(1);
    // Nothing of mqa's was written to the other program's stream, and its group is as it made it.
    expect(await raw.client.xlen(key)).toBe(1);
    expect(await raw.client.xpending(key, "billing")).toEqual([0, null, null, null]);
  });

  it("with a topology spec, uses its keys and layouts and refuses topics and groups it does not list", async () => {
    const key = raw.track(uniqueName("spec"));
    const topology = {
      version: 1,
      redis: {
        keyPrefix: f.prefix,
        streams: [
          { name: "orders", key, fields: { payload: "data" }, groups: [{ name: "billing" }] },
          { name: "jobs" },
        ],
      },
    };
    const t = createRedisTransport({ url: REDIS_URL, topology, blockMs: 200 });
    try {
      expect(t.names.prefix).toBe(f.prefix);
      expect(t.names.stream("orders")).toBe(key);
      const unknownTopic = await rejection(t.publish("nope", { payload: bytes("x") }));
      expect(MqaError.is(unknownTopic, "invalid-options")).toBe(true);
      expect(unknownTopic.message).toContain("'orders', 'jobs'");
      const unknownGroup = await rejection(t.subscribe("orders", "other", async (d) => d.ack()));
      expect(MqaError.is(unknownGroup, "invalid-options")).toBe(true);
      expect(unknownGroup.message).toContain("'billing'");
      expect(MqaError.is(await rejection(t.declare({ topic: "jobs", group: "g" })), "invalid-options")).toBe(
        true,
      );
      const got: string[] = [];
      await t.subscribe("orders", "billing", async (d) => {
        got.push(text(d.message.payload));
        await d.ack();
      });
      await t.publish("orders", { payload: bytes('{"orderId":"9"}'), headers: { h: "1" } });
      expect(await entries(raw, key)).toEqual([["data", '{"orderId":"9"}', "h", "1"]]);
      await until(() => got.length === 1, "the delivery");
      expect(got).toEqual(['{"orderId":"9"}']);
    } finally {
      await t.close({ timeoutMs: 1000 });
    }
  });

  it("tails a foreign stream with its field layout", async () => {
    const key = raw.track(uniqueName("tail"));
    await raw.client.xadd(key, "*", "data", "old");
    const seen: Message[] = [];
    const tail = await openRedisTail(REDIS_URL, "orders", (m) => seen.push(m), {
      key,
      fields: { payload: "data", id: "eventId" },
    });
    try {
      expect(tail.method).toContain(key);
      await raw.client.xadd(key, "*", "data", "new", "eventId", "e-5", "type", "x");
      await until(() => seen.length === 1, "the new entry");
      expect(seen[0]).toMatchObject({ id: "e-5", topic: "orders", headers: { type: "x" } });
      expect(text(seen[0]!.payload)).toBe("new");
    } finally {
      await tail.close();
    }
  });
});

describe("topology for streams other programs own", () => {
  let raw: ReturnType<typeof rawRedis>;
  let dir: string;
  const prefix = uniqueName("mqa-test-topo");
  beforeEach(async () => {
    raw = rawRedis();
    dir = await mkdtemp(join(tmpdir(), "mqa-existing-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await deleteKeys(prefix);
    await raw.cleanup();
  });

  it("plans mqa's groups and keys the transport uses, and never creates (or prunes) the owner's groups", async () => {
    const key = raw.track(uniqueName("topo"));
    const spec = validateSpec({
      version: 1,
      redis: {
        keyPrefix: prefix,
        streams: [
          {
            name: "orders",
            key,
            fields: { payload: "data" },
            groups: [{ name: "own" }, { name: "theirs", existing: true }],
          },
        ],
      },
    });
    // The spec expands to the keys the transport computes from the same spec.
    const t = createRedisTransport({ url: REDIS_URL, topology: spec });
    const model = specToRedisModel(spec);
    for (const group of ["own", "theirs"]) {
      const k = t.names.partition("orders", group);
      expect(model.streams.map((s) => s.key)).toEqual(expect.arrayContaining([k.stream, k.retry]));
      expect(model.lazyKeys.map((l) => l.key)).toEqual(expect.arrayContaining([k.delayed, k.dlq]));
    }
    expect(model.topics).toEqual([{ key: t.names.meta("orders"), topic: "orders", partitions: 1 }]);
    await t.close();
    // The exported script creates mqa's retry group of `theirs`, never `theirs` on the owner's stream.
    const script = redisScript(model);
    expect(script).toContain(` 1 ${key} own auto`);
    expect(script).not.toContain(` 1 ${key} theirs`);
    expect(script).toContain(`:retry:theirs theirs 0`);

    const plan = await planTopology(spec, REDIS_URL);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      "create partitions orders",
      `create stream ${key}`,
      `replace existing group ${key} theirs`,
      `create retry stream ${prefix}:{${key}}:key:${key}:retry:own`,
      `create retry stream ${prefix}:{${key}}:key:${key}:retry:theirs`,
    ]);
    expect(plan.changes[2]!.migration!.join(" ")).toContain(`XGROUP CREATE ${key} theirs $ MKSTREAM`);
    const applied = await applyTopology(spec, REDIS_URL, { rollbackFile: join(dir, "rollback.json") });
    expect(applied.skipped.map((c) => c.kind)).toEqual(["existing group"]);
    const groups = async (): Promise<string[]> =>
      ((await raw.client.xinfo("GROUPS", key)) as unknown[][]).map((g) => String(g[1])).sort();
    expect(await groups()).toEqual(["own"]);

    // The owner creates its group, and has one mqa does not know: the plan is clean, nothing to prune.
    await raw.client.xgroup("CREATE", key, "theirs", "$");
    await raw.client.xgroup("CREATE", key, "analytics", "$");
    const after = await planTopology(spec, REDIS_URL);
    expect(after.changes).toEqual([]);
    const pruned = await applyTopology(spec, REDIS_URL, {
      prune: true,
      rollbackFile: join(dir, "prune.json"),
    });
    expect(pruned.applied).toEqual([]);
    expect(await groups()).toEqual(["analytics", "own", "theirs"]);
  });
});
