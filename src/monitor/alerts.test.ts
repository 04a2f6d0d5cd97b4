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

describe("broker health alerts", () => {
  const node = (over: Partial<NonNullable<Snapshot["health"]>["nodes"][number]>) => ({
    name: "rabbit@a",
    running: true,
    memoryAlarm: false,
    diskAlarm: false,
    partitions: [],
    ...over,
  });
  const withHealth = (broker: "rabbitmq" | "redis", ...nodes: ReturnType<typeof node>[]): Snapshot => ({
    ...snap(),
    health: { broker, nodes },
  });

  it("raises nothing for healthy nodes", () => {
    expect(evaluate(withHealth("rabbitmq", node({}), node({ name: "rabbit@b" })), undefined)).toEqual([]);
  });

  it("names the node down, the alarms that block publishers and a partition, each critical with a fix", () => {
    const alerts = evaluate(
      withHealth(
        "rabbitmq",
        node({
          name: "rabbit@a",
          memoryAlarm: true,
          memoryUsedBytes: 3 * 2 ** 30,
          memoryLimitBytes: 3 * 2 ** 30,
        }),
        node({ name: "rabbit@b", diskAlarm: true, partitions: ["rabbit@c"] }),
        node({ name: "rabbit@c", running: false, memoryAlarm: true }),
      ),
      undefined,
    );
    expect(alerts.map((a) => [a.kind, a.resource])).toEqual([
      ["broker-memory-alarm", "rabbit@a"],
      ["broker-disk-alarm", "rabbit@b"],
      ["network-partition", "rabbit@b"],
      ["node-down", "rabbit@c"],
    ]);
    expect(alerts.every((a) => a.severity === "critical" && a.fix.length > 20)).toBe(true);
    expect(alerts[0]?.message).toBe(
      "memory alarm on rabbit@a (3072 MiB of 3072 MiB): every publishing connection is blocked",
    );
    expect(alerts[2]?.message).toContain("cannot reach rabbit@c");
  });

  it("on Redis, maxmemory reached is the memory alarm, with Redis's own fix", () => {
    const [alert] = evaluate(withHealth("redis", node({ name: "redis:6379", memoryAlarm: true })), undefined);
    expect(alert?.message).toContain("maxmemory");
    expect(alert?.fix).toContain("noeviction");
  });
});
