/**
 * mqa on a RabbitMQ topology it did not make: exchanges of every type with per-group bindings, queues
 * someone else declared (attached, never redeclared), and raw amqplib as "the other service" in both
 * directions. Real broker; every test creates what it asserts on under unique names and deletes it.
 */
import { randomUUID } from "node:crypto";
import amqplib from "amqplib";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Router } from "../src/core/router.js";
import { MqaError } from "../src/core/errors.js";
import type { TopologySpec } from "../src/spec/schema/spec.js";
import { defaultMiddleware } from "../src/middleware/mod.js";
import {
  createAmqpTransport,
  type AmqpSubscription,
  type AmqpTransport,
} from "../src/transports/amqp/mod.js";
import { waitFor } from "../src/testing/mod.js";
import { AMQP_URL } from "./support/amqp.js";

const unique = (what: string): string => `ext.${what}.${randomUUID().slice(0, 8)}`;
const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Exchanges and queues made by the tests (by them or by mqa for them), deleted at the end. */
const made = { exchanges: new Set<string>(), queues: new Set<string>() };
const open: AmqpTransport[] = [];

function transport(topology?: TopologySpec): AmqpTransport {
  const t = createAmqpTransport({
    url: AMQP_URL,
    initialConnectTimeoutMs: 5000,
    ...(topology ? { topology } : {}),
  });
  open.push(t);
  return t;
}

/** A raw amqplib connection: the service written in another language. */
async function raw(): Promise<{ model: amqplib.ChannelModel; ch: amqplib.ConfirmChannel }> {
  const model = await amqplib.connect(AMQP_URL);
  const ch = await model.createConfirmChannel();
  return { model, ch };
}

function spec(topics: NonNullable<TopologySpec["rabbitmq"]>["topics"]): TopologySpec {
  for (const t of topics ?? []) {
    made.exchanges.add(t.exchange ?? t.name);
    for (const g of t.groups) {
      const q = g.queue ?? `${t.name}.${g.name}`;
      made.queues.add(q);
      made.queues.add(`${q}.dlq`);
    }
  }
  return { version: 1, rabbitmq: { vhosts: [{ name: "/" }], topics } } as TopologySpec;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close({ timeoutMs: 1000 })));
});

afterAll(async () => {
  const { model } = await raw();
  const ch = await model.createChannel();
  for (const q of made.queues) await ch.deleteQueue(q);
  for (const e of made.exchanges) if (e !== "" && !e.startsWith("amq.")) await ch.deleteExchange(e);
  await model.close();
});

/** Subscribe each group of `topic`, collecting what it receives by a payload field. */
async function collect(t: AmqpTransport, topic: string, groups: readonly string[]) {
  const got = new Map<string, string[]>(groups.map((g) => [g, []]));
  for (const g of groups) {
    await t.subscribe(topic, g, async (d) => {
      got.get(g)!.push((JSON.parse(text(d.message.payload)) as { n: string }).n);
      await d.ack();
    });
  }
  return got;
}

