import amqp from "amqplib";
import { afterAll, describe, expect, it } from "vitest";
import { RabbitMqLauncher } from "./rabbitmq-launcher.js";

describe("RabbitMqLauncher", () => {
  const node = new RabbitMqLauncher({ config: ["consumer_timeout = 60000"] });
  afterAll(() => node.stop(), 60_000);

  it("starts a private node, keeps durable data across a restart, and stops it", async () => {
    await node.start();
    expect(node.port).not.toBe(5672);
    const q = `launcher-${Math.random().toString(36).slice(2, 8)}`;
    let c = await amqp.connect(node.url);
    let ch = await c.createConfirmChannel();
    await ch.assertQueue(q, { durable: true, arguments: { "x-queue-type": "quorum" } });
    ch.sendToQueue(q, Buffer.from("kept"), { persistent: true });
    await ch.waitForConfirms();
    await c.close();
    await node.restart();
    c = await amqp.connect(node.url);
    ch = await c.createConfirmChannel();
    const msg = await ch.get(q, { noAck: true });
    expect(msg && msg.content.toString()).toBe("kept");
    await c.close();
  }, 120_000);
});
