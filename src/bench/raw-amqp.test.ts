import { describe, expect, it } from "vitest";
import { planGroupTopology } from "../transports/amqp/layout.js";
import { rawQueueDeclaration } from "./raw-amqp.js";

describe("rawQueueDeclaration", () => {
  it("same: exactly the queue arguments mqa declares for a group, with its dead-letter queue", () => {
    const d = rawQueueDeclaration("mqa.bench.x", "quorum", "same", "3.10.8");
    const mqa = planGroupTopology(
      { topic: "mqa.bench.x", group: "raw", deadLetter: true },
      { queueType: "quorum", brokerVersion: "3.10.8" },
    ).queues.find((q) => q.name === "mqa.bench.x.raw");
    expect(d.arguments).toEqual(mqa?.arguments);
    expect(d.arguments).toMatchObject({
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": "mqa.dlx",
      "x-dead-letter-routing-key": "mqa.bench.x.raw",
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
      "x-delivery-limit": 20,
    });
    expect(d.deadLetter).toEqual({
      exchange: "mqa.dlx",
      queue: "mqa.bench.x.raw.dlq",
      routingKey: "mqa.bench.x.raw",
    });
  });

  it("plain: the queue type only, no dead-letter queue", () => {
    const d = rawQueueDeclaration("mqa.bench.x", "classic", "plain", "3.10.8");
    expect(d).toEqual({ queue: "mqa.bench.x.raw", arguments: { "x-queue-type": "classic" } });
  });

  it("follows the broker version as mqa does (no at-least-once strategy before 3.10)", () => {
    const d = rawQueueDeclaration("mqa.bench.x", "quorum", "same", "3.9.0");
    expect(d.arguments["x-dead-letter-strategy"]).toBeUndefined();
  });
});
