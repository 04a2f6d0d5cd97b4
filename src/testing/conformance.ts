/**
 * The universal conformance suite: one set of behaviours every transport must show, run against the
 * in-memory broker, RabbitMQ and Redis Streams alike. Tests branch on `transport.features`, never on a
 * transport's name. Call it inside a Vitest test file:
 *
 * ```ts
 * describeTransportConformance({ name: "amqp", create: () => createAmqpTransport({ url }) });
 * ```
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Router } from "../core/router.js";
import { Headers } from "../core/message.js";
import type { Message } from "../core/message.js";
import type { Delivery, Transport } from "../core/transport.js";
import { deadLetter } from "../middleware/dead-letter.js";
import { retry } from "../middleware/retry.js";
import { waitFor } from "./wait.js";

export interface ConformanceTarget {
  /** Shown in test names. */
  name: string;
  /**
   * A new transport with its own connections, as a separate process would have. Transports made by
   * one target must share the broker. The suite connects and closes them.
   */
  create(): Promise<Transport> | Transport;
  /** How long to wait for something the broker must do (redelivery after a lost consumer, ...). @defaultValue 15000 */
  patienceMs?: number;
  /**
   * Called once at the end with every topic and group the suite declared, so a shared broker does not
   * pile up test queues run after run (hundreds of leftover quorum queues can exhaust RabbitMQ's file
   * handles and stall it).
   */
  cleanup?(declared: Array<{ topic: string; groups: string[] }>): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));

