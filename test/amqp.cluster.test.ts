/**
 * The RabbitMQ transport on a private 3-node cluster started here (src/brokers/local/rabbitmq-cluster.ts):
 * connections spread over the nodes, quorum queues get the replica count asked for, and publishers and
 * consumers move to a surviving node when the node hosting the queue's leader is killed mid-run and
 * restarted, with every confirmed message consumed (lost = 0) and duplicates counted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RabbitMqCluster } from "../src/brokers/local/rabbitmq-cluster.js";
import type { MqaError } from "../src/core/errors.js";
import type { ConnectionState } from "../src/core/transport.js";
import {
  type AmqpTransport,
  type AmqpTransportOptions,
  createAmqpTransport,
} from "../src/transports/amqp/mod.js";
import { waitFor } from "../src/testing/mod.js";

const cluster = new RabbitMqCluster();
const open: AmqpTransport[] = [];

beforeAll(() => cluster.start(), 150_000);
afterAll(() => cluster.stop(), 60_000);
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.abort()));
});

function transport(opts: AmqpTransportOptions = {}): AmqpTransport {
  const t = createAmqpTransport({
    url: cluster.urls,
    reconnect: { baseMs: 50, maxMs: 500 },
    heartbeatSeconds: 5,
    initialConnectTimeoutMs: 20_000,
    publishTimeoutMs: 30_000,
    ...opts,
  });
  open.push(t);
  return t;
}
const uid = (): string => Math.random().toString(36).slice(2, 10);
const portOf = (url: string | undefined): number => Number(new URL(url ?? "amqp://x:0").port);

/** Leader node and members of a quorum queue, from `rabbitmqctl list_queues` on a running node. */
async function quorumStatus(queue: string): Promise<{ leader: string; members: string[] }> {
  const node = cluster.nodes.find((n) => n.running)!;
  const rows = JSON.parse(
    await node.ctl(["list_queues", "name", "leader", "members", "--formatter", "json"]),
  ) as { name: string; leader: string; members: string[] }[];
  const row = rows.find((r) => r.name === queue);
  if (!row) throw new Error(`queue ${queue} not listed by ${node.nodeName}`);
  return row;
}

