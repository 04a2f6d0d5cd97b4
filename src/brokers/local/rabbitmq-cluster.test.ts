import amqp from "amqplib";
import { afterAll, describe, expect, it } from "vitest";
import { RabbitMqCluster } from "./rabbitmq-cluster.js";

describe("RabbitMqCluster", () => {
  const cluster = new RabbitMqCluster();
  afterAll(() => cluster.stop(), 60_000);

  it("forms a 3-node cluster, survives a killed node, takes it back, and removes everything", async () => {
    const t0 = Date.now();
    await cluster.start();
    console.log(`cluster formed in ${Date.now() - t0} ms`);
    expect((await cluster.runningNodes()).sort()).toEqual([...cluster.nodeNames].sort());
    expect(new Set(cluster.urls).size).toBe(3);
    expect(cluster.urls).not.toContain("amqp://guest:guest@127.0.0.1:5672");

    // A quorum queue declared on node 1 is replicated to all three, so node 3 serves it.
    const q = `cluster-${Math.random().toString(36).slice(2, 8)}`;
    const c1 = await amqp.connect(cluster.urls[0]!);
    const ch1 = await c1.createConfirmChannel();
    await ch1.assertQueue(q, { durable: true, arguments: { "x-queue-type": "quorum" } });
    ch1.sendToQueue(q, Buffer.from("replicated"), { persistent: true });
    await ch1.waitForConfirms();
    await c1.close();

    const t1 = Date.now();
    await cluster.kill(0);
    expect(cluster.node(0).running).toBe(false);
    console.log(`node killed in ${Date.now() - t1} ms`);
    expect((await cluster.runningNodes()).sort()).toEqual(cluster.nodeNames.slice(1).sort());
    const c3 = await amqp.connect(cluster.urls[2]!);
    const ch3 = await c3.createChannel();
    const msg = await ch3.get(q, { noAck: true });
    expect(msg && msg.content.toString()).toBe("replicated");
    await c3.close();

    const t2 = Date.now();
    await cluster.restart(0);
    console.log(`node restarted in ${Date.now() - t2} ms`);
    expect((await cluster.runningNodes()).sort()).toEqual([...cluster.nodeNames].sort());
    const leaders = JSON.parse(
      await cluster.node(1).ctl(["list_queues", "name", "type", "members", "--formatter", "json"]),
    ) as { name: string; type: string; members: string[] }[];
    expect(leaders.find((l) => l.name === q)?.members.sort()).toEqual([...cluster.nodeNames].sort());

    await cluster.stop();
    expect(cluster.nodes.every((n) => !n.running)).toBe(true);
    expect(() => cluster.urls).toThrow(/not started/);
  }, 180_000);

  it("rejects a node count it cannot run", () => {
    expect(() => new RabbitMqCluster({ nodes: 1 })).toThrow(/nodes must be an integer from 2 to 7/);
  });
});
