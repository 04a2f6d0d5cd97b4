import { describe, expect, it } from "vitest";
import type { Alert } from "./alerts.js";
import { buildView, ConsoleFeed, HistoryRing } from "./console.js";
import type { QueueStatus, Snapshot } from "./snapshot.js";

const q = (over: Partial<QueueStatus> & Pick<QueueStatus, "scope" | "name">): QueueStatus => ({
  broker: "redis",
  role: "work",
  backlog: 0,
  inFlight: 0,
  consumers: 1,
  publishRate: undefined,
  ackRate: undefined,
  ...over,
});

const snap = (queues: QueueStatus[], at = "2026-12-03T10:00:00.000Z"): Snapshot => ({
  at,
  target: "redis://127.0.0.1:6379",
  queues,
  gaps: [],
});

describe("HistoryRing", () => {
  it("keeps the newest `capacity` points, oldest first", () => {
    const ring = new HistoryRing(3);
    const total = { backlog: 0, inFlight: 0, publishRate: null, deliverRate: null, ackRate: null, lag: null };
    for (let t = 1; t <= 5; t++) ring.push({ t, points: {}, total });
    expect(ring.toArray().map((p) => p.t)).toEqual([3, 4, 5]);
    expect(ring.length).toBe(3);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new HistoryRing(0)).toThrow(/positive integer/);
    expect(() => new HistoryRing(2.5)).toThrow(/positive integer/);
  });
});

describe("buildView", () => {
  it("shows a partitioned Redis topic as one topic, one row per group, with its dead-letter queue", () => {
    const queues = [0, 1].flatMap((p) => [
      q({
        scope: `mqa:{orders#${p}}`,
        name: "billing",
        backlog: 2 + p,
        inFlight: 1,
        lag: 2 + p,
        publishRate: 10,
        deliverRate: 4,
        ackRate: 3,
        address: { topic: "orders", group: "billing" },
      }),
      q({
        scope: `mqa:{orders#${p}}`,
        name: "audit",
        backlog: 0,
        lag: 0,
        publishRate: 10,
        address: { topic: "orders", group: "audit" },
      }),
    ]);
    queues.push(
      q({
        scope: "mqa:{orders}:dlq:billing",
        name: "-",
        role: "dead-letter",
        backlog: 5,
        consumers: 0,
        address: { topic: "orders", group: "billing" },
        deadLetters: {
          commands: { stats: "mqa dlq stats x", redrive: "mqa dlq redrive x" },
          byReason: [
            { reason: "max-attempts", count: 3 },
            { reason: "invalid-payload", count: 2 },
          ],
          sampled: 5,
        },
      }),
      q({ scope: "events", name: "reader", backlog: 1 }),
    );
    const view = buildView(snap(queues), []);
    expect(view.topics).toHaveLength(1);
    const [topic] = view.topics;
    expect(topic?.topic).toBe("orders");
    expect(topic?.scope).toBe("mqa:{orders#0..1}");
    expect(topic?.groups.map((g) => g.group)).toEqual(["audit", "billing"]);
    const billing = topic?.groups.find((g) => g.group === "billing");
    expect(billing?.queue).toMatchObject({ backlog: 5, inFlight: 2, consumers: 2, lag: 5, deliverRate: 8 });
    expect(billing?.deadLetter).toMatchObject({ role: "dead-letter", backlog: 5 });
    expect(view.other.map((o) => o.resource)).toEqual(["events#reader"]);
    expect(view.deadLetters).toEqual([
      expect.objectContaining({ count: 5, redrive: "mqa dlq redrive x", sampled: 5 }),
    ]);
    // The publish rate is per stream, repeated on each group: the total counts each stream once.
    expect(view.total).toMatchObject({
      backlog: 6,
      inFlight: 2,
      publishRate: 20,
      deliverRate: 8,
      ackRate: 6,
    });
    expect(Object.keys(view.points)).toHaveLength(4);
  });

  it("folds RabbitMQ delay levels into one line and marks rows by their worst alert", () => {
    const rabbit = (over: Partial<QueueStatus> & Pick<QueueStatus, "name">): QueueStatus =>
      q({ broker: "rabbitmq", scope: "/", ...over });
    const queues = [
      rabbit({
        name: "orders.billing",
        backlog: 7,
        consumers: 0,
        address: { topic: "orders", group: "billing" },
      }),
      rabbit({ name: "mqa.delay.l00", role: "delay", backlog: 3, consumers: 0 }),
      rabbit({ name: "mqa.delay.l01", role: "delay", backlog: 0, consumers: 0 }),
    ];
    const alerts: Alert[] = [
      {
        kind: "backlog-without-consumers",
        severity: "critical",
        resource: "orders.billing",
        message: "m",
        fix: "f",
      },
    ];
    const view = buildView(snap(queues), alerts);
    expect(view.delay).toEqual({ levels: 2, backlog: 3, busyLevels: 1 });
    expect(view.topics[0]?.groups[0]?.queue.severity).toBe("critical");
    expect(view.topics[0]?.groups[0]?.queue.lag).toBe(7);
    expect(view.other).toEqual([]);
  });
});

describe("ConsoleFeed", () => {
  const alert: Alert = {
    kind: "backlog-without-consumers",
    severity: "critical",
    resource: "s#g",
    message: "m",
    fix: "f",
  };
  const state = (at: string, alerts: Alert[], samples: number) => ({
    snapshot: snap([q({ scope: "s", name: "g", backlog: 1 })], at),
    alerts,
    error: undefined,
    samples,
  });

  it("keeps when an alert was first raised while it lasts, and tells every subscriber", () => {
    const feed = new ConsoleFeed("redis://x", 1000, 10);
    const heard: number[] = [];
    const stop = feed.subscribe((s) => heard.push(s.samples));
    feed.update(state("2026-12-03T10:00:00.000Z", [alert], 1));
    feed.update(state("2026-12-03T10:00:01.000Z", [alert], 2));
    expect(feed.state().alerts[0]?.since).toBe(Date.parse("2026-12-03T10:00:00.000Z"));
    feed.update(state("2026-12-03T10:00:02.000Z", [], 3));
    feed.update(state("2026-12-03T10:00:03.000Z", [alert], 4));
    expect(feed.state().alerts[0]?.since).toBe(Date.parse("2026-12-03T10:00:03.000Z"));
    stop();
    feed.update(state("2026-12-03T10:00:04.000Z", [], 5));
    expect(heard).toEqual([1, 2, 3, 4]);
    expect(feed.history().points.map((p) => p.t % 10_000)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it("a failed sample says why and adds no point", () => {
    const feed = new ConsoleFeed("redis://x", 1000, 10);
    feed.update(state("2026-12-03T10:00:00.000Z", [], 1));
    feed.update({ snapshot: undefined, alerts: [], error: "connection refused", samples: 2 });
    expect(feed.state()).toMatchObject({ error: "connection refused", point: null, samples: 2 });
    expect(feed.state().topics).toEqual([]);
    expect(feed.state().other).toHaveLength(1);
    expect(feed.history().points).toHaveLength(1);
  });
});