describe("RabbitMQ transport on a 3-node cluster", () => {
  it("spreads connections over the nodes with shuffle, and keeps the given order with as-given", async () => {
    const shuffled = Array.from({ length: 6 }, () => transport());
    await Promise.all(shuffled.map((t) => t.connect()));
    const ports = new Set(
      shuffled.flatMap((t) => [portOf(t.connectedTo.publish), portOf(t.connectedTo.consume)]),
    );
    // 12 connections on one node by chance: 3 · (1/3)^12 ≈ 6e-6.
    expect(ports.size).toBeGreaterThanOrEqual(2);
    for (const p of ports) expect(cluster.nodes.map((n) => n.port)).toContain(p);

    const ordered = transport({
      url: [cluster.urls[2]!, cluster.urls[0]!, cluster.urls[1]!],
      urlOrder: "as-given",
    });
    await ordered.connect();
    expect(portOf(ordered.connectedTo.publish)).toBe(cluster.nodes[2]!.port);
    expect(portOf(ordered.connectedTo.consume)).toBe(cluster.nodes[2]!.port);
  }, 60_000);

  it("loses no confirmed message when the leader's node is killed mid-run and restarted", async () => {
    const topic = `cluster-${uid()}`;
    const queue = `${topic}.g`;
    const admin = transport({ quorumReplicas: 3 });
    await admin.declare({ topic, group: "g" });
    const before = await quorumStatus(queue);
    expect(before.members.sort()).toEqual([...cluster.nodeNames].sort());
    const leader = cluster.node(before.leader);
    const survivors = cluster.urls.filter((u) => u !== leader.url);

    // Publisher and consumer start on the leader's node, so its death moves both of them.
    const onLeaderFirst: AmqpTransportOptions = {
      url: [leader.url, ...survivors],
      urlOrder: "as-given",
      quorumReplicas: 3, // every process declaring the queue must ask for the same arguments
    };
    const publisher = transport(onLeaderFirst);
    const consumer = transport(onLeaderFirst);
    const seen: ConnectionState["status"][] = [];
    consumer.onStateChange((s) => seen.push(s.status));
    await Promise.all([publisher.connect(), consumer.connect()]);
    expect(portOf(publisher.connectedTo.publish)).toBe(leader.port);
    expect(portOf(consumer.connectedTo.consume)).toBe(leader.port);

    const consumed = new Map<string, number>();
    await consumer.subscribe(topic, "g", async (d) => {
      consumed.set(d.message.id, (consumed.get(d.message.id) ?? 0) + 1);
      await d.ack();
    });

    const confirmed = new Set<string>();
    const rejected: string[] = [];
    let next = 0;
    /** Publish `count` messages, at most `window` unconfirmed at a time; each one ends confirmed or rejected. */
    async function publish(count: number, window = 50): Promise<void> {
      const end = next + count;
      const lane = async (): Promise<void> => {
        while (next < end) {
          const id = `${topic}-${next++}`;
          try {
            await publisher.publish(topic, { id, payload: new TextEncoder().encode(id) });
            confirmed.add(id);
          } catch (err) {
            rejected.push(`${id}: ${(err as MqaError).code}`);
          }
        }
      };
      await Promise.all(Array.from({ length: window }, lane));
    }

    await publish(1000);
    // A healthy cluster confirms everything.
    expect(rejected).toEqual([]);
    const kill = cluster.kill(leader.nodeName);
    await publish(1000); // under way while the node dies: unconfirmed publishes are resent on a survivor
    await kill;
    await waitFor(
      async () => (await quorumStatus(queue)).leader !== leader.nodeName,
      30_000,
      "a new leader",
      250,
    );
    await publish(500);
    let restarted = false;
    const restart = cluster.restart(leader.nodeName).then(() => (restarted = true));
    while (!restarted) await publish(100, 10); // publishing goes on while the node boots and rejoins
    await restart;
    // Once the node is back, every publish is confirmed again. (How many were rejected while it was gone
    // depends on how long the failover took on this machine: they are reported, never counted as confirmed.)
    const rejectedWhileDown = rejected.length;
    await publish(500);
    expect(rejected.length).toBe(rejectedWhileDown);

    await waitFor(
      () => [...confirmed].every((id) => consumed.has(id)),
      60_000,
      "every confirmed message to be consumed",
      100,
    );
    const lost = [...confirmed].filter((id) => !consumed.has(id));
    const duplicates = [...consumed.values()].reduce((sum, n) => sum + n - 1, 0);
    const unknown = [...consumed.keys()].filter((id) => !id.startsWith(`${topic}-`));
    console.log(
      `cluster run: published ${next}, confirmed ${confirmed.size}, rejected ${rejected.length} ` +
        `(${[...new Set(rejected.map((r) => r.slice(r.lastIndexOf(": ") + 2)))].join(", ") || "none"}), ` +
        `consumed ${consumed.size}, duplicates ${duplicates}, lost ${lost.length}, ` +
        `resent ${publisher.publisherStats.resent}; leader ${before.leader} killed and restarted, ` +
        `new leader ${(await quorumStatus(queue)).leader}`,
    );
    expect(lost).toEqual([]);
    expect(unknown).toEqual([]);
    // Every publish ended confirmed or rejected; a rejected one was never confirmed, so it is not counted lost.
    expect(confirmed.size + rejected.length).toBe(next);
    // …and said why: the confirm did not come in time, or the broker or connection refused it.
    for (const r of rejected) expect(r).toMatch(/: (publish-timeout|publish-rejected|connection-closed)$/);
    // Both connections left the dead node and came back on a survivor.
    expect(seen).toContain("reconnecting");
    expect(survivors.map(portOf)).toContain(portOf(publisher.connectedTo.publish));
    expect(survivors.map(portOf)).toContain(portOf(consumer.connectedTo.consume));
    expect((await quorumStatus(queue)).members.sort()).toEqual([...cluster.nodeNames].sort());
  }, 150_000);
});
