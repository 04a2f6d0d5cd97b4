/**
 * The console's model against the real brokers: a monitor sampling Redis and RabbitMQ groups what it finds
 * as topics → groups → dead-letter queue, measures deliver and ack rates from the brokers' own counters,
 * reads the broker's health, and keeps a history of bounded length.
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { BrokerApiError } from "../src/brokers/errors.js";
import { waitFor } from "../src/brokers/local/wait.js";
import { Monitor } from "../src/monitor/monitor.js";
import { RabbitSampler } from "../src/monitor/rabbitmq.js";
import { RedisSampler } from "../src/monitor/redis.js";
import type { Sampler } from "../src/monitor/monitor.js";
import type { Snapshot } from "../src/monitor/snapshot.js";
import { createAmqpTransport } from "../src/transports/amqp/mod.js";
import { AMQP_URL, testTopics } from "./support/amqp.js";
import { RABBIT_MANAGEMENT_URL, REDIS_URL, cleanupRedis, uniqueName } from "./support/topology.js";

const topic = uniqueName("moncon");
afterAll(() => cleanupRedis(`mqa:{${topic}`));

/** A sampler that retries the management API's occasional 500 (other tests delete queues meanwhile). */
function patient(sampler: Sampler): Sampler {
  return {
    target: sampler.target,
    sample: async (): Promise<Snapshot> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await sampler.sample();
        } catch (err) {
          if (attempt < 5 && err instanceof BrokerApiError && (err.status ?? 0) >= 500) continue;
          throw err;
        }
      }
    },
    close: () => sampler.close?.() ?? Promise.resolve(),
  };
}

describe("the console's model on Redis", () => {
  it("groups a partitioned topic's groups with their DLQ, and measures delivery and acks from the group's counters", async () => {
    const r = new Redis(REDIS_URL);
    const streams = [0, 1].map((p) => `mqa:{${topic}#${p}}`);
    const dlq = `mqa:{${topic}}:dlq:billing`;
    const monitor = new Monitor(new RedisSampler(REDIS_URL, { match: `mqa:{${topic}*` }), {
      intervalMs: 1000,
      history: 3,
    });
    try {
      for (const s of streams) {
        await r.xgroup("CREATE", s, "billing", "$", "MKSTREAM");
        await r.xgroup("CREATE", s, "audit", "$");
        for (let i = 0; i < 10; i++) await r.xadd(s, "*", "p", String(i));
      }
      await r.xadd(dlq, "*", "reason", "max-attempts", "p", "x");
      await monitor.sampleOnce();

      // billing reads 6 entries of partition 0 and acknowledges 4 of them.
      const read = (await r.xreadgroup(
        "GROUP",
        "billing",
        "c1",
        "COUNT",
        6,
        "STREAMS",
        streams[0]!,
        ">",
      )) as [string, [string, string[]][]][];
      const ids = read[0]![1].map(([id]) => id);
      await r.xack(streams[0]!, "billing", ...ids.slice(0, 4));
      await monitor.sampleOnce();

      const state = monitor.console.state();
      expect(state.topics).toHaveLength(1);
      const t = state.topics[0]!;
      expect(t.topic).toBe(topic);
      expect(t.scope).toBe(`mqa:{${topic}#0..1}`);
      expect(t.groups.map((g) => g.group)).toEqual(["audit", "billing"]);
      const billing = t.groups.find((g) => g.group === "billing")!;
      expect(billing.queue).toMatchObject({ backlog: 14, lag: 14, inFlight: 2, consumers: 1 });
      expect(billing.queue.deliverRate).toBeGreaterThan(0);
      expect(billing.queue.ackRate).toBeGreaterThan(0);
      // 6 delivered, 4 acknowledged: the rates keep that ratio.
      expect(billing.queue.ackRate! / billing.queue.deliverRate!).toBeCloseTo(4 / 6, 5);
      expect(billing.deadLetter).toMatchObject({ role: "dead-letter", backlog: 1 });
      expect(state.deadLetters[0]).toMatchObject({
        count: 1,
        byReason: [{ reason: "max-attempts", count: 1 }],
      });
      expect(state.deadLetters[0]!.redrive).toContain(`--topic ${topic} --group billing`);
      expect(state.health).toMatchObject({ broker: "redis", role: "master" });
      expect(state.health!.version).toMatch(/^\d+\.\d+/);
      expect(state.health!.connections).toBeGreaterThanOrEqual(2);

      // The history is a ring: three samples kept of four taken.
      await monitor.sampleOnce();
      await monitor.sampleOnce();
      const history = monitor.console.history();
      expect(history.capacity).toBe(3);
      expect(history.points).toHaveLength(3);
      expect(history.points.at(-1)!.points[billing.queue.id]).toMatchObject({ backlog: 14, inFlight: 2 });
      expect(history.points.at(-1)!.total.backlog).toBe(14 + 20);
    } finally {
      await monitor.stop();
      r.disconnect();
    }
  }, 30_000);
});

