import { describe, expect, it } from "vitest";
import { runAudit } from "../../src/audit/engine.js";
import { addQueue, cleanDefs, cleanLive, rabbitModel } from "./helpers.js";

// mqa's own delay levels are quorum queues that nobody consumes: messages leave them by expiring into
// their dead-letter exchange, so a delivery limit means nothing there and must not be demanded.
describe("delivery-limit rule and delay queues", () => {
  const delayArgs = {
    "x-queue-type": "quorum",
    "x-message-ttl": 1024,
    "x-dead-letter-exchange": "mqa.delay.l09",
  };

  it("does not flag a TTL + DLX queue without consumers", () => {
    const d = cleanDefs();
    addQueue(d, "mqa.delay.l10", delayArgs);
    const hits = runAudit(rabbitModel(d)).filter((f) => f.ruleId === "rmq-delivery-limit-disabled");
    expect(hits.map((f) => f.resource)).not.toContain(expect.stringContaining("mqa.delay.l10"));
    expect(JSON.stringify(hits)).not.toContain("mqa.delay.l10");
  });

  it("still flags such a queue once something consumes it", () => {
    const d = cleanDefs();
    // A 3.x broker: 4.x gives quorum queues a delivery limit by default, so nothing would be missing there.
    d.rabbit_version = d.rabbitmq_version = "3.13.7";
    addQueue(d, "mqa.delay.l10", delayArgs);
    const live = cleanLive();
    live.rabbitmqVersion = "3.13.7";
    live.queues.push({
      vhost: "orders",
      name: "mqa.delay.l10",
      messages: 0,
      messagesUnacked: 0,
      consumers: 1,
    });
    const hits = runAudit(rabbitModel(d, live)).filter((f) => f.ruleId === "rmq-delivery-limit-disabled");
    expect(JSON.stringify(hits)).toContain("mqa.delay.l10");
  });

  it("does not ask a delay queue for a length limit, which would refuse retries", () => {
    const d = cleanDefs();
    addQueue(d, "mqa.delay.l10", delayArgs);
    addQueue(d, "orders.unbounded", { "x-queue-type": "quorum" });
    const hits = runAudit(rabbitModel(d)).filter((f) => f.ruleId === "rmq-no-length-limit");
    expect(JSON.stringify(hits)).not.toContain("mqa.delay.l10");
    expect(JSON.stringify(hits)).toContain("orders.unbounded");
  });
});