describe("exchanges of every type, groups bound as the spec says", () => {
  it("direct: each group gets exactly the routing keys it is bound with; an unmatched key is refused", async () => {
    const topic = unique("direct");
    const t = transport(
      spec([
        {
          name: topic,
          exchangeType: "direct",
          groups: [
            { name: "red", bindings: ["red"] },
            { name: "both", bindings: ["red", "blue"] },
          ],
        },
      ]),
    );
    const got = await collect(t, topic, ["red", "both"]);
    await t.publish(topic, { key: "red", payload: enc({ n: "r1" }) });
    await t.publish(topic, { key: "blue", payload: enc({ n: "b1" }) });
    const refused = await t.publish(topic, { key: "green", payload: enc({ n: "g1" }) }).catch((e) => e);
    expect(MqaError.is(refused, "unroutable")).toBe(true);
    await t.publish(topic, { key: "red", payload: enc({ n: "end" }) }); // both groups get it, last
    await waitFor(() => got.get("red")!.includes("end") && got.get("both")!.includes("end"), 10_000, "end");
    expect(got.get("red")).toEqual(["r1", "end"]);
    expect(got.get("both")).toEqual(["r1", "b1", "end"]);
  });

  it("fanout: every group gets every message whatever its key", async () => {
    const topic = unique("fanout");
    const t = transport(
      spec([{ name: topic, exchangeType: "fanout", groups: [{ name: "a" }, { name: "b" }] }]),
    );
    const got = await collect(t, topic, ["a", "b"]);
    await t.publish(topic, { key: "x", payload: enc({ n: "1" }) });
    await t.publish(topic, { payload: enc({ n: "2" }) });
    await waitFor(() => got.get("a")!.length === 2 && got.get("b")!.length === 2, 10_000, "both");
    expect(got.get("a")).toEqual(["1", "2"]);
    expect(got.get("b")).toEqual(["1", "2"]);
  });

  it("topic: patterns select per group (order.*, #.eu)", async () => {
    const topic = unique("topic");
    const t = transport(
      spec([
        {
          name: topic,
          groups: [
            { name: "orders", bindings: ["order.*"] },
            { name: "eu", bindings: ["order.created", "#.eu"] },
          ],
        },
      ]),
    );
    const got = await collect(t, topic, ["orders", "eu"]);
    for (const [key, n] of [
      ["order.created", "c"],
      ["order.paid", "p"],
      ["invoice.sent.eu", "i"],
      ["order.created.us", "x"], // matches no binding: refused
    ] as const) {
      const r = await t.publish(topic, { key, payload: enc({ n }) }).catch((e: unknown) => e);
      if (n === "x") expect(MqaError.is(r, "unroutable")).toBe(true);
    }
    await t.publish(topic, { key: "order.eu", payload: enc({ n: "end" }) });
    await waitFor(() => got.get("orders")!.includes("end") && got.get("eu")!.includes("end"), 10_000, "end");
    expect(got.get("orders")).toEqual(["c", "p", "end"]);
    expect(got.get("eu")).toEqual(["c", "i", "end"]);
  });

  it("headers: groups match on header values, all or any", async () => {
    const topic = unique("headers");
    const t = transport(
      spec([
        {
          name: topic,
          exchangeType: "headers",
          groups: [
            { name: "orders", bindings: [{ headers: { type: "order" }, match: "all" }] },
            { name: "eu-or-orders", bindings: [{ headers: { type: "order", region: "eu" }, match: "any" }] },
          ],
        },
      ]),
    );
    const got = await collect(t, topic, ["orders", "eu-or-orders"]);
    await t.publish(topic, { headers: { type: "order", region: "us" }, payload: enc({ n: "o-us" }) });
    await t.publish(topic, { headers: { type: "invoice", region: "eu" }, payload: enc({ n: "i-eu" }) });
    const none = await t
      .publish(topic, { headers: { type: "invoice" }, payload: enc({ n: "none" }) })
      .catch((e: unknown) => e);
    expect(MqaError.is(none, "unroutable")).toBe(true);
    await t.publish(topic, { headers: { type: "order" }, payload: enc({ n: "end" }) });
    await waitFor(
      () => got.get("orders")!.includes("end") && got.get("eu-or-orders")!.includes("end"),
      10_000,
      "end",
    );
    expect(got.get("orders")).toEqual(["o-us", "end"]);
    expect(got.get("eu-or-orders")).toEqual(["o-us", "i-eu", "end"]);
  });

  it("a spec refuses topics and groups it does not name, before touching the broker", async () => {
    const topic = unique("strict");
    const t = transport(spec([{ name: topic, groups: [{ name: "g" }] }]));
    const badTopic = await t.publish("nope", { payload: enc({}) }).catch((e: unknown) => e);
    expect(MqaError.is(badTopic, "invalid-options")).toBe(true);
    expect((badTopic as Error).message).toMatch(/topic 'nope' is not in the topology spec/);
    const badGroup = await t.declare({ topic, group: "other" }).catch((e: unknown) => e);
    expect(MqaError.is(badGroup, "invalid-options")).toBe(true);
    expect((badGroup as Error).message).toMatch(/its groups are: 'g'/);
  });
});

