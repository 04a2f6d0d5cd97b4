/**
 * RabbitMQ partitions (the `partitions` option) on the shared broker: a key's messages land on the partition
 * queue its hash names, the group's members split the partitions evenly (or, without balancing, one is active
 * on all while another stands by) and take a leaver's or a crashed member's partitions over, a dead
 * letter is redriven back to its key's partition, and a publisher with a larger count is refused, not lost.
 */
import { afterAll, describe, expect, it } from "vitest";
import { partitionForKey } from "../src/core/partition-key.js";
import { MqaError } from "../src/core/errors.js";
import { waitFor } from "../src/testing/mod.js";
import type { Delivery } from "../src/core/transport.js";
import { createAmqpTransport, type AmqpTransport } from "../src/transports/amqp/mod.js";
import type { PartitionedSubscription } from "../src/transports/amqp/partitioned-subscription.js";
import { AMQP_URL } from "./support/amqp.js";
import { uniqueName } from "./redis-helpers.js";

const N = 4;
const made: string[] = [];
afterAll(async () => {
  const { default: amqp } = await import("amqplib");
  const c = await amqp.connect(AMQP_URL);
  const ch = await c.createChannel();
  for (const topic of made) {
    for (let p = 0; p < N; p++) await ch.deleteQueue(`${topic}.g.p${p}`);
    await ch.deleteQueue(`${topic}.g.dlq`);
    await ch.deleteExchange(topic);
  }
  await c.close();
});

function topicName(): string {
  const t = uniqueName("amqp-partitions");
  made.push(t);
  return t;
}

async function queueDepth(queue: string): Promise<number> {
  const { default: amqp } = await import("amqplib");
  const c = await amqp.connect(AMQP_URL);
  try {
    const ch = await c.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await c.close();
  }
}

