import { describe, expect, expectTypeOf, it } from "vitest";
import { Router } from "../core/router.js";
import { MemoryTransport } from "../transports/memory/transport.js";
import { MemoryBroker } from "../transports/memory/broker.js";
import { defineTopology, type SpecNames, type SpecTopic } from "./define.js";
import { InvalidSpecError } from "./errors.js";

const spec = defineTopology({
  version: 1,
  rabbitmq: {
    vhosts: [{ name: "/" }],
    topics: [
      { name: "orders", groups: [{ name: "billing" }, { name: "shipping" }] },
      { name: "invoices", groups: [{ name: "ledger" }] },
    ],
  },
  redis: { streams: [{ name: "clicks", groups: [{ name: "stats" }] }] },
});

describe("defineTopology", () => {
  it("keeps topic and group names as types", () => {
    expect(spec.rabbitmq?.topics?.map((t) => t.name)).toEqual(["orders", "invoices"]);
    expectTypeOf<SpecTopic<typeof spec>>().toEqualTypeOf<"orders" | "invoices" | "clicks">();
    expectTypeOf<SpecNames<typeof spec>>().toEqualTypeOf<
      | { topic: "orders"; group: "billing" }
      | { topic: "orders"; group: "shipping" }
      | { topic: "invoices"; group: "ledger" }
      | { topic: "clicks"; group: "stats" }
    >();
  });

  it("lets a Router take only the spec's topics and, for each, its groups", () => {
    const router = new Router<SpecNames<typeof spec>>(new MemoryTransport({ broker: new MemoryBroker() }));
    router.handle({ topic: "orders", group: "shipping", handler: () => undefined });
    // @ts-expect-error a group of another topic
    router.handle({ topic: "orders", group: "ledger", handler: () => undefined });
    // @ts-expect-error a topic the spec does not have
    router.handle({ topic: "refunds", group: "billing", handler: () => undefined });
    // An unconstrained router takes any names.
    new Router(new MemoryTransport({ broker: new MemoryBroker() })).handle({
      topic: "anything",
      group: "any",
      handler: () => undefined,
    });
  });

  it("validates like mqa topology validate", () => {
    expect(() =>
      defineTopology({ version: 1, rabbitmq: { topics: [{ name: "t", groups: [{ name: "g" }] }] } }),
    ).toThrow(InvalidSpecError);
  });
});
