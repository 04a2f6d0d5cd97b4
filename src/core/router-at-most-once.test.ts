/**
 * Issue 15: `delivery: "at-most-once"` settles before handling and never retries. On memory, RabbitMQ and
 * Redis: a throwing handler's message is handled once, dropped (counted), never dead-lettered, and not
 * waiting anywhere on the broker afterwards; a redelivered copy is dropped unhandled.
 */
import amqplib from "amqplib";
import { afterAll, describe, expect, it } from "vitest";
import type { Message } from "./message.js";
import { Router } from "./router.js";
import type { Transport } from "./transport.js";
import { deadLetter } from "../middleware/dead-letter.js";
import { retry } from "../middleware/retry.js";
import { waitFor } from "../testing/mod.js";
import { MemoryBroker, MemoryTransport } from "../transports/memory/mod.js";
import { createAmqpTransport } from "../transports/amqp/mod.js";
import { transportFactory } from "../../test/redis-helpers.js";
import { AMQP_URL, testTopics } from "../../test/support/amqp.js";

const redis = transportFactory();
const amqpTopic = testTopics("atmostonce", ["g"]);
const amqps: Transport[] = [];
afterAll(async () => {
  await redis.cleanup();
  await Promise.all(amqps.map((t) => t.close({ timeoutMs: 2000 }).catch(() => t.abort())));
});

interface Case {
  name: string;
  open(): Promise<{ transport: Transport; topic: string }>;
  /** Messages of the group still on the broker (ready, unacked, pending or delayed) once consumers left. */
  leftOnBroker(transport: Transport, topic: string): Promise<number>;
}

const cases: Case[] = [
  {
    name: "memory",
    async open() {
      const broker = new MemoryBroker();
      return { transport: new MemoryTransport({ broker }), topic: "amo" };
    },
    async leftOnBroker(transport, topic) {
      const q = (transport as MemoryTransport & { broker?: MemoryBroker }).broker?.group(topic, "g");
      const d = q?.depth ?? { ready: 0, unacked: 0, delayed: 0 };
      if (q === undefined) throw new Error("no memory queue to inspect");
      return d.ready + d.unacked + d.delayed;
    },
  },
  {
    name: "amqp",
    async open() {
      const t = createAmqpTransport({ url: AMQP_URL });
      amqps.push(t);
      return { transport: t, topic: amqpTopic() };
    },
    async leftOnBroker(_t, topic) {
      const c = await amqplib.connect(AMQP_URL);
      try {
        const ch = await c.createChannel();
        const q = await ch.checkQueue(`${topic}.g`);
        return q.messageCount + q.consumerCount;
      } finally {
        await c.close();
      }
    },
  },
  {
    name: "redis",
    async open() {
      return { transport: redis.create(), topic: `amo-${Math.random().toString(36).slice(2, 8)}` };
    },
    async leftOnBroker(transport, topic) {
      const parts = await (transport as ReturnType<typeof redis.create>).inspect(topic, "g");
      return parts.reduce((n, p) => n + p.pending + (p.lag ?? 0), 0);
    },
  },
];

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe.each(cases)("at-most-once on $name", (c) => {
  it(
    "drops a throwing handler's message: handled once, never retried nor dead-lettered",
    { timeout: 30_000 },
    async () => {
      const { transport, topic } = await c.open();
      const handled: string[] = [];
      const dropped: { id: string; redelivered: boolean; error: boolean }[] = [];
      const router = new Router(transport, {
        // The usual stack: with at-most-once it has nothing to retry or dead-letter.
        middleware: [deadLetter(), retry({ attempts: 5, baseMs: 1, maxMs: 1 })],
      });
      router.handle({
        topic,
        group: "g",
        prefetch: 1,
        delivery: "at-most-once",
        contentType: "text/plain",
        onDropped: (m: Message, why) =>
          dropped.push({ id: m.id, redelivered: why.redelivered === true, error: why.error !== undefined }),
        handler: async (_p, ctx) => {
          handled.push(`${ctx.message.id}#${ctx.message.attempt}`);
          if (ctx.message.id === "boom") throw new Error("handler fails");
        },
      });
      await router.start();
      await transport.publish(topic, { id: "boom", payload: bytes("x") });
      await transport.publish(topic, { id: "again", payload: bytes("x"), headers: { "x-mqa-attempt": "2" } });
      await transport.publish(topic, { id: "marker", payload: bytes("x") });
      await waitFor(() => handled.includes("marker#1"), 20_000, "the marker handled");
      await router.stop({ timeoutMs: 5000 });
      await waitFor(
        async () => (await c.leftOnBroker(transport, topic)) === 0,
        10_000,
        "nothing left on the broker",
      );
      expect(handled).toEqual(["boom#1", "marker#1"]);
      expect(dropped).toEqual([
        { id: "boom", redelivered: false, error: true },
        { id: "again", redelivered: true, error: false },
      ]);
      expect(await transport.readDeadLetters(topic, "g")).toEqual([]);
      await transport.close({ timeoutMs: 2000 });
    },
  );
});

describe("at-most-once options", () => {
  it("rejects an unknown delivery mode", () => {
    const router = new Router(new MemoryTransport({ broker: new MemoryBroker() }));
    expect(() =>
      router.handle({ topic: "t", group: "g", delivery: "exactly-once" as never, handler: () => undefined }),
    ).toThrow(/delivery/);
  });
});