const body = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("RabbitMQ partitions", () => {
  it("routes each key to the partition queue FNV-1a(key) mod N names", async () => {
    const topic = topicName();
    const t = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    try {
      await t.declare({ topic, group: "g" });
      const keys = Array.from({ length: 20 }, (_, i) => `customer-${i}`);
      for (const key of keys) await t.publish(topic, { key, payload: body(key) });
      const expected = Array.from(
        { length: N },
        (_, p) => keys.filter((k) => partitionForKey(k, N) === p).length,
      );
      await waitFor(
        async () =>
          (await Promise.all(expected.map((_, p) => queueDepth(`${topic}.g.p${p}`)))).join() ===
          expected.join(),
        10_000,
        "every key on its partition",
      );
      expect(expected.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await t.close();
    }
  });

  it("without balancing: the earliest consumer is active on every partition; the standby takes over when it leaves", async () => {
    const topic = topicName();
    const options = { url: AMQP_URL, partitions: { [topic]: N }, partitionBalance: false as const };
    const a = createAmqpTransport(options);
    const b = createAmqpTransport(options);
    const seen: string[] = [];
    try {
      const subA = await a.subscribe(topic, "g", async (d) => {
        seen.push(`a:${text(d.message.payload)}`);
        await d.ack();
      });
      await b.subscribe(topic, "g", async (d) => {
        seen.push(`b:${text(d.message.payload)}`);
        await d.ack();
      });
      for (let i = 0; i < 20; i++) await a.publish(topic, { key: `k${i}`, payload: body(`1-${i}`) });
      await waitFor(() => seen.length === 20, 10_000, "the first 20");
      expect(new Set(seen.map((s) => s.split(":")[0]))).toEqual(new Set(["a"])); // b stands by
      await subA.close();
      for (let i = 0; i < 20; i++) await b.publish(topic, { key: `k${i}`, payload: body(`2-${i}`) });
      await waitFor(() => seen.length === 40, 10_000, "the next 20");
      expect(new Set(seen.slice(20).map((s) => s.split(":")[0]))).toEqual(new Set(["b"]));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("balanced: members split the partitions evenly, a leaver's go to the others at once, a crashed member's after its timeout", async () => {
    const topic = topicName();
    const balance = { heartbeatMs: 100, memberTimeoutMs: 600 };
    const options = { url: AMQP_URL, partitions: { [topic]: N }, partitionBalance: balance };
    const transports = ["a", "b", "c"].map(() => createAmqpTransport(options));
    const [a, b, c] = transports as [AmqpTransport, AmqpTransport, AmqpTransport];
    /** Which member handled each partition, per phase. */
    let phase = "";
    const handled: { phase: string; member: string; partition: number }[] = [];
    const handler = (member: string) => async (d: Delivery) => {
      handled.push({ phase, member, partition: partitionForKey(d.message.key, N) });
      await d.ack();
    };
    const owners = (p: string) => {
      const byPartition = new Map<number, Set<string>>();
      for (const h of handled.filter((x) => x.phase === p))
        byPartition.set(h.partition, (byPartition.get(h.partition) ?? new Set()).add(h.member));
      return byPartition;
    };
    /** Publish 40 keyed messages (every partition gets some) and wait until all are handled. */
    const round = async (name: string) => {
      phase = name;
      for (let i = 0; i < 40; i++) await a.publish(topic, { key: `k${i}`, payload: body(`${name}-${i}`) });
      await waitFor(() => handled.filter((x) => x.phase === name).length === 40, 15_000, `round ${name}`);
      return owners(name);
    };
    const partitionsOf = (byPartition: Map<number, Set<string>>, member: string) =>
      [...byPartition].filter(([, m]) => m.has(member)).map(([p]) => p);
    try {
      const subA = (await a.subscribe(topic, "g", handler("a"))) as PartitionedSubscription;
      const subB = (await b.subscribe(topic, "g", handler("b"))) as PartitionedSubscription;
      await waitFor(
        () => subA.balancer!.ownedPartitions.length === 2 && subB.balancer!.ownedPartitions.length === 2,
        10_000,
        "two members owning two partitions each",
      );
      const two = await round("two");
      // Every partition handled by exactly one member, two partitions each.
      expect([...two.values()].every((m) => m.size === 1)).toBe(true);
      expect(partitionsOf(two, "a")).toHaveLength(2);
      expect(partitionsOf(two, "b")).toHaveLength(2);

      const subC = (await c.subscribe(topic, "g", handler("c"))) as PartitionedSubscription;
      const subs = [subA, subB, subC];
      // 4 partitions over 3 members: 2, 1, 1, each partition owned once.
      await waitFor(
        () =>
          subs.every((x) => x.balancer!.view.length === 3) &&
          subs
            .map((x) => x.balancer!.ownedPartitions.length)
            .sort()
            .join() === "1,1,2" &&
          new Set(subs.flatMap((x) => x.balancer!.ownedPartitions)).size === N,
        10_000,
        "a and b giving c its share",
      );
      const three = await round("three");
      expect(new Set([...three.values()].flatMap((m) => [...m]))).toEqual(new Set(["a", "b", "c"]));

      // A graceful leave: its partitions move at once (no wait for a timeout).
      await subA.close();
      await waitFor(() => subB.balancer!.view.length === 2, 5_000, "a's leave seen by b");
      const left = await round("after-leave");
      expect(partitionsOf(left, "a")).toEqual([]);
      expect(new Set([...left.values()].flatMap((m) => [...m]))).toEqual(new Set(["b", "c"]));

      // A crash (the transport's socket dropped, no leave said): b and c go on after memberTimeoutMs.
      const dropped = subB.balancer!.stats.rebalances;
      await c.abort();
      await waitFor(() => subB.balancer!.ownedPartitions.length === N, 10_000, "b owning every partition");
      expect(subB.balancer!.stats.rebalances).toBeGreaterThan(dropped);
      const alone = await round("alone");
      expect(new Set([...alone.values()].flatMap((m) => [...m]))).toEqual(new Set(["b"]));
      expect(alone.size).toBe(N);
    } finally {
      await Promise.all(transports.map((t) => t.close()));
    }
  });

  it("dead-letters every partition into one DLQ and redrives a message to its key's partition", async () => {
    const topic = topicName();
    const t = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    try {
      await t.declare({ topic, group: "g" });
      const key = "customer-7";
      const sub = await t.subscribe(topic, "g", (d) => d.deadLetter({ reason: "unrecoverable" }));
      await t.publish(topic, { key, payload: body("x") });
      await waitFor(
        async () => (await t.countDeadLetters(topic, "g")).count === 1,
        10_000,
        "the dead letter",
      );
      await sub.close();
      const result = await t.walkDeadLetters(topic, "g", (entry) => ({
        action: "redrive",
        topic,
        group: "g",
        message: { id: entry.message.id, key: entry.message.key, payload: entry.message.payload },
      }));
      expect(result.redriven).toBe(1);
      await waitFor(
        async () => (await queueDepth(`${topic}.g.p${partitionForKey(key, N)}`)) === 1,
        10_000,
        "the redriven message on its partition",
      );
    } finally {
      await t.close();
    }
  });

  it("refuses a publish routed to a partition that does not exist (a larger count), never drops it", async () => {
    const topic = topicName();
    const right = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: N } });
    const wrong = createAmqpTransport({ url: AMQP_URL, partitions: { [topic]: 64 } });
    try {
      await right.declare({ topic, group: "g" });
      const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => partitionForKey(k, 64) >= N)!;
      const err = await wrong.publish(topic, { key, payload: body("x") }).catch((e: unknown) => e);
      expect(MqaError.is(err, "unroutable")).toBe(true);
    } finally {
      await right.close();
      await wrong.close();
    }
  });
});
