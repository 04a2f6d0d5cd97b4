import { describe, expect, it } from "vitest";
import { InvalidSpecError } from "./errors.js";
import { validateSpec } from "./parse.js";
import { rabbitHistories, streamMaxAge } from "./rabbit-history.js";

const spec = (topic: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  version: 1,
  rabbitmq: {
    vhosts: [{ name: "/" }],
    topics: [{ name: "orders", groups: [{ name: "g" }], ...topic }],
    ...extra,
  },
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

describe("a topic's history", () => {
  it("is the stream queue <topic>.history with x-max-age and x-max-length-bytes, bound like a group", () => {
    const [h] = rabbitHistories(validateSpec(spec({ history: { maxAge: "7d", maxBytes: 5_000_000 } })));
    expect(h).toMatchObject({
      topic: "orders",
      queue: "orders.history",
      exchange: "orders",
      exchangeType: "topic",
      declareExchange: true,
      arguments: { "x-queue-type": "stream", "x-max-age": "7D", "x-max-length-bytes": 5_000_000 },
      bindings: [{ routingKey: "#", arguments: {} }],
    });
  });

  it("on a direct exchange takes the routing keys its groups are bound with", () => {
    const value = spec({
      exchangeType: "direct",
      groups: [
        { name: "a", bindings: ["paid", "shipped"] },
        { name: "b", bindings: ["paid"] },
      ],
      history: { maxAge: "1h" },
    });
    expect(rabbitHistories(validateSpec(value))[0]!.bindings.map((b) => b.routingKey)).toEqual([
      "paid",
      "shipped",
    ]);
  });

  it("writes max age in RabbitMQ's units, whole seconds only", () => {
    expect(streamMaxAge(7 * 86_400_000)).toBe("7D");
    expect(streamMaxAge(36 * 3_600_000)).toBe("36h");
    expect(streamMaxAge(90_000)).toBe("90s");
    expect(streamMaxAge(1500)).toBeUndefined();
    expect(streamMaxAge(500)).toBeUndefined();
  });

  it("is refused with its path when RabbitMQ could not keep it", () => {
    expect(issues(spec({ history: { maxAge: "500ms" } }))).toEqual([
      "rabbitmq.topics[0].history.maxAge: a stream keeps messages for whole seconds, at least 1s: not 500ms",
    ]);
    expect(issues(spec({ exchange: "", groups: [], history: { maxAge: "1d" } }))).toEqual([
      'rabbitmq.topics[0].history: the default exchange ("") cannot feed a history stream: give the topic an exchange',
    ]);
    expect(issues(spec({ exchangeType: "direct", groups: [], history: { maxAge: "1d" } }))[0]).toContain(
      "takes the routing keys of the topic's groups, and they bind none",
    );
    expect(issues(spec({ groups: [{ name: "history" }], history: { maxAge: "1d" } }))).toEqual([
      'rabbitmq.topics[0].history: queue "orders.history" (the topic\'s history) is already the queue of group "history" of topic "orders"',
    ]);
    expect(issues(spec({ history: { maxAge: "1d", keep: true } }))).toEqual([
      "rabbitmq.topics[0].history.keep: unknown key",
    ]);
  });
});
