/**
 * Tail on RabbitMQ: an exclusive, auto-deleted, server-named queue bound to the topic exchange with
 * `#`, consumed without acks. It gets a copy of every message published from now on; no group's queue
 * is touched, and the broker deletes the queue when this connection ends, even if the process crashes.
 */
import amqplib from "amqplib";
import { MqaError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import { fromDelivery } from "../transports/amqp/message-mapping.js";
import type { TailOpener } from "./tail.js";

/** Open an AMQP tail on `topic`. */
export const openAmqpTail: TailOpener = async (url, topic, onMessage) => {
  const model = await amqplib.connect(url);
  try {
    const check = await model.createChannel();
    check.on("error", () => undefined);
    try {
      await check.checkExchange(topic);
    } catch (cause) {
      throw new MqaError(
        "unsupported",
        `topic "${topic}" does not exist on ${maskUrl(url)} (no exchange of that name); declare a group first`,
        { cause },
      );
    }
    await check.close().catch(() => undefined);
    const ch = await model.createChannel();
    const { queue } = await ch.assertQueue("", { exclusive: true, autoDelete: true, durable: false });
    await ch.bindQueue(queue, topic, "#");
    await ch.consume(queue, (msg) => msg && onMessage(fromDelivery(msg, topic)), { noAck: true });
    return {
      method: `exclusive auto-delete queue ${queue} bound to exchange ${topic} with # (removed when tail exits)`,
      close: async () => {
        await model.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await model.close().catch(() => undefined);
    throw err;
  }
};
