/**
 * Dead-letter tooling (issue 11) on every transport with dead-letter queues: memory, Redis and RabbitMQ, the
 * real brokers. Each test fills a DLQ of its own (unique names) with three causes and removes it afterwards.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  hasDeadLetterQueues,
  RedriveHeaders,
  type DeadLetterQueues,
} from "../src/core/dead-letter-queues.js";
import { Headers } from "../src/core/message.js";
import type { DeadLetter, Delivery, Transport } from "../src/core/transport.js";
import {
  browseDeadLetters,
  deadLetterStats,
  exportDeadLetters,
  historyOf,
  importDeadLetters,
  purgeDeadLetters,
  redriveDeadLetters,
} from "../src/dlq/mod.js";
import { MemoryBroker, MemoryTransport } from "../src/transports/memory/mod.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { waitFor } from "../src/testing/mod.js";
import { transportFactory } from "./redis-helpers.js";
import { AMQP_URL, testTopics } from "./support/amqp.js";

type DlqTransport = Transport & DeadLetterQueues;

const GROUPS = ["g", "other"] as const;
const amqpTopic = testTopics("dlq", GROUPS);
const redis = transportFactory();
afterAll(() => redis.cleanup());

interface Setup {
  readonly name: string;
  make(): { transport: DlqTransport; topic: string };
}

const setups: Setup[] = [
  {
    name: "memory",
    make: () => ({ transport: new MemoryTransport({ broker: new MemoryBroker() }), topic: "orders" }),
  },
  {
    name: "redis",
    make: () => ({ transport: redis.create(), topic: `orders-${Math.random().toString(36).slice(2, 8)}` }),
  },
  {
    name: "amqp",
    make: () => ({ transport: createAmqpTransport({ url: AMQP_URL }), topic: amqpTopic() }),
  },
];

/** The three causes: 2 invalid payloads, 2 timeouts, 1 binary payload that hits a type error. */
const CAUSES = [
  { id: "inv-1", cause: "invalid" },
  { id: "inv-2", cause: "invalid" },
  { id: "tmo-1", cause: "timeout" },
  { id: "tmo-2", cause: "timeout" },
  { id: "typ-1", cause: "type" },
] as const;

function payloadOf(cause: string): Uint8Array {
  // The type-error one is binary (not UTF-8), so the round trip is checked byte for byte.
  return cause === "type"
    ? new Uint8Array([0xff, 0x00, 0xfe, 0x80, 0x7f])
    : new TextEncoder().encode(JSON.stringify({ cause }));
}

/** Dead-letter a delivery the way the failing handler did. */
async function fail(d: Delivery): Promise<void> {
  const cause = d.message.headers["cause"];
  if (cause === "invalid")
    return d.deadLetter({
      reason: "invalid-payload",
      error: { name: "ZodError", message: "amount: expected a decimal" },
    });
  if (cause === "timeout")
    return d.deadLetter({
      reason: "max-attempts",
      error: { name: "TimeoutError", message: "payment service timeout after 5000 ms" },
    });
  return d.deadLetter({
    reason: "unrecoverable",
    error: {
      name: "TypeError",
      message: "cannot read 'total' of undefined",
      stack: "TypeError: x\n    at a\n    at b",
    },
  });
}

/** Fill `group`'s DLQ with the five messages of {@link CAUSES} and return once all are dead-lettered. */
async function fill(t: DlqTransport, topic: string, group = "g"): Promise<void> {
  for (const g of GROUPS) await t.declare({ topic, group: g });
  let done = 0;
  const sub = await t.subscribe(topic, group, async (d) => {
    await fail(d);
    done++;
  });
  for (const c of CAUSES)
    await t.publish(topic, {
      id: c.id,
      key: `k-${c.id}`,
      payload: payloadOf(c.cause),
      contentType: c.cause === "type" ? "application/octet-stream" : "application/json",
      headers: { cause: c.cause, tenant: c.cause === "timeout" ? "eu" : "us" },
      correlationId: `corr-${c.id}`,
    });
  await waitFor(() => done === CAUSES.length, 10_000);
  await sub.close();
}

const open: DlqTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 2000 }).catch(() => t.abort())));
});

