import { describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../core/errors.js";
import { partitionForKey } from "../../core/partition-key.js";
import { validateSpec } from "../../spec/parse.js";
import { specToDefinitions } from "../../topology/expand-rabbit.js";
import { planToResources } from "../../topology/rabbit-conventions.js";
import { partitionForKey as redisPartitionForKey } from "../redis/layout.js";
import { AmqpAddressing } from "./addressing.js";
import { planGroupTopology } from "./topology-plan.js";

describe("partitionForKey (shared by Redis and RabbitMQ)", () => {
  it("is FNV-1a 32 of the UTF-8 key, modulo the count", () => {
    // Published FNV-1a 32-bit test vectors: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect(partitionForKey("a", 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(partitionForKey("foobar", 1000)).toBe(0xbf9cf968 % 1000);
    expect(partitionForKey("", 7)).toBe(0x811c9dc5 % 7);
    expect(partitionForKey(undefined, 4, 6)).toBe(2);
    expect(redisPartitionForKey).toBe(partitionForKey);
  });
});

describe("partitioned groups on RabbitMQ", () => {
  it("plans N single-active-consumer quorum queues bound p<n>.#, retrying to themselves, with one DLQ", () => {
    const plan = planGroupTopology(
      { topic: "orders", group: "billing", partitions: 3 },
      { brokerVersion: "3.10.8" },
    );
    const group = plan.queues.filter((q) => q.name.startsWith("orders.billing"));
    expect(group.map((q) => q.name).sort()).toEqual([
      "orders.billing.dlq",
      "orders.billing.p0",
      "orders.billing.p1",
      "orders.billing.p2",
    ]);
    for (let p = 0; p < 3; p++) {
      const q = group.find((x) => x.name === `orders.billing.p${p}`)!;
      expect(q.arguments).toMatchObject({
        "x-queue-type": "quorum",
        "x-single-active-consumer": true,
        "x-dead-letter-exchange": "mqa.dlx",
        "x-dead-letter-routing-key": `orders.billing.p${p}`,
      });
      const to = plan.bindings.filter((b) => b.destination === q.name).map((b) => [b.source, b.routingKey]);
      expect(to).toContainEqual(["orders", `p${p}.#`]);
      expect(
        to.some(([source, key]) => source === "mqa.delay.deliver" && key?.endsWith(q.name) === true),
      ).toBe(true);
      expect(plan.bindings).toContainEqual(
        expect.objectContaining({ source: "mqa.dlx", destination: "orders.billing.dlq", routingKey: q.name }),
      );
    }
    expect(plan.bindings.some((b) => b.source === "orders" && b.routingKey === "#")).toBe(false);
  });

  it("refuses what cannot be partitioned, saying what and where", () => {
    const attempt =
      (extra: object, options: object = {}) =>
      () =>
        planGroupTopology({ topic: "t", group: "g", partitions: 4, ...extra }, options);
    expect(attempt({ exchangeType: "direct", bindings: [{ routingKey: "x" }] })).toThrow(
      /group 'g' of topic 't' \(partitions: 4\): partitions need a topic exchange .*, not a direct exchange/,
    );
    expect(attempt({ exchange: "" })).toThrow(/not the default exchange/);
    expect(attempt({ declareQueue: false })).toThrow(/an existing queue cannot be partitioned/);
    expect(attempt({ bindings: [{ routingKey: "a.#" }] })).toThrow(/remove the group's bindings/);
    expect(attempt({}, { queueType: "stream" })).toThrow(InvalidOptionsError);
  });

  it("routes a key to p<hash mod n>.<key>, a keyless message round robin", () => {
    const a = new AmqpAddressing(undefined, "/", undefined, "quorum", { orders: 8 });
    expect(a.partitionsOf("orders")).toBe(8);
    expect(a.partitionsOf("other")).toBe(1);
    expect(a.routingKeyFor("orders", "cust.42")).toBe(`p${partitionForKey("cust.42", 8)}.cust.42`);
    expect(a.routingKeyFor("other", "cust.42")).toBe("cust.42");
    expect([0, 1, 2].map(() => a.routingKeyFor("orders", undefined))).toEqual(["p0", "p1", "p2"]);
    expect(a.layout("orders", "billing", true)).toMatchObject({
      queue: "orders.billing",
      deadLetterQueue: "orders.billing.dlq",
      queues: Array.from({ length: 8 }, (_, p) => `orders.billing.p${p}`),
    });
  });

  it("refuses the partitions option next to a spec (the spec says partitions)", () => {
    const spec = validateSpec({
      version: 1,
      rabbitmq: { vhosts: [{ name: "/" }], topics: [{ name: "t", groups: [{ name: "g" }] }] },
    });
    expect(() => new AmqpAddressing(spec, "/", undefined, "quorum", { t: 2 })).toThrow(
      /set partitions on the spec's rabbitmq.topics/,
    );
  });

  it("a spec topic with partitions expands (mqa topology) to exactly what the transport declares", () => {
    const spec = validateSpec({
      version: 1,
      rabbitmq: {
        vhosts: [{ name: "/" }],
        topics: [{ name: "orders", partitions: 4, groups: [{ name: "billing" }, { name: "audit" }] }],
      },
    });
    const defs = specToDefinitions(spec, { brokerVersion: "3.10.8" });
    const addressing = new AmqpAddressing(spec, "/");
    const transport = ["billing", "audit"].map((group) =>
      planToResources(
        planGroupTopology(
          { topic: "orders", group, partitions: addressing.specGroup("orders", group)!.partitions },
          { brokerVersion: "3.10.8" },
        ),
        "/",
      ),
    );
    const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name).sort();
    expect(names(defs.queues)).toEqual([...new Set(transport.flatMap((t) => names(t.queues)))].sort());
    for (const t of transport) for (const b of t.bindings) expect(defs.bindings).toContainEqual(b);
    expect(names(defs.queues).filter((n) => /^orders\.billing\.p\d$/.test(n))).toHaveLength(4);
    expect(addressing.routingKeyFor("orders", "k")).toBe(`p${partitionForKey("k", 4)}.k`);
  });

  it("a spec that partitions what cannot be partitioned fails validation at the topic's path", () => {
    expect(() =>
      validateSpec({
        version: 1,
        rabbitmq: {
          vhosts: [{ name: "/" }],
          topics: [{ name: "t", partitions: 2, groups: [{ name: "g", bindings: ["a.#"] }] }],
        },
      }),
    ).toThrow(/rabbitmq\.topics\[0\]\.partitions.*bound by mqa/s);
  });
});
