/**
 * The raw-amqplib side of the benchmark, with mqa's settings: a topic exchange bound with `#` to a
 * durable queue of the same type, persistent + mandatory publishes on a confirm channel, manual acks
 * with the same prefetch.
 */
import amqplib from "amqplib";
import type { Channel, ConfirmChannel, ChannelModel } from "amqplib";
import { randomUUID } from "node:crypto";
import type { BrokerTlsOptions } from "../connect.js";
import type { BenchQueue, BenchTarget } from "./target.js";

/** Raw amqplib target for `url` with queues of `queueType`. */
export async function rawAmqpTarget(
  url: string,
  queueType: "quorum" | "classic",
  tls?: BrokerTlsOptions,
): Promise<BenchTarget> {
  // Same connection settings as mqa's connection manager (frame size, heartbeat, TCP_NODELAY), so the
  // figures compare like with like: with amqplib's default 4 KiB frames a 4 KiB body would be split.
  const u = new URL(url);
  u.searchParams.set("frameMax", "131072");
  u.searchParams.set("heartbeat", "10");
  const model: ChannelModel = await amqplib.connect(u.toString(), {
    noDelay: true,
    ...(u.protocol === "amqps:" && tls ? tls : {}),
  });
  model.on("error", () => undefined); // a lost connection fails the round's calls, not the process
  const publishChannel: ConfirmChannel = await model.createConfirmChannel();
  let drained: Promise<void> | undefined;
  return {
    label: "amqplib",
    brokerVersion: async () => {
      const v = (model.connection as unknown as { serverProperties?: { version?: unknown } }).serverProperties
        ?.version;
      return typeof v === "string" ? `RabbitMQ ${v}` : undefined;
    },
    async open(name: string): Promise<BenchQueue> {
      const admin = await model.createChannel();
      await admin.assertExchange(name, "topic", { durable: true });
      const queue = `${name}.raw`;
      await admin.assertQueue(queue, { durable: true, arguments: { "x-queue-type": queueType } });
      await admin.bindQueue(queue, name, "#");
      return {
        async publish(payload) {
          if (drained) await drained;
          await new Promise<void>((resolve, reject) => {
            const ok = publishChannel.publish(
              name,
              "",
              payload,
              {
                persistent: true,
                mandatory: true,
                messageId: randomUUID(),
                contentType: "application/octet-stream",
                timestamp: Math.floor(Date.now() / 1000),
                headers: { "x-mqa-timestamp": String(Date.now()) },
              },
              (err: unknown) =>
                err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
            );
            if (!ok && !drained) {
              drained = new Promise<void>((r) =>
                publishChannel.once("drain", () => {
                  drained = undefined;
                  r();
                }),
              );
            }
          });
        },
        async consume(prefetch, onMessage) {
          const ch: Channel = await model.createChannel();
          await ch.prefetch(prefetch);
          const { consumerTag } = await ch.consume(
            queue,
            (msg) => {
              if (!msg) return;
              onMessage(msg.content);
              ch.ack(msg);
            },
            { noAck: false },
          );
          return async () => {
            await ch.cancel(consumerTag);
            await ch.close();
          };
        },
        async dispose() {
          await admin.deleteQueue(queue);
          await admin.deleteExchange(name);
          await admin.close();
        },
      };
    },
    async close() {
      await publishChannel.close().catch(() => undefined);
      await model.close();
    },
  };
}
