/**
 * RabbitMQ partitions (the `partitions` option) on the shared broker: a key's messages land on the partition
 * queue its hash names, one consumer of the group is active per partition while another stands by, a dead
 * letter is redriven back to its key's partition, and a publisher with a larger count is refused, not lost.
 */
import { afterAll, describe, expect, it } from "vitest";
import { partitionForKey } from "../src/core/partition-key.js";
import { MqaError } from "../src/core/errors.js";
import { waitFor } from "../src/testing/mod.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL } from "./support/amqp.js";
import { uniqueName } from "./redis-helpers.js";

const N = 4;
const made: string[] = [];
afterAll(async () => {
  const { default: amqp } = await import("amqplib");
  const c = await amqp.connect(AMQP_URL);
  const ch = await c.createChannel();
  for (const topic of made) {
    for (let p = 0; p < N; p++) await ch.deleteQueue(`${topic}.g.p${p}`);
    await ch.deleteQueue(`${topic}.g.dlq`);
    await ch.deleteExchange(topic);
  }
  await c.close();
});

function topicName(): string {
  const t = uniqueName("amqp-partitions");
  made.push(t);
  return t;
}

async function queueDepth(queue: string): Promise<number> {
  const { default: amqp } = await import("amqplib");
  const c = await amqp.connect(AMQP_URL);
  try {
    const ch = await c.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await c.close();
  }
}

const body = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("RabbitMQ partitions", () => {
  it("routes each key to the partition queue FNV-1a(key) mod N names", async () => {
    const topic = topicName();
    const t = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    try {
      await t.declare({ topic, group: "g" });
      const keys = Array.from({ length: 20 }, (_, i) => `customer-${i}`);
      for (const key of keys) await t.publish(topic, { key, payload: body(key) });
      const expected = Array.from(
        { length: N },
        (_, p) => keys.filter((k) => partitionForKey(k, N) === p).length,
      );
      await waitFor(
        async () =>
          (await Promise.all(expected.map((_, p) => queueDepth(`${topic}.g.p${p}`)))).join() ===
          expected.join(),
        10_000,
        "every key on its partition",
      );
      expect(expected.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await t.close();
    }
  });

  it("delivers a partition to one consumer at a time; the standby takes over when it leaves", async () => {
    const topic = topicName();
    const a = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    const b = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    const seen: string[] = [];
    try {
      const subA = await a.subscribe(topic, "g", async (d) => {
        seen.push(`a:${text(d.message.payload)}`);
        await d.ack();
      });
      await b.subscribe(topic, "g", async (d) => {
        seen.push(`b:${text(d.message.payload)}`);
        await d.ack();
      });
      for (let i = 0; i < 20; i++) await a.publish(topic, { key: `k${i}`, payload: body(`1-${i}`) });
      await waitFor(() => seen.length === 20, 10_000, "the first 20");
      expect(new Set(seen.map((s) => s.split(":")[0]))).toEqual(new Set(["a"])); // b stands by
      await subA.close();
      for (let i = 0; i < 20; i++) await b.publish(topic, { key: `k${i}`, payload: body(`2-${i}`) });
      await waitFor(() => seen.length === 40, 10_000, "the next 20");
      expect(new Set(seen.slice(20).map((s) => s.split(":")[0]))).toEqual(new Set(["b"]));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("dead-letters every partition into one DLQ and redrives a message to its key's partition", async () => {
    const topic = topicName();
    const t = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    try {
      await t.declare({ topic, group: "g" });
      const key = "customer-7";
      const sub = await t.subscribe(topic, "g", (d) => d.deadLetter({ reason: "unrecoverable" }));
      await t.publish(topic, { key, payload: body("x") });
      await waitFor(
        async () => (await t.countDeadLetters(topic, "g")).count === 1,
        10_000,
        "the dead letter",
      );
      await sub.close();
      const result = await t.walkDeadLetters(topic, "g", (entry) => ({
        action: "redrive",
        topic,
        group: "g",
        message: { id: entry.message.id, key: entry.message.key, payload: entry.message.payload },
      }));
      expect(result.redriven).toBe(1);
      await waitFor(
        async () => (await queueDepth(`${topic}.g.p${partitionForKey(key, N)}`)) === 1,
        10_000,
        "the redriven message on its partition",
      );
    } finally {
      await t.close();
    }
  });

  it("refuses a publish routed to a partition that does not exist (a larger count), never drops it", async () => {
    const topic = topicName();
    const right = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    const wrong = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: 64 } });
    try {
      await right.declare({ topic, group: "g" });
      const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => partitionForKey(k, 64) >= N)!;
      const err = await wrong.publish(topic, { key, payload: body("x") }).catch((e: unknown) => e);
      expect(MqaError.is(err, "unroutable")).toBe(true);
    } finally {
      await right.close();
      await wrong.close();
    }
  });
});
