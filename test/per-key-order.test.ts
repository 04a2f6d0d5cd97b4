/**
 * Per-key serialized handling (`Route.order: "per-key"`) on every transport, with the real brokers: handlers of
 * one key never overlap and start in delivery order, while different keys run side by side up to the prefetch.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Transport } from "../src/core/transport.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL, testTopics } from "./support/amqp.js";
import { memoryTransport, topicName } from "./support/memory.js";
import { inOrder, observePerKey } from "./support/per-key.js";
import { transportFactory } from "./redis-helpers.js";

const KEYS = 8;
const PER_KEY = 25;

function expectPerKeyOrder(o: Awaited<ReturnType<typeof observePerKey>>): void {
  expect(o.maxPerKey).toBe(1);
  expect(o.maxOverall).toBeGreaterThan(1);
  expect(o.sequences.size).toBe(KEYS);
  for (const seq of o.sequences.values()) expect(seq).toEqual(inOrder(PER_KEY));
}

describe("per-key handling on memory://", () => {
  it("never overlaps one key's handlers, keeps each key's order, runs keys side by side", async () => {
    const t = await memoryTransport();
    const o = await observePerKey(t, {
      topic: topicName("perkey"),
      group: "g",
      keys: KEYS,
      perKey: PER_KEY,
      prefetch: 16,
      order: "per-key",
    });
    expectPerKeyOrder(o);
    await t.close();
  });

  it("without it, the same run overlaps one key's handlers (what the option prevents)", async () => {
    const t = await memoryTransport();
    const o = await observePerKey(t, {
      topic: topicName("perkey-off"),
      group: "g",
      keys: KEYS,
      perKey: PER_KEY,
      prefetch: 16,
      order: "none",
    });
    expect(o.maxPerKey).toBeGreaterThan(1);
    await t.close();
  });
});

describe("per-key handling on Redis Streams", () => {
  const redis = transportFactory();
  afterAll(() => redis.cleanup());

  it("never overlaps one key's handlers, keeps each key's order, runs keys side by side", async () => {
    const t: Transport = redis.create();
    await t.connect();
    const o = await observePerKey(t, {
      topic: "perkey",
      group: "g",
      keys: KEYS,
      perKey: PER_KEY,
      prefetch: 16,
      order: "per-key",
    });
    expectPerKeyOrder(o);
  });
});

describe("per-key handling on RabbitMQ", () => {
  const topic = testTopics("perkey");

  it("never overlaps one key's handlers, keeps each key's order, runs keys side by side", async () => {
    const t = createAmqpTransport({ url: AMQP_URL });
    try {
      await t.connect();
      const o = await observePerKey(t, {
        topic: topic(),
        group: "g",
        keys: KEYS,
        perKey: PER_KEY,
        prefetch: 16,
        order: "per-key",
      });
      expectPerKeyOrder(o);
    } finally {
      await t.close();
    }
  });
});