describe("a queue someone else declared", () => {
  /** A classic queue with arguments mqa would never choose, bound to an exchange of its owner's. */
  async function foreignQueue(): Promise<{ exchange: string; queue: string }> {
    const exchange = unique("legacy-x");
    const queue = unique("legacy-q");
    made.exchanges.add(exchange);
    made.queues.add(queue);
    made.queues.add(`${queue}.dlq`);
    const { model, ch } = await raw();
    await ch.assertExchange(exchange, "topic", { durable: true });
    await ch.assertQueue(queue, {
      durable: true,
      arguments: { "x-queue-type": "classic", "x-max-length": 1000, "x-message-ttl": 600_000 },
    });
    await ch.bindQueue(queue, exchange, "order.#");
    await model.close();
    return { exchange, queue };
  }

  it("is consumed as it is: no precondition failure, retries with a delay and dead letters work", async () => {
    const { exchange, queue } = await foreignQueue();
    const t = transport(
      spec([
        {
          name: "orders-" + queue,
          exchange,
          existing: true,
          groups: [{ name: "billing", queue, existing: true }],
        },
      ]),
    );
    const topic = "orders-" + queue;
    const layout = t.groupLayout(topic, "billing");
    expect(layout).toMatchObject({ exchange, queue, attached: true, deadLetterQueue: `${queue}.dlq` });
    expect(layout.caveats.join(" ")).toMatch(/cannot read its arguments/);

    const seen: Array<{ n: string; attempt: number }> = [];
    const router = new Router(t, {
      middleware: defaultMiddleware({ retry: { attempts: 2, baseMs: 50, maxMs: 50, jitter: "none" } }),
    });
    router.handle({
      topic,
      group: "billing",
      schema: z.object({ n: z.string() }),
      handler: async (p, ctx) => {
        seen.push({ n: p.n, attempt: ctx.message.attempt });
        if (p.n === "poison") throw new Error("always fails");
      },
    });
    await router.start();
    // The owner's queue keeps its arguments (a redeclare with mqa's would have failed with 406).
    await t.publish(topic, { key: "order.created", payload: enc({ n: "ok" }) });
    await t.publish(topic, { key: "order.created", payload: enc({ n: "poison" }) });
    await waitFor(
      async () => (await t.readDeadLetters(topic, "billing")).length === 1,
      15_000,
      "dead letter",
    );
    const [dead] = await t.readDeadLetters(topic, "billing");
    expect(dead!.reason).toBe("max-attempts");
    expect(text(dead!.message.payload)).toBe('{"n":"poison"}');
    expect(seen.filter((s) => s.n === "poison").map((s) => s.attempt)).toEqual([1, 2]);
    expect(seen.filter((s) => s.n === "ok")).toEqual([{ n: "ok", attempt: 1 }]);
    await router.stop();
  });

  it("without mqa's dead-letter queue, a dead letter goes to the queue's own DLX once, never round in a loop", async () => {
    const queue = unique("own-dlx-q");
    const ownDlx = unique("own-dlx");
    const ownDlq = unique("own-dlq");
    made.queues.add(queue).add(ownDlq).add(`${queue}.dlq`);
    made.exchanges.add(ownDlx);
    const { model, ch } = await raw();
    await ch.assertExchange(ownDlx, "fanout", { durable: true });
    await ch.assertQueue(ownDlq, { durable: true });
    await ch.bindQueue(ownDlq, ownDlx, "");
    await ch.assertQueue(queue, { durable: true, arguments: { "x-dead-letter-exchange": ownDlx } });
    const topic = unique("own-dlx-t");
    const t = transport(
      spec([
        { name: topic, exchange: "", groups: [{ name: "g", queue, existing: true, deadLetter: false }] },
      ]),
    );
    expect(t.groupLayout(topic, "g").deadLetterQueue).toBeUndefined();
    const sub = (await t.subscribe(topic, "g", (d) =>
      d.deadLetter({ reason: "invalid-payload" }),
    )) as AmqpSubscription;
    await t.publish(topic, { key: queue, payload: enc({ n: "bad" }) }); // default exchange: key = queue
    let dead: amqplib.GetMessage | false = false;
    await waitFor(async () => (dead = await ch.get(ownDlq, { noAck: true })) !== false, 10_000, "own DLQ");
    expect(JSON.parse((dead as unknown as amqplib.GetMessage).content.toString())).toEqual({ n: "bad" });
    expect(sub.stats).toMatchObject({ delivered: 1, discarded: 1, requeued: 0 });
    await model.close();
  });

  it("missing: a not-found error that says what to do, and nothing is created", async () => {
    const queue = unique("missing-q");
    const topic = unique("missing-t");
    made.queues.add(`${queue}.dlq`);
    const t = transport(spec([{ name: topic, groups: [{ name: "g", queue, existing: true }] }]));
    const err = await t.declare({ topic, group: "g" }).catch((e: unknown) => e);
    expect(MqaError.is(err, "not-found")).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`queue '${queue}' does not exist.*mqa topology apply`));
    const { model } = await raw();
    const ch = await model.createChannel();
    ch.on("error", () => undefined);
    await expect(ch.checkQueue(queue)).rejects.toThrow(/NOT_FOUND/);
    await model.close().catch(() => undefined);
  });
});

