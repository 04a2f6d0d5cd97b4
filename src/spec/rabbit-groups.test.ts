import { describe, expect, it } from "vitest";
import { InvalidSpecError } from "./errors.js";
import { validateSpec } from "./parse.js";
import { rabbitGroups } from "./rabbit-groups.js";
import { expandRabbit } from "../topology/expand-rabbit.js";

const withTopics = (topics: unknown, extra: Record<string, unknown> = {}): unknown => ({
  version: 1,
  rabbitmq: { vhosts: [{ name: "/" }], topics, ...extra },
});

function issues(value: unknown): string[] {
  try {
    validateSpec(value);
  } catch (err) {
    if (err instanceof InvalidSpecError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe("spec topics on the user's own resources", () => {
  it("resolves exchange, queue, bindings and what mqa declares", () => {
    const spec = validateSpec(
      withTopics(
        [
          {
            name: "orders",
            exchange: "shop.events",
            existing: true,
            groups: [
              { name: "billing", queue: "billing.orders", existing: true },
              { name: "audit", bindings: ["order.*", { routingKey: "#.eu" }] },
              { name: "legacy", queue: "legacy-q" },
            ],
          },
          { name: "amq-topic", exchange: "amq.topic", groups: [{ name: "g" }] },
        ],
        { queues: [{ name: "legacy-q", type: "classic", arguments: { "x-max-length": 10 } }] },
      ),
    );
    const [billing, audit, legacy, amq] = rabbitGroups(spec);
    expect(billing).toMatchObject({
      exchange: "shop.events",
      exchangeType: "topic",
      declareExchange: false,
      queue: "billing.orders",
      declareQueue: false,
    });
    expect(audit).toMatchObject({
      queue: "orders.audit",
      declareQueue: true,
      bindings: [
        { routingKey: "order.*", arguments: {} },
        { routingKey: "#.eu", arguments: {} },
      ],
    });
    expect(legacy).toMatchObject({
      declareQueue: false,
      describedQueue: { type: "classic", arguments: { "x-max-length": 10 } },
    });
    expect(amq).toMatchObject({ exchange: "amq.topic", declareExchange: false });
  });

  it("expands to exactly what mqa declares: nothing that exists already, mqa's DLQ next to an attached queue", () => {
    const spec = validateSpec(
      withTopics([
        {
          name: "orders",
          exchange: "shop.events",
          existing: true,
          groups: [{ name: "billing", queue: "billing.orders", existing: true }],
        },
        {
          name: "alerts",
          exchangeType: "headers",
          groups: [{ name: "pager", bindings: [{ headers: { severity: "high" }, match: "any" }] }],
        },
      ]),
    );
    const { definitions } = expandRabbit(spec, { requirePasswords: false });
    const names = (xs: { name: string }[]) => xs.map((x) => x.name);
    expect(names(definitions.exchanges)).not.toContain("shop.events");
    expect(names(definitions.queues)).not.toContain("billing.orders");
    expect(names(definitions.queues)).toEqual(expect.arrayContaining(["billing.orders.dlq", "alerts.pager"]));
    expect(definitions.exchanges.find((e) => e.name === "alerts")).toMatchObject({ type: "headers" });
    expect(definitions.bindings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: "alerts",
          destination: "alerts.pager",
          arguments: { "x-match": "any", severity: "high" },
        }),
        expect.objectContaining({
          source: "mqa.dlx",
          destination: "billing.orders.dlq",
          routing_key: "billing.orders",
        }),
      ]),
    );
    // The attached queue gets no binding from its topic's exchange (its owner bound it), only mqa's retry route.
    expect(
      definitions.bindings.filter((b) => b.destination === "billing.orders").map((b) => b.source),
    ).toEqual(["mqa.delay.deliver"]);
  });

  it("rejects what cannot work, each problem at its path", () => {
    expect(
      issues(
        withTopics([
          { name: "d", exchangeType: "direct", groups: [{ name: "a" }, { name: "b", bindings: ["x.*"] }] },
          { name: "h", exchangeType: "headers", groups: [{ name: "a", bindings: ["k"] }] },
          { name: "t", groups: [{ name: "a", bindings: [{ headers: { x: 1 } }] }] },
          {
            name: "e",
            groups: [
              { name: "a", queue: "shared" },
              { name: "b", queue: "shared" },
              { name: "c", queue: "theirs", existing: true, arguments: { "x-max-length": 1 } },
            ],
          },
          { name: "x", exchange: "same", exchangeType: "fanout", groups: [{ name: "a" }] },
          { name: "y", exchange: "same", exchangeType: "topic", groups: [{ name: "a" }] },
          { name: "z", exchange: "", groups: [{ name: "a", bindings: ["k"] }] },
        ]),
      ),
    ).toEqual([
      'rabbitmq.topics[0].groups[0].bindings: group "a" on direct exchange "d" needs bindings: the routing keys it takes',
      'rabbitmq.topics[0].groups[1].bindings[0]: "x.*" is a pattern, but a direct exchange matches routing keys exactly (use a topic exchange for patterns)',
      "rabbitmq.topics[1].groups[0].bindings[0]: a headers exchange matches headers, not routing keys: write { headers: { …: … }, match: all }",
      'rabbitmq.topics[2].groups[0].bindings[0]: header matches work on headers exchanges only; "t" is a topic exchange',
      'rabbitmq.topics[3].groups[1].queue: queue "shared" is already the queue of group "a" of topic "e"; each group needs its own queue (consumers of one queue compete, so two groups would split its messages)',
      'rabbitmq.topics[3].groups[2].arguments: queue "theirs" exists already (existing: true), so mqa never declares it: remove arguments, or set it on the queue itself',
      'rabbitmq.topics[5].exchangeType: exchange "same" is declared by another topic as fanout, here as topic',
      'rabbitmq.topics[6].groups[0].bindings: the default exchange ("") routes by queue name and takes no bindings: remove them',
    ]);
  });
});