describe("the console's model on RabbitMQ", () => {
  const topicOf = testTopics("mon.console", ["billing"]);

  it("groups the exchange's queue with its DLQ, folds the delay levels and reads the nodes", async () => {
    const t0 = topicOf(); // a dot inside the topic: the split comes from the bindings, not from the dots
    const transport = createAmqpTransport({ url: AMQP_URL, initialConnectTimeoutMs: 5000 });
    try {
      await transport.declare({ topic: t0, group: "billing" });
      for (let i = 0; i < 3; i++)
        await transport.publish(t0, { id: `m${i}`, payload: Buffer.from(`{"i":${i}}`) });
    } finally {
      await transport.close();
    }
    const monitor = new Monitor(patient(new RabbitSampler(RABBIT_MANAGEMENT_URL)), { intervalMs: 1000 });
    try {
      await waitFor(
        async () => {
          await monitor.sampleOnce();
          const g = monitor.console.state().topics.find((x) => x.topic === t0)?.groups[0];
          return g?.queue.backlog === 3;
        },
        30_000,
        "the management API to report the group's messages",
      );
      const state = monitor.console.state();
      const t = state.topics.find((x) => x.topic === t0)!;
      expect(t.scope).toBe("/");
      expect(t.groups).toHaveLength(1);
      expect(t.groups[0]).toMatchObject({
        group: "billing",
        queue: { name: `${t0}.billing`, role: "work", consumers: 0, severity: "critical", lag: 3 },
        deadLetter: { name: `${t0}.billing.dlq`, role: "dead-letter", backlog: 0 },
      });
      // mqa's delay levels are one line, never rows among the user's queues.
      expect(state.delay?.levels).toBeGreaterThan(0);
      const rows = [
        ...state.topics.flatMap((x) => x.groups.map((g) => g.queue.name)),
        ...state.other.map((o) => o.name),
      ];
      expect(rows.some((n) => n.startsWith("mqa.delay."))).toBe(false);
      expect(state.health).toMatchObject({ broker: "rabbitmq" });
      expect(state.health!.version).toMatch(/^\d+\.\d+/);
      expect(state.health!.connections).toBeGreaterThanOrEqual(0);
      expect(state.health!.nodes.length).toBeGreaterThanOrEqual(1);
      expect(state.health!.nodes[0]).toMatchObject({
        running: true,
        memoryAlarm: false,
        diskAlarm: false,
        partitions: [],
      });
      expect(state.health!.nodes[0]!.memoryUsedBytes).toBeGreaterThan(0);
      expect(state.alerts.find((a) => a.resource === `${t0}.billing`)).toMatchObject({
        kind: "backlog-without-consumers",
        since: state.at,
      });
      expect(JSON.stringify(state)).not.toContain("guest:guest");
    } finally {
      await monitor.stop();
    }
  }, 60_000);
});