describe.each(setups)("dead-letter tooling on $name", (setup) => {
  function start(): { t: DlqTransport; topic: string } {
    const { transport, topic } = setup.make();
    expect(hasDeadLetterQueues(transport)).toBe(true);
    open.push(transport);
    return { t: transport, topic };
  }

  it("groups three causes by reason and by error, and counts them with their ages", async () => {
    const { t, topic } = start();
    await fill(t, topic);
    const stats = deadLetterStats(await browseDeadLetters(t, topic, "g"));
    expect(stats.total).toBe(5);
    expect(stats.byReason.map((g) => [g.key, g.count])).toEqual([
      ["invalid-payload", 2],
      ["max-attempts", 2],
      ["unrecoverable", 1],
    ]);
    expect(stats.byError.map((g) => [g.key, g.count])).toEqual([
      ["TimeoutError: payment service timeout after 5000 ms", 2],
      ["ZodError: amount: expected a decimal", 2],
      ["TypeError: cannot read 'total' of undefined", 1],
    ]);
    const count = await t.countDeadLetters(topic, "g");
    expect(count.count).toBe(5);
    expect(count.oldestAt).toBeLessThanOrEqual(count.newestAt!);
  });

  it("reading the DLQ 100 times changes nothing", async () => {
    const { t, topic } = start();
    await fill(t, topic);
    const snapshot = async () =>
      (await browseDeadLetters(t, topic, "g"))
        .map((e) => ({
          id: e.message.id,
          headers: e.headers,
          payload: [...e.message.payload],
          attempt: e.message.attempt,
          reason: e.reason,
          redeliveries: e.brokerRedeliveries,
        }))
        .sort((a, b) => a.id.localeCompare(b.id));
    const before = await snapshot();
    expect(before).toHaveLength(5);
    for (let i = 0; i < 100; i++) await browseDeadLetters(t, topic, "g");
    const after = await snapshot();
    expect(after).toEqual(before);
    // No delivery count anywhere (RabbitMQ would add x-delivery-count to a handed-back message).
    for (const e of after) {
      expect(e.headers["x-delivery-count"]).toBeUndefined();
      expect(e.redeliveries).toBe(0);
    }
    // And in queue order: a full walk re-queues every kept copy in the order it found them.
    expect((await browseDeadLetters(t, topic, "g")).map((e) => e.message.id)).toEqual(
      CAUSES.map((c) => c.id),
    );
  });

  it("readDeadLetters 20 times changes nothing: same order, attempts, headers, no broker delivery count", async () => {
    const { t, topic } = start();
    await fill(t, topic);
    const shape = (letters: DeadLetter[]) =>
      letters.map((l) => ({
        id: l.message.id,
        attempt: l.message.attempt,
        reason: l.reason,
        headers: l.headers,
        payload: [...l.message.payload],
      }));
    const first = await t.readDeadLetters(topic, "g");
    expect(first.map((l) => l.message.id)).toEqual(CAUSES.map((c) => c.id));
    for (let i = 0; i < 19; i++) await t.readDeadLetters(topic, "g");
    expect(shape(await t.readDeadLetters(topic, "g"))).toEqual(shape(first));
    // A limit returns the oldest ones and still keeps every dead letter, in order.
    expect((await t.readDeadLetters(topic, "g", 2)).map((l) => l.message.id)).toEqual(["inv-1", "inv-2"]);
    const after = await browseDeadLetters(t, topic, "g");
    expect(after.map((e) => e.message.id)).toEqual(CAUSES.map((c) => c.id));
    // The broker's own count as the walk fetched them (RabbitMQ: x-delivery-count before it is stripped).
    expect(after.map((e) => e.brokerRedeliveries)).toEqual(CAUSES.map(() => 0));
  });

  it("a group that does not exist is not-found, never an empty DLQ; a declared empty one counts 0", async () => {
    const { t, topic } = start();
    await t.declare({ topic, group: "g" });
    expect(await t.countDeadLetters(topic, "g")).toEqual({ count: 0 });
    expect(await browseDeadLetters(t, topic, "g")).toEqual([]);
    const missingTopic = `${topic}-missing`;
    for (const [tp, g] of [
      [topic, "nobody"],
      [missingTopic, "g"],
    ] as const) {
      const notFound = {
        code: "not-found",
        message: expect.stringContaining(`group '${g}' of topic '${tp}' does not exist`),
      };
      await expect(t.countDeadLetters(tp, g)).rejects.toMatchObject(notFound);
      await expect(t.walkDeadLetters(tp, g, () => ({ action: "keep" }))).rejects.toMatchObject(notFound);
      await expect(t.appendDeadLetter(tp, g, { payload: new Uint8Array([1]) })).rejects.toMatchObject(
        notFound,
      );
    }
  });

  it("redrives one cause: exactly those reach the fixed handler, with the same id and a fresh attempt", async () => {
    const { t, topic } = start();
    await fill(t, topic);
    const dry = await redriveDeadLetters(t, {
      topic,
      group: "g",
      filter: { reasons: ["invalid-payload"] },
      dryRun: true,
    });
    expect(dry).toMatchObject({ matched: 2, redriven: 0, dryRun: true });
    expect((await t.countDeadLetters(topic, "g")).count).toBe(5);

    const got: Delivery["message"][] = [];
    const sub = await t.subscribe(topic, "g", async (d) => {
      got.push(d.message);
      await d.ack();
    });
    const summary = await redriveDeadLetters(t, {
      topic,
      group: "g",
      filter: { reasons: ["invalid-payload"] },
      ratePerSecond: 1000,
    });
    expect(summary).toMatchObject({ matched: 2, redriven: 2, kept: 3, aborted: false });
    await waitFor(() => got.length >= 2, 10_000);
    // The other group never sees a redrive to `g`; the DLQ keeps the other three.
    expect(got.map((m) => m.id).sort()).toEqual(["inv-1", "inv-2"]);
    for (const m of got) {
      expect(m.attempt).toBe(1);
      expect(m.headers[RedriveHeaders.count]).toBe("1");
      expect(m.headers[RedriveHeaders.filter]).toBe("reason=invalid-payload");
      expect(m.headers[Headers.deadLetterReason]).toBeUndefined();
      expect(m.headers["cause"]).toBe("invalid");
      expect(m.correlationId).toBe(`corr-${m.id}`);
      expect(historyOf(m.headers)).toMatchObject([
        { reason: "invalid-payload", error: { name: "ZodError" } },
      ]);
    }
    const left = await browseDeadLetters(t, topic, "g");
    expect(left.map((e) => e.message.id).sort()).toEqual(["tmo-1", "tmo-2", "typ-1"]);
    await sub.close();
    // A second run finds nothing left to do.
    expect(
      await redriveDeadLetters(t, { topic, group: "g", filter: { reasons: ["invalid-payload"] } }),
    ).toMatchObject({ matched: 0 });
    expect(got).toHaveLength(2);
  });

  it("a redriven message that fails again is back in the DLQ with its attempts and redrive history", async () => {
    const { t, topic } = start();
    await fill(t, topic);
    let failed = 0;
    const sub = await t.subscribe(topic, "g", async (d) => {
      await d.deadLetter({ reason: "handler-error", error: { name: "Error", message: "still broken" } });
      failed++;
    });
    const summary = await redriveDeadLetters(t, { topic, group: "g", filter: { ids: ["typ-1"] } });
    expect(summary.redriven).toBe(1);
    await waitFor(() => failed === 1, 10_000);
    await sub.close();
    const back = (await browseDeadLetters(t, topic, "g", { filter: { ids: ["typ-1"] } }))[0]!;
    expect(back.reason).toBe("handler-error");
    expect(back.message.attempt).toBe(1);
    expect(back.headers[RedriveHeaders.count]).toBe("1");
    expect(historyOf(back.headers)).toMatchObject([
      {
        reason: "unrecoverable",
        attempts: 1,
        error: { name: "TypeError", message: "cannot read 'total' of undefined" },
      },
    ]);
    expect([...back.message.payload]).toEqual([...payloadOf("type")]);
    expect((await t.countDeadLetters(topic, "g")).count).toBe(5);
  });

  it("purge with a filter removes only what matches", async () => {
    const { t, topic } = start();
    await fill(t, topic);
    const dry = await purgeDeadLetters(t, topic, "g", { filter: { errorText: "TIMEOUT" }, dryRun: true });
    expect(dry).toMatchObject({ matched: 2, removed: 0 });
    const done = await purgeDeadLetters(t, topic, "g", {
      filter: { errorText: "TIMEOUT", headers: { tenant: "eu" } },
    });
    expect(done).toMatchObject({ matched: 2, removed: 2, kept: 3 });
    expect((await browseDeadLetters(t, topic, "g")).map((e) => e.message.id).sort()).toEqual([
      "inv-1",
      "inv-2",
      "typ-1",
    ]);
  });

  it("export then import round-trips payload bytes, headers and ids exactly", async () => {
    const { t, topic } = start();
    await fill(t, topic);
    const lines: string[] = [];
    expect(await exportDeadLetters(t, topic, "g", (l) => void lines.push(l))).toMatchObject({ exported: 5 });
    expect((await t.countDeadLetters(topic, "g")).count).toBe(5); // exporting changes nothing
    expect(await importDeadLetters(t, lines, { topic, group: "other" })).toEqual({ imported: 5 });
    const original = await browseDeadLetters(t, topic, "g");
    const imported = await browseDeadLetters(t, topic, "other");
    const shape = (e: (typeof original)[number]) => ({
      id: e.message.id,
      payload: Buffer.from(e.message.payload).toString("hex"),
      headers: e.headers,
      key: e.message.key,
      contentType: e.message.contentType,
      correlationId: e.message.correlationId,
      timestamp: e.message.timestamp,
      reason: e.reason,
      attempt: e.message.attempt,
    });
    expect(imported.map(shape)).toEqual(original.map(shape));
  });
});

describe("dead-letter tooling on a partitioned Redis topic", () => {
  it("opened without its partitions: says how many it has instead of not-found", async () => {
    const topic = `parts-${Math.random().toString(36).slice(2, 8)}`;
    const partitioned = redis.create({ topics: { [topic]: { partitions: 3 } } });
    await partitioned.declare({ topic, group: "g" });
    expect(await partitioned.countDeadLetters(topic, "g")).toEqual({ count: 0 });
    const unaware = redis.create();
    await expect(unaware.countDeadLetters(topic, "g")).rejects.toMatchObject({
      code: "invalid-options",
      message: expect.stringContaining(`topic '${topic}' has 3 partitions`) as string,
    });
  });
});
