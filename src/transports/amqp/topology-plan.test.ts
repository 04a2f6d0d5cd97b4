import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import {
  DEAD_LETTER_EXCHANGE,
  MAX_DELAY_MS,
  type TopologyPlan,
  delayRoute,
  mergePlans,
  planGroupTopology,
} from "./topology-plan.js";

/** RabbitMQ topic matching (`*` one word, `#` zero or more), to walk a plan like the broker would. */
function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split(".");
  const k = key.split(".");
  const walk = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === "#") return walk(i + 1, j) || (j < k.length && walk(i, j + 1));
    return j < k.length && (p[i] === "*" || p[i] === k[j]) && walk(i + 1, j + 1);
  };
  return walk(0, 0);
}

/** Follow a message through exchanges, delay queues (TTL + dead-lettering) to its final queues. */
function route(
  plan: TopologyPlan,
  exchange: string,
  key: string,
  waited = 0,
): { queue: string; waited: number }[] {
  const out: { queue: string; waited: number }[] = [];
  for (const b of plan.bindings.filter((b) => b.source === exchange && topicMatches(b.routingKey, key))) {
    if (b.destinationType === "exchange") {
      out.push(...route(plan, b.destination, key, waited));
      continue;
    }
    const q = plan.queues.find((q) => q.name === b.destination)!;
    const ttl = q.arguments["x-message-ttl"];
    if (typeof ttl === "number")
      out.push(...route(plan, String(q.arguments["x-dead-letter-exchange"]), key, waited + ttl));
    else out.push({ queue: q.name, waited });
  }
  return out;
}

describe("planGroupTopology", () => {
  it("builds the fixed model for T and G with quorum defaults", () => {
    const plan = planGroupTopology({ topic: "orders", group: "billing" }, { brokerVersion: "3.10.8" });
    expect(plan.exchanges.find((e) => e.name === "orders")).toMatchObject({ type: "topic", durable: true });
    expect(plan.queues.find((q) => q.name === "orders.billing")?.arguments).toEqual({
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
      "x-dead-letter-routing-key": "orders.billing",
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
      "x-delivery-limit": 20,
    });
    expect(plan.exchanges.find((e) => e.name === "mqa.dlx")?.type).toBe("direct");
    expect(plan.queues.find((q) => q.name === "orders.billing.dlq")?.arguments).toEqual({
      "x-queue-type": "quorum",
    });
    expect(plan.bindings).toContainEqual(
      expect.objectContaining({ source: "orders", destination: "orders.billing", routingKey: "#" }),
    );
    expect(plan.bindings).toContainEqual(
      expect.objectContaining({
        source: "mqa.dlx",
        destination: "orders.billing.dlq",
        routingKey: "orders.billing",
      }),
    );
  });

  it("adapts to the broker version: no at-least-once before 3.10, -1 for unlimited on 4.x", () => {
    const old = planGroupTopology({ topic: "t", group: "g" }, { brokerVersion: "3.9.29", retry: false });
    expect(old.queues[0]?.arguments["x-dead-letter-strategy"]).toBeUndefined();
    const v4 = planGroupTopology(
      { topic: "t", group: "g" },
      { brokerVersion: "4.1.0", deliveryLimit: "unlimited" },
    );
    expect(v4.queues[0]?.arguments["x-delivery-limit"]).toBe(-1);
    const v3 = planGroupTopology(
      { topic: "t", group: "g" },
      { brokerVersion: "3.13.7", deliveryLimit: "unlimited" },
    );
    expect(v3.queues[0]?.arguments["x-delivery-limit"]).toBeUndefined();
  });

  it("sets the quorum replica count on the group queue and its DLQ only when asked, never on classic queues", () => {
    const plan = planGroupTopology({ topic: "t", group: "g" }, { quorumReplicas: 3, retry: false });
    expect(plan.queues.map((q) => [q.name, q.arguments["x-quorum-initial-group-size"]])).toEqual([
      ["t.g", 3],
      ["t.g.dlq", 3],
    ]);
    const classic = planGroupTopology(
      { topic: "t", group: "g", deadLetter: false },
      { quorumReplicas: 3, queueType: "classic", retry: false },
    );
    expect(classic.queues[0]?.arguments).toEqual({ "x-queue-type": "classic" });
  });

  it("leaves out what is switched off, and streams never dead-letter", () => {
    const plan = planGroupTopology(
      { topic: "t", group: "g", deadLetter: false },
      { retry: false, queueType: "classic" },
    );
    expect(plan.queues.map((q) => q.name)).toEqual(["t.g"]);
    expect(plan.queues[0]?.arguments).toEqual({ "x-queue-type": "classic" });
    const stream = planGroupTopology({ topic: "t", group: "g" }, { queueType: "stream", retry: false });
    expect(stream.queues.map((q) => q.name)).toEqual(["t.g"]);
  });

  it("rejects names that would become wildcards or reserved names", () => {
    for (const topic of ["", "a.*.b", "#", "amq.x", "a..b"]) {
      expect(() => planGroupTopology({ topic, group: "g" })).toThrow(MqaError);
    }
  });

  it("declares only the delay levels the longest delay needs", () => {
    const short = planGroupTopology({ topic: "t", group: "g" }, { maxDelayMs: 1000 });
    expect(short.queues.filter((q) => q.name.startsWith("mqa.delay.")).length).toBe(10);
  });
});

describe("delay routing", () => {
  const plan = mergePlans(
    planGroupTopology({ topic: "orders", group: "billing" }, { maxDelayMs: MAX_DELAY_MS }),
    planGroupTopology({ topic: "orders", group: "billing.eu" }, { maxDelayMs: MAX_DELAY_MS }),
  );

  it("returns every delayed message to its own queue after exactly the delay", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_DELAY_MS }),
        fc.constantFrom("orders.billing", "orders.billing.eu"),
        (ms, queue) => {
          const r = delayRoute(ms, queue)!;
          expect(route(plan, r.exchange, r.routingKey)).toEqual([{ queue, waited: ms }]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("has no route for zero delays and refuses delays beyond the maximum", () => {
    expect(delayRoute(0, "q")).toBeUndefined();
    expect(() => delayRoute(MAX_DELAY_MS + 1, "q")).toThrow(MqaError);
  });

  it("rounds fractional delays up, never early", () => {
    const r = delayRoute(0.2, "orders.billing")!;
    expect(route(plan, r.exchange, r.routingKey)).toEqual([{ queue: "orders.billing", waited: 1 }]);
  });
});
