/**
 * mqa/cqrs on each broker (the embedded one, Redis Streams, RabbitMQ): a command sent before its handler
 * exists waits for it; a handler's follow-up event carries the command's correlation id and names it as its
 * cause; an invalid payload is refused on send (nothing reaches the broker) and a received one is
 * dead-lettered as `invalid-payload`; an event nobody subscribes to is refused where the broker would drop it.
 * Also: names and payloads are checked at compile time (`@ts-expect-error` lines, checked by tsc), and a bad
 * catalog or a second handler for one command is refused with what is wrong. Each test uses a topic prefix of
 * its own and removes what it declared.
 */
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Router } from "../src/core/router.js";
import type { Transport } from "../src/core/transport.js";
import {
  CommandBus,
  EventBus,
  MESSAGE_KIND_HEADER,
  MESSAGE_NAME_HEADER,
  defineMessages,
  onCommand,
  onEvent,
} from "../src/cqrs/mod.js";
import { waitFor } from "../src/testing/mod.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { createMemoryTransport } from "../src/transports/memory/mod.js";
import { createRedisTransport } from "../src/transports/redis/mod.js";
import { AMQP_URL, deleteTopology } from "./support/amqp.js";
import { REDIS_URL, uniquePrefix } from "./redis-helpers.js";

function catalog(prefix: string) {
  return defineMessages({
    prefix,
    commands: { Charge: z.object({ orderId: z.string(), cents: z.number().int().positive() }) },
    events: {
      Charged: z.object({ orderId: z.string(), paymentId: z.string() }),
      Refunded: z.object({ orderId: z.string() }),
    },
  });
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});

interface Broker {
  name: string;
  /** A transport on the broker; closed after the test. */
  transport(): Transport;
  /** Remove what the test's catalog declared: topics and their groups. */
  remove(topics: ReadonlyArray<{ topic: string; groups: readonly string[] }>): Promise<void>;
}

const keyPrefix = uniquePrefix();
const brokers: Broker[] = [
  {
    name: "memory",
    transport: () => createMemoryTransport({ broker: `cqrs-${process.pid}` }),
    remove: async () => undefined,
  },
  {
    name: "redis",
    transport: () => createRedisTransport({ url: REDIS_URL, keyPrefix, blockMs: 100 }),
    remove: async (topics) => {
      const client = new Redis(REDIS_URL);
      try {
        for (const { topic } of topics) {
          const keys = await client.keys(`${keyPrefix}:{${topic}}*`);
          if (keys.length > 0) await client.del(...keys);
        }
      } finally {
        client.disconnect();
      }
    },
  },
  {
    name: "rabbitmq",
    transport: () => createAmqpTransport({ url: AMQP_URL }),
    remove: (topics) => deleteTopology(AMQP_URL, topics),
  },
];

/** A transport that is closed after the test. */
function open(broker: Broker): Transport {
  const t = broker.transport();
  cleanups.push(() => t.close({ timeoutMs: 2000 }));
  return t;
}

/** A router that is stopped after the test (before its transport is closed). */
function routerOn(t: Transport): Router {
  const r = new Router(t);
  cleanups.push(() => r.stop({ timeoutMs: 2000 }));
  return r;
}

const unique = (): string => `cqrs-${Math.random().toString(36).slice(2, 10)}`;