/** Register the conformance tests for one transport. */
export function describeTransportConformance(target: ConformanceTarget): void {
  const patience = target.patienceMs ?? 15_000;
  const open: Transport[] = [];
  const unique = (what: string): string => `conf.${target.name}.${what}.${randomUUID().slice(0, 8)}`;

  const declared = new Map<string, Set<string>>();
  const record = (topic: string, group: string): void => {
    const groups = declared.get(topic) ?? new Set<string>();
    groups.add(group);
    declared.set(topic, groups);
  };

  async function transport(): Promise<Transport> {
    const t = await target.create();
    // Record every declaration (direct or through a Router) for the target's cleanup.
    const declare = t.declare.bind(t);
    const subscribe = t.subscribe.bind(t);
    t.declare = (d) => (record(d.topic, d.group), declare(d));
    t.subscribe = (topic, group, handler, options) => (
      record(topic, group),
      subscribe(topic, group, handler, options)
    );
    open.push(t);
    await t.connect();
    return t;
  }

  afterAll(async () => {
    await Promise.all(open.map((t) => t.close({ timeoutMs: 2000 }).catch(() => undefined)));
    await target.cleanup?.([...declared].map(([topic, groups]) => ({ topic, groups: [...groups] })));
  });

  describe(`transport conformance: ${target.name}`, () => {
    it("delivers payload bytes, headers, key and ids intact", async () => {
      const t = await transport();
      const topic = unique("intact");
      await t.declare({ topic, group: "g" });
      const got: Message[] = [];
      await t.subscribe(topic, "g", async (d) => {
        got.push(d.message);
        await d.ack();
      });
      const payload = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
      const receipt = await t.publish(topic, {
        id: "m-1",
        key: "k-1",
        payload,
        contentType: "application/octet-stream",
        headers: { "x-tenant": "acme", "x-unicode": "zürich ✓" },
        correlationId: "corr-1",
        causationId: "cause-1",
        timestamp: 1_700_000_000_000,
      });
      expect(receipt.id).toBe("m-1");
      await waitFor(() => got.length === 1, patience, "the message");
      const m = got[0] as Message;
      expect(Array.from(m.payload)).toEqual(Array.from(payload));
      expect(m.id).toBe("m-1");
      expect(m.topic).toBe(topic);
      expect(m.key).toBe("k-1");
      expect(m.contentType).toBe("application/octet-stream");
      expect(m.headers["x-tenant"]).toBe("acme");
      expect(m.headers["x-unicode"]).toBe("zürich ✓");
      expect(m.correlationId).toBe("corr-1");
      expect(m.causationId).toBe("cause-1");
      expect(m.timestamp).toBe(1_700_000_000_000);
      expect(m.attempt).toBe(1);
    });

    it("competing consumers in one group get each message once", async () => {
      const t1 = await transport();
      const t2 = await transport();
      const topic = unique("compete");
      await t1.declare({ topic, group: "workers" });
      const seen: Array<{ consumer: number; id: string }> = [];
      const handler = (consumer: number) => async (d: Delivery) => {
        seen.push({ consumer, id: d.message.id });
        await new Promise((r) => setTimeout(r, 2));
        await d.ack();
      };
      await t1.subscribe(topic, "workers", handler(1), { prefetch: 5 });
      await t2.subscribe(topic, "workers", handler(2), { prefetch: 5 });
      const n = 60;
      await Promise.all(
        Array.from({ length: n }, (_, i) => t1.publish(topic, { id: `c-${i}`, payload: json(i) })),
      );
      await waitFor(() => seen.length >= n, patience, `${n} deliveries`);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen.length).toBe(n);
      expect(new Set(seen.map((s) => s.id)).size).toBe(n);
      expect(new Set(seen.map((s) => s.consumer)).size).toBe(2);
    });

    it("every group gets every message", async () => {
      const t = await transport();
      const topic = unique("groups");
      await t.declare({ topic, group: "billing" });
      await t.declare({ topic, group: "audit" });
      const got: Record<string, string[]> = { billing: [], audit: [] };
      for (const group of ["billing", "audit"]) {
        await t.subscribe(topic, group, async (d) => {
          got[group]?.push(d.message.id);
          await d.ack();
        });
      }
      const n = 20;
      for (let i = 0; i < n; i++) await t.publish(topic, { id: `g-${i}`, payload: json(i) });
      await waitFor(
        () => got["billing"]?.length === n && got["audit"]?.length === n,
        patience,
        "both groups",
      );
      expect(new Set(got["billing"]).size).toBe(n);
      expect(new Set(got["audit"]).size).toBe(n);
    });

    it("retry() redelivers the message with the attempt counted", async () => {
      const t = await transport();
      const topic = unique("retry");
      await t.declare({ topic, group: "g" });
      const attempts: number[] = [];
      await t.subscribe(topic, "g", async (d) => {
        attempts.push(d.message.attempt);
        if (d.message.attempt < 3) await d.retry({ delayMs: 0 });
        else await d.ack();
      });
      await t.publish(topic, { payload: json("again") });
      await waitFor(() => attempts.length === 3, patience, "three attempts");
      expect(attempts).toEqual([1, 2, 3]);
    });

    it("retry() with a delay is not delivered before its time", async () => {
      const t = await transport();
      const topic = unique("delay");
      await t.declare({ topic, group: "g" });
      const times: number[] = [];
      let retriedAt = 0;
      const delayMs = 600;
      await t.subscribe(topic, "g", async (d) => {
        times.push(Date.now());
        if (d.message.attempt === 1) {
          retriedAt = Date.now();
          await d.retry({ delayMs });
        } else await d.ack();
      });
      await t.publish(topic, { payload: json("later") });
      await waitFor(() => times.length === 2, patience + delayMs, "the delayed redelivery");
      // Timer resolution may round a few ms; a redelivery before (delay - 5 ms) would be early.
      expect((times[1] as number) - retriedAt).toBeGreaterThanOrEqual(delayMs - 5);
    });

    it("a consumer lost without acking: its message goes to another consumer", async (ctx) => {
      const lost = await transport();
      if (!lost.features.redeliversOnConsumerLoss) ctx.skip();
      const topic = unique("lost");
      await lost.declare({ topic, group: "g" });
      let held = 0;
      await lost.subscribe(topic, "g", async () => {
        held++;
        await new Promise(() => undefined); // hangs forever, never settles
      });
      await lost.publish(topic, { id: "held-1", payload: json("x") });
      await waitFor(() => held === 1, patience, "the first consumer to hold the message");
      await lost.abort();
      const other = await transport();
      const got: Message[] = [];
      await other.subscribe(topic, "g", async (d) => {
        got.push(d.message);
        await d.ack();
      });
      await waitFor(() => got.length === 1, patience, "redelivery to the second consumer");
      expect(got[0]?.id).toBe("held-1");
      expect(got[0]?.attempt).toBeGreaterThanOrEqual(2);
    });

    it("a subscription closed with a stuck handler returns its message, not loses it", async () => {
      const t = await transport();
      const topic = unique("closed");
      await t.declare({ topic, group: "g" });
      let held = 0;
      const sub = await t.subscribe(topic, "g", async () => {
        held++;
        await new Promise(() => undefined);
      });
      await t.publish(topic, { id: "stuck-1", payload: json("x") });
      await waitFor(() => held === 1, patience, "the message to be held");
      await sub.close({ timeoutMs: 100 });
      const got: string[] = [];
      const t2 = await transport();
      await t2.subscribe(topic, "g", async (d) => {
        got.push(d.message.id);
        await d.ack();
      });
      await waitFor(() => got.length === 1, patience, "redelivery after close");
      expect(got).toEqual(["stuck-1"]);
    });

    it("nothing is lost across subscriber restarts", async () => {
      const pub = await transport();
      const topic = unique("restarts");
      await pub.declare({ topic, group: "g" });
      const got = new Set<string>();
      const n = 100;
      const publishing = (async () => {
        for (let i = 0; i < n; i++) {
          await pub.publish(topic, { id: `r-${i}`, payload: json(i) });
          if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      for (let round = 0; round < 4; round++) {
        const t = await transport();
        const sub = await t.subscribe(
          topic,
          "g",
          async (d) => {
            got.add(d.message.id);
            await d.ack();
          },
          { prefetch: 3 },
        );
        await new Promise((r) => setTimeout(r, 40));
        await sub.close({ timeoutMs: 1000 });
        await t.close({ timeoutMs: 1000 });
      }
      await publishing;
      const last = await transport();
      await last.subscribe(topic, "g", async (d) => {
        got.add(d.message.id);
        await d.ack();
      });
      await waitFor(() => got.size === n, patience, `all ${n} messages`);
      expect(got.size).toBe(n);
    });

    it("closing a publisher with publishes in flight loses nothing", async () => {
      const consumer = await transport();
      const topic = unique("pubclose");
      await consumer.declare({ topic, group: "g" });
      const got = new Set<string>();
      await consumer.subscribe(topic, "g", async (d) => {
        got.add(d.message.id);
        await d.ack();
      });
      const pub = await transport();
      const n = 200;
      const pending = Array.from({ length: n }, (_, i) =>
        pub.publish(topic, { id: `p-${i}`, payload: json(i) }),
      );
      await pub.close();
      const results = await Promise.allSettled(pending);
      const confirmed = results.filter((r) => r.status === "fulfilled").length;
      expect(confirmed).toBe(n); // a graceful close lets in-flight publishes finish
      await waitFor(() => got.size === confirmed, patience, "every confirmed message");
    });

    it("keeps per-key order where the transport promises it", async (ctx) => {
      const t = await transport();
      if (t.features.ordering === "none") ctx.skip();
      const topic = unique("order");
      await t.declare({ topic, group: "g" });
      const byKey = new Map<string, number[]>();
      await t.subscribe(
        topic,
        "g",
        async (d) => {
          const v = JSON.parse(dec.decode(d.message.payload)) as { k: string; i: number };
          byKey.set(v.k, [...(byKey.get(v.k) ?? []), v.i]);
          await d.ack();
        },
        { prefetch: 1 },
      );
      const keys = ["a", "b", "c", "d"];
      const n = 80;
      for (let i = 0; i < n; i++) {
        const k = keys[i % keys.length] as string;
        await t.publish(topic, { key: k, payload: json({ k, i }) });
      }
      await waitFor(
        () => [...byKey.values()].reduce((s, v) => s + v.length, 0) === n,
        patience,
        "all messages",
      );
      for (const seq of byKey.values()) expect(seq).toEqual([...seq].sort((a, b) => a - b));
    });

    it("a poison message is dead-lettered with its reason after max attempts, and the queue keeps flowing", async () => {
      const t = await transport();
      const topic = unique("poison");
      const ok: number[] = [];
      const router = new Router(t, {
        middleware: [deadLetter(), retry({ attempts: 3, baseMs: 10, maxMs: 50 })],
      });
      router.handle({
        topic,
        group: "g",
        schema: z.object({ n: z.number() }),
        handler: async ({ n }) => {
          if (n === 13) throw new Error("thirteen is unlucky");
          ok.push(n);
        },
      });
      await router.start();
      for (const n of [1, 13, 2, 3])
        await t.publish(topic, { payload: json({ n }), contentType: "application/json" });
      await waitFor(
        async () => (await t.readDeadLetters(topic, "g")).length === 1,
        patience,
        "the dead letter",
      );
      await waitFor(() => ok.length === 3, patience, "the good messages");
      const [dl] = await t.readDeadLetters(topic, "g");
      expect(dl?.reason).toBe("max-attempts");
      expect(dl?.headers[Headers.deadLetterErrorMessage]).toBe("thirteen is unlucky");
      expect(dl?.headers[Headers.deadLetterErrorName]).toBe("Error");
      expect(dl?.headers[Headers.attempt]).toBe("3");
      expect(dl?.headers[Headers.originalDestination]).toBe(topic);
      expect(dl?.headers[Headers.firstFailureAt]).toBeDefined();
      expect(dl?.headers[Headers.lastFailureAt]).toBeDefined();
      expect(JSON.parse(dec.decode(dl?.message.payload))).toEqual({ n: 13 });
      await router.stop();
    });

    it("an invalid payload is dead-lettered as invalid-payload without blocking the queue", async () => {
      const t = await transport();
      const topic = unique("invalid");
      const ok: string[] = [];
      const router = new Router(t, { middleware: [deadLetter(), retry({ attempts: 5, baseMs: 10 })] });
      router.handle({
        topic,
        group: "g",
        schema: z.object({ orderId: z.string(), amount: z.string().regex(/^\d+\.\d{2}$/) }),
        handler: async (order) => {
          ok.push(order.orderId);
        },
      });
      await router.start();
      const asJson = { contentType: "application/json" };
      await t.publish(topic, { ...asJson, payload: enc.encode("{not json") });
      await t.publish(topic, { ...asJson, payload: json({ orderId: "o-1", amount: 12.5 }) });
      await t.publish(topic, { ...asJson, payload: json({ orderId: "o-2", amount: "12.50" }) });
      await waitFor(() => ok.length === 1, patience, "the valid message");
      await waitFor(
        async () => (await t.readDeadLetters(topic, "g")).length === 2,
        patience,
        "two dead letters",
      );
      const dls = await t.readDeadLetters(topic, "g");
      expect(dls.map((d) => d.reason)).toEqual(["invalid-payload", "invalid-payload"]);
      const details = dls.map((d) => d.headers[Headers.deadLetterDetails] ?? "");
      expect(details.some((d) => d.includes("amount"))).toBe(true);
      expect(ok).toEqual(["o-2"]);
      await router.stop();
    });

    it("graceful shutdown waits for in-flight handlers and acks them", async () => {
      const t = await transport();
      const topic = unique("graceful");
      await t.declare({ topic, group: "g" });
      let started = 0;
      let finished = 0;
      const sub = await t.subscribe(
        topic,
        "g",
        async (d) => {
          started++;
          await new Promise((r) => setTimeout(r, 300));
          finished++;
          await d.ack();
        },
        { prefetch: 5 },
      );
      for (let i = 0; i < 3; i++) await t.publish(topic, { id: `s-${i}`, payload: json(i) });
      await waitFor(() => started === 3, patience, "three handlers to start");
      await sub.close({ timeoutMs: 5000 });
      expect(finished).toBe(3);
      const again: string[] = [];
      const t2 = await transport();
      await t2.subscribe(topic, "g", async (d) => {
        again.push(d.message.id);
        await d.ack();
      });
      await t2.publish(topic, { id: "marker", payload: json("m") });
      await waitFor(() => again.includes("marker"), patience, "the marker");
      expect(again).toEqual(["marker"]); // nothing handled before shutdown came back
    });
  });
}