describe("raw amqplib as the other service", () => {
  it("its messages without content type and with every header type are handled, bad ones dead-lettered with a reason", async () => {
    const topic = unique("interop-in");
    const t = transport(spec([{ name: topic, groups: [{ name: "g" }] }]));
    const handled: Array<{ orderId: string; headers: Readonly<Record<string, string>>; ct: unknown }> = [];
    const router = new Router(t);
    router.handle({
      topic,
      group: "g",
      schema: z.object({ orderId: z.string() }),
      handler: async (p, ctx) => {
        handled.push({ orderId: p.orderId, headers: ctx.message.headers, ct: ctx.message.contentType });
      },
    });
    await router.start();
    const { model, ch } = await raw();
    const headers = {
      s: "text",
      i: 7,
      f: 2.5,
      b: false,
      table: { a: 1, nested: { ok: true } },
      list: [1, "two"],
      bytes: Buffer.from([0xff, 0x01]),
      ts: { "!": "timestamp", value: 1_700_000_000 },
      dec: { "!": "decimal", value: { places: 2, digits: 995 } },
    };
    ch.publish(topic, "any.key", Buffer.from('{"orderId":"o-1"}'), { persistent: true, headers });
    ch.publish(topic, "any.key", Buffer.from("not json"), { persistent: true, messageId: "bad-1" });
    ch.publish(topic, "any.key", Buffer.from('{"orderId":"o-2"}'), { persistent: true });
    await ch.waitForConfirms();
    await model.close();
    await waitFor(() => handled.length === 2, 10_000, "both valid messages");
    expect(handled.map((h) => h.orderId)).toEqual(["o-1", "o-2"]);
    expect(handled[0]!.ct).toBeUndefined();
    expect(handled[0]!.headers).toMatchObject({
      s: "text",
      i: "7",
      f: "2.5",
      b: "false",
      table: '{"a":1,"nested":{"ok":true}}',
      list: '[1,"two"]',
      bytes: "base64:/wE=",
      ts: "2023-11-14T22:13:20.000Z",
      dec: "9.95",
    });
    await waitFor(async () => (await t.readDeadLetters(topic, "g")).length === 1, 10_000, "the dead letter");
    const [dead] = await t.readDeadLetters(topic, "g");
    expect(dead).toMatchObject({ reason: "invalid-payload", message: { id: "bad-1" } });
    expect(dead!.headers["x-mqa-error-message"]).toMatch(/not valid JSON/);
    await router.stop();
  });

  it("what mqa publishes carries standard properties and plain string headers", async () => {
    const topic = unique("interop-out");
    const queue = unique("raw-reader");
    made.exchanges.add(topic);
    made.queues.add(queue);
    const t = transport(spec([{ name: topic, existing: false, groups: [] }]));
    await t.connect();
    const { model, ch } = await raw();
    await ch.assertExchange(topic, "topic", { durable: true });
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(queue, topic, "#");
    await t.publish(topic, {
      id: "m-1",
      key: "order.created",
      payload: enc({ orderId: "o-1" }),
      contentType: "application/json",
      correlationId: "c-1",
      headers: { tenant: "acme" },
    });
    let msg: amqplib.GetMessage | false = false;
    await waitFor(async () => (msg = await ch.get(queue, { noAck: true })) !== false, 5000, "the message");
    const got = msg as unknown as amqplib.GetMessage;
    expect(got.fields.routingKey).toBe("order.created");
    expect(got.properties).toMatchObject({
      messageId: "m-1",
      contentType: "application/json",
      deliveryMode: 2,
      correlationId: "c-1",
    });
    expect(Math.abs(got.properties.timestamp - Date.now() / 1000)).toBeLessThan(60);
    const h = got.properties.headers as Record<string, unknown>;
    expect(h["tenant"]).toBe("acme");
    for (const v of Object.values(h)) expect(typeof v).toBe("string");
    expect(JSON.parse(got.content.toString())).toEqual({ orderId: "o-1" });
    await model.close();
  });
});
