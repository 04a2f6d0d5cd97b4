import { describe, expect, it } from "vitest";
import { evaluate, resourceOf } from "./alerts.js";
import { looksLikeDeadLetters, type QueueStatus, type Snapshot } from "./snapshot.js";

const q = (over: Partial<QueueStatus>): QueueStatus => ({
  broker: "rabbitmq",
  scope: "/",
  name: "orders",
  role: "work",
  backlog: 0,
  inFlight: 0,
  consumers: 1,
  publishRate: undefined,
  ackRate: undefined,
  ...over,
});
const snap = (...queues: QueueStatus[]): Snapshot => ({ at: "", target: "t", queues, gaps: [] });

describe("monitor alerts", () => {
  it("never alerts on delay queues, whose messages wait on purpose with nobody consuming", () => {
    expect(
      evaluate(snap(q({ name: "mqa.delay.l07", role: "delay", backlog: 50, consumers: 0 })), undefined),
    ).toEqual([]);
  });

  it("counts growth from the previous sample, at the threshold and not below", () => {
    const before = snap(q({ backlog: 100 }));
    const kinds = (backlog: number): string[] =>
      evaluate(snap(q({ backlog })), before, { backlogGrowth: 50, stuckPendingMs: 1 }).map((a) => a.kind);
    expect(kinds(149)).toEqual([]);
    expect(kinds(150)).toEqual(["backlog-growing"]);
    // Without consumers the louder alert wins.
    expect(evaluate(snap(q({ backlog: 500, consumers: 0 })), before).map((a) => a.kind)).toEqual([
      "backlog-without-consumers",
    ]);
  });

  it("tells a new dead letter from an old one", () => {
    const dlq = (backlog: number): QueueStatus =>
      q({ name: "orders.dlq", role: "dead-letter", backlog, consumers: 0 });
    expect(evaluate(snap(dlq(0)), undefined)).toEqual([]);
    expect(evaluate(snap(dlq(2)), snap(dlq(2))).map((a) => a.kind)).toEqual(["dead-letters-present"]);
    expect(evaluate(snap(dlq(3)), snap(dlq(2))).map((a) => a.kind)).toEqual(["dead-letters-growing"]);
  });

  it("names resources the way operators write them", () => {
    expect(resourceOf(q({}))).toBe("orders");
    expect(resourceOf(q({ scope: "shop" }))).toBe("shop/orders");
    expect(resourceOf(q({ broker: "redis", scope: "mqa:{orders}", name: "billing" }))).toBe(
      "mqa:{orders}#billing",
    );
    expect(resourceOf(q({ broker: "redis", scope: "mqa:{orders}:dlq:billing", name: "-" }))).toBe(
      "mqa:{orders}:dlq:billing",
    );
  });

  it("recognises dead-letter names by convention, not by substring", () => {
    for (const name of [
      "orders.dlq",
      "mqa:{o}:dlq:g",
      "orders-dead-letter",
      "orders_deadletters",
      "DLQ.orders",
    ])
      expect(looksLikeDeadLetters(name), name).toBe(true);
    for (const name of ["orders", "dlqueue", "handle-deadlines", "mqa:{audit.dlq-2}", "mqa:{x-dlq}:retry:g"])
      expect(looksLikeDeadLetters(name), name).toBe(false);
  });
});
