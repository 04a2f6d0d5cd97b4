/**
 * Tail on RabbitMQ: an exclusive, auto-deleted, server-named queue bound to the topic's exchange so that
 * it matches everything (`#` on a topic exchange, an empty match on a headers exchange, any key on fanout;
 * on a direct exchange, every routing key the groups are bound with), consumed without acks. It gets a
 * copy of every message published from now on; no group's queue is touched, and the broker deletes the
 * queue when this connection ends, even if the process crashes.
 */
import amqplib from "amqplib";
import { MqaError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import { fromDelivery } from "../transports/amqp/layout.js";
import type { TailOpener } from "./tail.js";

/** Open an AMQP tail on `topic` (or on the exchange the spec names for it). */
export const openAmqpTail: TailOpener = async (url, topic, onMessage, options = {}) => {
  const exchange = options.exchange ?? topic;
  // Unknown type (an exchange named on the command line): `#` matches everything on topic exchanges, a
  // fanout exchange ignores keys, and a headers binding with nothing to match takes every message.
  const type = options.exchangeType;
  const bindings: Array<{ key: string; args?: Record<string, unknown> }> =
    type === "headers"
      ? [{ key: "", args: { "x-match": "all" } }] // no header to match: every message matches
      : type === "direct"
        ? (options.routingKeys ?? []).map((key) => ({ key }))
        : [{ key: type === "fanout" ? "" : "#" }];
  if (bindings.length === 0)
    throw new MqaError(
      "invalid-options",
      `exchange "${exchange}" is a direct exchange: a tail needs the routing keys to follow (--routing-key), or a spec whose groups bind some`,
    );
  const tls = /^amqps:/i.test(url) && options.tls ? options.tls : {};
  const model = await amqplib.connect(url, { timeout: 10_000, ...tls });
  // A connection lost later ends the tail quietly instead of crashing on an unhandled `error` event.
  model.on("error", () => undefined);
  try {
    const check = await model.createChannel();
    check.on("error", () => undefined);
    try {
      await check.checkExchange(exchange);
    } catch (cause) {
      throw new MqaError(
        "not-found",
        `topic "${topic}" does not exist on ${maskUrl(url)} (no exchange "${exchange}"); declare a group first`,
        { cause },
      );
    }
    await check.close().catch(() => undefined);
    const ch = await model.createChannel();
    const { queue } = await ch.assertQueue("", { exclusive: true, autoDelete: true, durable: false });
    for (const b of bindings) await ch.bindQueue(queue, exchange, b.key, b.args);
    await ch.consume(queue, (msg) => msg && onMessage(fromDelivery(msg, topic)), { noAck: true });
    const how = bindings.map((b) => (b.args ? "any headers" : b.key === "" ? '""' : b.key)).join(", ");
    return {
      method: `exclusive auto-delete queue ${queue} bound to ${type ?? ""}${type ? " " : ""}exchange ${exchange} with ${how} (removed when tail exits)`,
      close: async () => {
        await model.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await model.close().catch(() => undefined);
    throw err;
  }
};