describe.each(brokers)("mqa/cqrs on $name", (broker) => {
  it("a command sent before its handler exists waits for it; the handler's event carries correlation and cause", async () => {
    const shop = catalog(unique());
    cleanups.push(() =>
      broker.remove([
        { topic: shop.commandTopic("Charge"), groups: [shop.commandGroup] },
        { topic: shop.eventTopic("Charged"), groups: ["ledger"] },
      ]),
    );
    const client = open(broker);
    const commands = new CommandBus(client, shop);
    const sent = await commands.send(
      "Charge",
      { orderId: "o-1", cents: 1250 },
      { correlationId: "order-o-1" },
    );

    const service = routerOn(open(broker));
    const seen: Array<{
      orderId: string;
      correlationId: string;
      causationId: string | undefined;
      kind?: string;
      name?: string;
    }> = [];
    onCommand(service, shop, "Charge", async (cmd, ctx) => {
      await ctx.publish("Charged", { orderId: cmd.orderId, paymentId: `pay-${cmd.cents}` });
    });
    onEvent(service, shop, "Charged", "ledger", (event, ctx) => {
      seen.push({
        orderId: event.orderId,
        correlationId: ctx.correlationId,
        causationId: ctx.message.causationId,
        kind: ctx.message.headers[MESSAGE_KIND_HEADER],
        name: ctx.message.headers[MESSAGE_NAME_HEADER],
      });
    });
    await service.start();

    await waitFor(() => seen.length === 1, 15_000, "the Charged event");
    expect(seen[0]).toEqual({
      orderId: "o-1",
      correlationId: "order-o-1",
      causationId: sent.id,
      kind: "event",
      name: "Charged",
    });
  });

  it("a command sent from an event handler (ctx.send) stays in the event's transaction", async () => {
    const shop = catalog(unique());
    cleanups.push(() =>
      broker.remove([
        { topic: shop.eventTopic("Refunded"), groups: ["payments"] },
        { topic: shop.commandTopic("Charge"), groups: [shop.commandGroup] },
      ]),
    );
    const t = open(broker);
    const router = routerOn(t);
    const charged: Array<{ correlationId: string; causationId: string | undefined; cents: number }> = [];
    onEvent(router, shop, "Refunded", "payments", async (e, ctx) => {
      await ctx.send("Charge", { orderId: e.orderId, cents: 100 });
    });
    onCommand(router, shop, "Charge", (cmd, ctx) => {
      charged.push({
        correlationId: ctx.correlationId,
        causationId: ctx.message.causationId,
        cents: cmd.cents,
      });
    });
    await router.start();
    const refund = await new EventBus(t, shop).publish(
      "Refunded",
      { orderId: "o-9" },
      { correlationId: "tx-9" },
    );
    await waitFor(() => charged.length === 1, 15_000, "the Charge command");
    expect(charged).toEqual([{ correlationId: "tx-9", causationId: refund.id, cents: 100 }]);
  });

  it("an invalid payload is refused on send, and a received one is dead-lettered as invalid-payload", async () => {
    const shop = catalog(unique());
    const topic = shop.eventTopic("Charged");
    cleanups.push(() => broker.remove([{ topic, groups: ["ledger"] }]));
    const t = open(broker);
    const router = routerOn(t);
    const handled: string[] = [];
    onEvent(router, shop, "Charged", "ledger", (e) => void handled.push(e.orderId));
    await router.start();
    const events = new EventBus(t, shop);

    const refused = events.publish("Charged", { orderId: "o-1", paymentId: 7 as unknown as string });
    await expect(refused).rejects.toMatchObject({ code: "invalid-payload" });
    await expect(refused).rejects.toThrow(
      /event Charged refused, its payload failed validation: paymentId: /,
    );
    // Another producer (no catalog) puts an invalid one on the topic itself.
    await t.publish(topic, { id: "bad-1", payload: new TextEncoder().encode('{"orderId":"o-2"}') });
    await events.publish("Charged", { orderId: "o-3", paymentId: "p-3" });

    await waitFor(
      async () => (await t.readDeadLetters(topic, "ledger")).length === 1,
      15_000,
      "a dead letter",
    );
    await waitFor(() => handled.length === 1, 15_000, "the valid event");
    const [dead] = await t.readDeadLetters(topic, "ledger");
    expect(dead?.reason).toBe("invalid-payload");
    expect(dead?.message.id).toBe("bad-1");
    // The refused one never reached the broker: only the valid event was handled, and one dead letter exists.
    expect(handled).toEqual(["o-3"]);
  });

  it("an event no group subscribes to is refused where the broker would drop it, with what to do", async () => {
    const shop = catalog(unique());
    const t = open(broker);
    await t.connect();
    if (t.features.unroutable !== "reject") {
      // Redis keeps it in the stream, for the topic's first group (which starts at the beginning).
      await expect(new EventBus(t, shop).publish("Refunded", { orderId: "o-1" })).resolves.toHaveProperty(
        "id",
      );
      cleanups.push(() => broker.remove([{ topic: shop.eventTopic("Refunded"), groups: [] }]));
      return;
    }
    cleanups.push(() => broker.remove([{ topic: shop.eventTopic("Refunded"), groups: [] }]));
    const refused = new EventBus(t, shop).publish("Refunded", { orderId: "o-1" });
    await expect(refused).rejects.toMatchObject({ code: "unroutable" });
    await expect(refused).rejects.toThrow(
      /event Refunded \(topic .*\.events\.Refunded\) has no subscriber group yet/,
    );
  });
});

describe("mqa/cqrs catalog and registration", () => {
  it("checks names and payloads at compile time", () => {
    const shop = catalog("types");
    const bus = new CommandBus(createMemoryTransport({ broker: `types-${process.pid}` }), shop);
    const sends = [
      // @ts-expect-error: no such command
      () => bus.send("Ship", { orderId: "o" }),
      // @ts-expect-error: cents must be a number
      () => bus.send("Charge", { orderId: "o", cents: "12" }),
    ];
    const router = new Router(createMemoryTransport({ broker: `types-${process.pid}` }));
    // @ts-expect-error: Charge is a command, not an event
    expect(() => onEvent(router, shop, "Charge", "g", () => undefined)).toThrow(/unknown event "Charge"/);
    onEvent(router, shop, "Charged", "g", (e) => {
      // @ts-expect-error: the payload is typed from the schema; there is no amount
      void e.amount;
    });
    expect(sends).toHaveLength(2);
  });

  it("refuses a bad catalog and a second handler for one command, naming what is wrong", () => {
    expect(() =>
      defineMessages({ prefix: "a b", commands: { "Place Order": z.string() }, events: {} }),
    ).toThrow(/prefix: must be letters[\s\S]*commands\.Place Order: name must start with a letter/);
    expect(() =>
      defineMessages({ commands: { Place: "not a schema" as unknown as z.ZodType }, events: {} }),
    ).toThrow(/commands\.Place: expected a zod schema/);
    const shop = catalog(unique());
    expect(shop.commandTopic("Charge")).toBe(`${shop.prefix}.commands.Charge`);
    const router = new Router(createMemoryTransport({ broker: `dup-${process.pid}` }));
    onCommand(router, shop, "Charge", () => undefined);
    expect(() => onCommand(router, shop, "Charge", () => undefined)).toThrow(
      /command Charge has a handler on this router already/,
    );
    onEvent(router, shop, "Charged", "a", () => undefined);
    onEvent(router, shop, "Charged", "b", () => undefined);
    expect(() => onEvent(router, shop, "Charged", "a", () => undefined)).toThrow(/in group a has a handler/);
  });
});
