import { afterEach, describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { Headers } from "../../core/message.js";
import type { Delivery } from "../../core/transport.js";
import { type AmqpTransport, createAmqpTransport } from "./mod.js";
import type { AmqpSubscription } from "./subscription.js";
import { AMQP_PORT, AMQP_URL, testTopics } from "../../../test/support/amqp.js";
import { RABBIT_MANAGEMENT_URL } from "../../../test/support/topology.js";
import { FaultProxy, waitFor } from "../../testing/mod.js";

/** Unacknowledged messages of a queue in "/", as the broker's management API reports them. */
async function unackedOnBroker(queue: string): Promise<number | undefined> {
  const url = new URL(RABBIT_MANAGEMENT_URL);
  const auth = Buffer.from(
    `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
  ).toString("base64");
  const res = await fetch(`${url.origin}/api/queues/%2F/${encodeURIComponent(queue)}`, {
    headers: { authorization: `Basic ${auth}` },
  });
  if (!res.ok) return undefined;
  return ((await res.json()) as { messages_unacknowledged?: number }).messages_unacknowledged;
}

const open: AmqpTransport[] = [];
function transport(opts: Parameters<typeof createAmqpTransport>[0] = {}): AmqpTransport {
  const t = createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000, ...opts });
  open.push(t);
  return t;
}
const newTopic = testTopics("t");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 1000 })));
});

describe("AmqpTransport against the real RabbitMQ", () => {
  it("detects the server version and becomes ready", async () => {
    const t = transport();
    await t.connect();
    expect(t.state.status).toBe("ready");
    expect(t.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it("publishes with a confirm and delivers with all fields", async () => {
    const t = transport();
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const got: Delivery[] = [];
    await t.subscribe(topic, "g", async (d) => {
      got.push(d);
      await d.ack();
    });
    const receipt = await t.publish(topic, {
      payload: bytes("hello"),
      key: "k1",
      contentType: "text/plain",
      headers: { a: "b" },
      correlationId: "c1",
      causationId: "c0",
      timestamp: 1_700_000_000_123,
    });
    await waitFor(() => got.length === 1);
    const m = got[0]!.message;
    expect(m).toMatchObject({
      id: receipt.id,
      topic,
      key: "k1",
      contentType: "text/plain",
      correlationId: "c1",
    });
    expect(m).toMatchObject({ causationId: "c0", timestamp: 1_700_000_000_123, attempt: 1 });
    expect(text(m.payload)).toBe("hello");
    expect(m.headers.a).toBe("b");
  });

  it("rejects publishes nobody can receive: no exchange, or no bound queue", async () => {
    const t = transport();
    const missing = t.publish(
      `missing-${Math.random().toString(36).slice(2, 10)}`,
      { payload: bytes("x") },
      { timeoutMs: 5000 },
    );
    await expect(missing).rejects.toMatchObject({ code: "unroutable" });
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    // Still works on the same transport after the broker closed a channel.
    await expect(t.publish(topic, { payload: bytes("x") })).resolves.toHaveProperty("id");
  });

  it("retries with a broker-side delay, never early, counting attempts, then dead-letters with reasons", async () => {
    const t = transport();
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const seen: { attempt: number; at: number }[] = [];
    await t.subscribe(topic, "g", async (d) => {
      seen.push({ attempt: d.message.attempt, at: Date.now() });
      if (d.message.attempt < 3) await d.retry({ delayMs: 300 + d.message.attempt * 100 });
      else await d.deadLetter({ reason: "max-attempts", error: { name: "Error", message: "boom" } });
    });
    await t.publish(topic, { payload: bytes("p") });
    await waitFor(() => seen.length === 3);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(400);
    expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(500);
    await waitFor(() => false, 300).catch(() => undefined);
    const dead = await t.readDeadLetters(topic, "g");
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toBe("max-attempts");
    expect(dead[0]!.headers[Headers.deadLetterErrorMessage]).toBe("boom");
    expect(dead[0]!.headers[Headers.originalGroup]).toBe("g");
    // Reading does not remove.
    expect(await t.readDeadLetters(topic, "g")).toHaveLength(1);
  });

  it("counts broker redeliveries in attempt and requeues unsettled deliveries", async () => {
    const t = transport();
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const attempts: number[] = [];
    await t.subscribe(topic, "g", async (d) => {
      attempts.push(d.message.attempt);
      if (d.message.attempt < 3) throw new Error("transient");
      await d.ack();
    });
    await t.publish(topic, { payload: bytes("p") });
    await waitFor(() => attempts.length === 3);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("turns PRECONDITION_FAILED on redeclare into an error naming queue, argument and both values", async () => {
    const topic = newTopic();
    await transport({ deliveryLimit: 20 }).declare({ topic, group: "g" });
    const err = await transport({ deliveryLimit: 5 })
      .declare({ topic, group: "g" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MqaError);
    expect(err).toMatchObject({ code: "precondition-failed" });
    const message = (err as Error).message;
    expect(message).toContain(`'${topic}.g'`);
    expect(message).toContain("argument 'x-delivery-limit': mqa declares '5', the existing queue has '20'");
    expect(message).toMatch(/Safe ways out/);
  });

  it("batches acks with multiple without acking unfinished handlers", async () => {
    const t = transport({ ackBatchSize: 10, ackBatchMs: 50 });
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done: string[] = [];
    const sub = await t.subscribe(topic, "g", async (d) => {
      const body = text(d.message.payload);
      if (body === "0") await gate; // the oldest delivery stays unfinished
      done.push(body);
      await d.ack();
    });
    for (let i = 0; i < 20; i++) await t.publish(topic, { payload: bytes(String(i)) });
    await waitFor(() => done.length === 19);
    await waitFor(() => (sub as AmqpSubscription).stats.acked === 19);
    // Acks are sent asynchronously; wait until the broker has them (one unacked left: "0") so the abort
    // below tests what was acked, not what was still in a socket buffer on a loaded machine.
    await waitFor(
      async () => (await unackedOnBroker(`${topic}.g`)) === 1,
      20_000,
      "the broker to see 18 acks",
    );
    // Abort instead of closing: anything not acked must come back to a fresh consumer.
    await t.abort();
    release();
    const t2 = transport();
    const again: string[] = [];
    await t2.subscribe(topic, "g", async (d) => {
      again.push(text(d.message.payload));
      await d.ack();
    });
    await waitFor(() => again.includes("0"));
    await new Promise((r) => setTimeout(r, 300));
    expect(again).toEqual(["0"]);
  });

  it("passes a delay through every level it spells (2047 ms = 11 hops) and is never early", async () => {
    const t = transport();
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const at: number[] = [];
    await t.subscribe(topic, "g", async (d) => {
      at.push(Date.now());
      if (at.length === 1) await d.retry({ delayMs: 2047 });
      else await d.ack();
    });
    await t.publish(topic, { payload: bytes("p") });
    await waitFor(() => at.length === 2);
    const waited = at[1]! - at[0]!;
    expect(waited).toBeGreaterThanOrEqual(2047);
    console.log(`delay 2047 ms through 11 levels: waited ${waited} ms`);
  });

  it("works with stream queues (no DLQ, reads from the first offset)", async () => {
    const t = transport({ queueType: "stream" });
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    await t.publish(topic, { payload: bytes("before subscribe") });
    const got: string[] = [];
    await t.subscribe(topic, "g", async (d) => {
      got.push(text(d.message.payload));
      await d.ack();
    });
    await t.publish(topic, { payload: bytes("after") });
    await waitFor(() => got.length === 2);
    expect(got).toEqual(["before subscribe", "after"]);
    await expect(t.readDeadLetters(topic, "g")).rejects.toMatchObject({ code: "unsupported" });
  });

  it("names the broker's latest reason for a dead letter, not an earlier delay expiry", async () => {
    const t = transport({ deliveryLimit: 2 });
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    let calls = 0;
    await t.subscribe(topic, "g", async (d) => {
      calls++;
      if (calls === 1)
        await d.retry({ delayMs: 20 }); // passes through the delay levels (TTL expiry)
      else throw new Error("poison");
    });
    await t.publish(topic, { payload: bytes("p") });
    let dead: Awaited<ReturnType<AmqpTransport["readDeadLetters"]>> = [];
    await waitFor(() => calls >= 3);
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      dead = await t.readDeadLetters(topic, "g");
      if (dead.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(dead.map((d) => d.reason)).toEqual(["delivery-limit"]);
  });

  it("rejects with unroutable when the exchange exists but no queue is bound (basic.return)", async () => {
    const t = transport();
    const topic = newTopic();
    await t.declare({ topic, group: "g" });
    const { default: amqp } = await import("amqplib");
    const c = await amqp.connect(AMQP_URL);
    const ch = await c.createChannel();
    await ch.unbindQueue(`${topic}.g`, topic, "#");
    await c.close();
    await expect(t.publish(topic, { payload: bytes("x") })).rejects.toMatchObject({ code: "unroutable" });
    // The publisher stays usable.
    await expect(t.publish("", { payload: bytes("y"), key: `${topic}.g` })).resolves.toHaveProperty("id");
  });

  it("closes within its bounds when the broker goes silent (every close handshake unanswered)", async () => {
    const proxy = new FaultProxy({ targetPort: AMQP_PORT });
    const port = await proxy.start();
    try {
      const topic = newTopic();
      // Heartbeats at their slowest, so nothing but the close bounds can end the closes within the test.
      const t = transport({
        url: `amqp://guest:guest@127.0.0.1:${port}`,
        heartbeatSeconds: 60,
        connectTimeoutMs: 500,
      });
      await t.declare({ topic, group: "g" });
      await t.subscribe(topic, "g", async (d) => d.ack());
      await t.publish(topic, { payload: bytes("before the silence") });
      proxy.stall(); // a black hole: cancel, channel.close and connection.close are never answered
      await t.close({ timeoutMs: 200 });
      expect(t.state.status).toBe("closed");
      // The connections' sockets were cut, not left open behind the proxy.
      await waitFor(() => proxy.connections === 0, 10_000, "the proxied sockets to close");
    } finally {
      await proxy.stop();
    }
  });
});
