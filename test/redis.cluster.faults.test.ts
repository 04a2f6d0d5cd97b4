/**
 * Node loss on a private Redis Cluster (3 primaries, 3 replicas, cluster-node-timeout 2000, started here).
 *
 * 1. Under a steady publish and consume load on a 4-partition topic, with `durability: { replicas: 1 }`: the
 *    primary serving partition 0 is killed (its replica takes over) and partition 1's slot is moved to another
 *    primary. Every confirmed publish is consumed: lost = 0 of confirmed.
 * 2. What a failover costs without that option: a replica frozen and cut off from its primary, writes
 *    published to the primary, the primary killed, the stale replica promoted. Without durability those
 *    publishes were confirmed and are gone; with it they were rejected (`durability-not-met`), never confirmed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Cluster, Redis } from "ioredis";
import { RedisClusterProcess } from "../src/brokers/local/redis-cluster.js";
import { clusterSlot } from "../src/transports/redis/layout.js";
import { scripts } from "../src/transports/redis/scripts.js";
import { MqaError } from "../src/core/errors.js";
import { waitFor } from "../src/testing/mod.js";
import { createRedisTransport, type RedisTransport } from "../src/transports/redis/mod.js";
import { uniquePrefix } from "./redis-helpers.js";

let cluster: RedisClusterProcess;
const made: RedisTransport[] = [];
beforeAll(async () => {
  cluster = await RedisClusterProcess.start({ nodeTimeoutMs: 2_000 });
}, 60_000);
afterAll(async () => {
  await Promise.all(made.map((t) => t.close({ timeoutMs: 1_000 }).catch(() => t.abort())));
  await cluster?.stop();
});
// Each case starts from a whole cluster (a failed case may have left a node down or frozen).
beforeEach(() => cluster.heal(), 60_000);

function transport(options: Parameters<typeof createRedisTransport>[0]): RedisTransport {
  const t = createRedisTransport({
    url: cluster.url,
    cluster: true,
    claimIdleMs: 2_000,
    blockMs: 300,
    publishTimeoutMs: 15_000,
    ...options,
  });
  made.push(t);
  return t;
}

const payload = (i: number): Uint8Array => new TextEncoder().encode(JSON.stringify({ i }));

describe("Redis Cluster: node loss", () => {
  it("durability replicas=1: a primary killed and a slot moved mid-run lose no confirmed message", async () => {
    const keyPrefix = uniquePrefix();
    const topic = "orders";
    const partitions = 4;
    const settings = { keyPrefix, topics: { [topic]: { partitions } } };
    const publisher = transport({ ...settings, durability: { replicas: 1, timeoutMs: 1_000 } });
    const consumer = transport(settings);
    const consumed = new Set<string>();
    let deliveries = 0;
    await consumer.subscribe(
      topic,
      "g",
      async (d) => {
        deliveries++;
        consumed.add(d.message.id);
        await d.ack();
      },
      { prefetch: 50 },
    );

    const confirmed = new Set<string>();
    const rejected = new Map<string, number>();
    let stop = false;
    let next = 0;
    let inFlight = 0;
    let workersEnded = 0;
    const publishing = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const i = next++;
        const id = `m-${i}`;
        inFlight++;
        const ok = await publisher.publish(topic, { id, key: `k-${i % 64}`, payload: payload(i) }).then(
          () => {
            inFlight--;
            return confirmed.add(id);
          },
          (err: unknown) => {
            const code = err instanceof MqaError ? err.code : "other";
            rejected.set(code, (rejected.get(code) ?? 0) + 1);
            inFlight--;
            return undefined;
          },
        );
        // A rejection can come at once (during the failover): let timers run before the next try.
        if (!ok) await new Promise((r) => setTimeout(r, 20));
      }
    }).map((w) => w.finally(() => workersEnded++));
    const atLeast = (n: number, what: string): Promise<void> =>
      waitFor(() => confirmed.size >= n, 30_000, what, 20).catch((err: unknown) => {
        const seen = JSON.stringify({
          confirmed: confirmed.size,
          rejected: Object.fromEntries(rejected),
          inFlight,
          workersEnded,
        });
        throw new Error(`${String(err)}; so far ${seen}`);
      });

    const streams = publisher.names.streams(topic, partitions);
    await atLeast(300, "300 confirmed publishes before the faults");
    const killedSlot = clusterSlot(streams[0]!);
    const { killed, promoted } = await cluster.killPrimary(killedSlot);
    // The promoted primary has no replica: with replicas=1 its writes are rejected (never confirmed) until
    // the crashed node is back; it rejoins as the replica of the one that took over.
    await cluster.restart(killed);
    expect((await cluster.topology()).find((n) => n.port === killed.port)?.role).toBe("replica");
    const afterKill = confirmed.size;
    await atLeast(afterKill + 300, "300 more confirmed publishes after the failover");
    const movedSlot = clusterSlot(streams[1]!);
    const from = await cluster.primaryFor(movedSlot);
    const to = await cluster.moveSlot(movedSlot);
    const afterMove = confirmed.size;
    await atLeast(afterMove + 300, "300 more confirmed publishes after the slot moved");
    stop = true;
    await Promise.all(publishing);

    await waitFor(
      () => [...confirmed].every((id) => consumed.has(id)),
      30_000,
      "every confirmed message to be consumed",
      50,
    );
    const lost = [...confirmed].filter((id) => !consumed.has(id));
    const report = {
      published: next,
      confirmed: confirmed.size,
      rejected: Object.fromEntries(rejected),
      consumed: consumed.size,
      deliveries,
      lost: lost.length,
      killed: { slot: killedSlot, port: killed.port, promoted: promoted.port },
      moved: { slot: movedSlot, from: from.port, to: to.port },
    };
    console.log(`redis cluster faults: ${JSON.stringify(report)}`);
    expect(promoted.port).not.toBe(killed.port);
    expect(to.port).not.toBe(from.port);
    expect((await cluster.primaryFor(movedSlot)).port).toBe(to.port);
    expect(lost).toEqual([]);
    // Nothing consumed that was never published.
    expect([...consumed].every((id) => Number(id.slice(2)) < next)).toBe(true);
  }, 90_000);

  it("a node without the scripts (a promoted replica, a slot's new owner) answers NOSCRIPT: they are sent again", async () => {
    const keyPrefix = uniquePrefix();
    const topic = "scripts";
    const t = transport({ keyPrefix });
    const stream = t.names.streams(topic, 1)[0]!;
    const batch = (from: number) =>
      Promise.all(
        Array.from({ length: 10 }, (_, i) => t.publish(topic, { id: `s-${from + i}`, payload: payload(i) })),
      );
    await batch(0); // ten in one tick: the publish-batch script
    const owner = await cluster.primaryFor(stream);
    const admin = new Redis({ host: "127.0.0.1", port: owner.port, lazyConnect: true });
    try {
      await admin.connect();
      const sha = scripts.publishBatch.sha;
      expect(await admin.script("EXISTS", sha)).toEqual([1]);
      await admin.script("FLUSH");
      expect(await admin.script("EXISTS", sha)).toEqual([0]);
      const receipts = await batch(10);
      expect(receipts).toHaveLength(10);
      expect(await admin.script("EXISTS", sha)).toEqual([1]);
      expect(await admin.xlen(stream)).toBe(20);
    } finally {
      admin.disconnect();
    }
  });

  it("a failover to a stale replica loses confirmed publishes without durability; with replicas=1 they are rejected instead", async () => {
    const keyPrefix = uniquePrefix();
    const topic = "payments";
    const plain = transport({ keyPrefix });
    const durable = transport({ keyPrefix, durability: { replicas: 1, timeoutMs: 300 } });
    const stream = plain.names.streams(topic, 1)[0]!;
    for (let i = 0; i < 5; i++) await durable.publish(topic, { id: `before-${i}`, payload: payload(i) });
    const primary = await cluster.primaryFor(stream);
    const replica = await cluster.replicaOf(primary);
    if (!replica) throw new Error(`the primary on port ${primary.port} has no live replica`);

    await cluster.freeze(replica, { cutReplication: true });
    const plainPositions: string[] = [];
    for (let i = 0; i < 20; i++)
      plainPositions.push((await plain.publish(topic, { id: `plain-${i}`, payload: payload(i) })).position!);
    const durableOutcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        durable.publish(topic, { id: `durable-${i}`, payload: payload(i) }),
      ),
    );
    await primary.server.kill();
    cluster.thaw(replica);
    const promoted = await cluster.waitForFailover(stream, primary);
    expect(promoted.port).toBe(replica.port);

    const reader = new Cluster(cluster.seeds, { redisOptions: { maxRetriesPerRequest: 5 } });
    try {
      const present = new Set(
        ((await reader.xrange(stream, "-", "+")) as [string, string[]][]).map((e) => e[0]),
      );
      const lostConfirmed = plainPositions.filter((p) => !present.has(p));
      const durableCodes = durableOutcomes.map((o) =>
        o.status === "fulfilled" ? "confirmed" : o.reason instanceof MqaError ? o.reason.code : "other",
      );
      console.log(
        `redis cluster failover cost: ${JSON.stringify({
          withoutDurability: { confirmed: plainPositions.length, lostConfirmed: lostConfirmed.length },
          withReplicas1: {
            confirmed: durableCodes.filter((c) => c === "confirmed").length,
            rejected: durableCodes.filter((c) => c !== "confirmed").length,
          },
          storedBeforeTheFreeze: present.size,
        })}`,
      );
      expect(lostConfirmed).toEqual(plainPositions);
      expect(durableCodes).toEqual(Array.from({ length: 20 }, () => "durability-not-met"));
      expect(present.size).toBe(5);
    } finally {
      reader.disconnect();
    }
    await cluster.restart(primary);
  }, 60_000);
});
