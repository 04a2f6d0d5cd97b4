/**
 * Reads dead letters for inspection without removing them: basic.get without ack on a channel of
 * its own, then closing that channel hands every message back to the DLQ.
 */
import type { ChannelModel } from "amqplib";
import { closeQuietly } from "./close-quietly.js";
import { NOT_FOUND, replyCodeOf } from "./reply-code.js";
import { MqaError } from "../../core/errors.js";
import { Headers } from "../../core/message.js";
import type { DeadLetter } from "../../core/transport.js";
import { fromDelivery } from "./message-mapping.js";

/** RabbitMQ's own dead-letter reasons (queue arguments, not mqa) in mqa's words. */
export const BROKER_REASONS: Readonly<Record<string, string>> = {
  delivery_limit: "delivery-limit",
  rejected: "rejected",
  expired: "expired",
  maxlen: "queue-full",
};

/** Up to `limit` dead letters of a group (its queue `dlq`), oldest first. */
export async function readDeadLetters(
  model: ChannelModel,
  topic: string,
  group: string,
  dlq: string,
  limit: number,
): Promise<DeadLetter[]> {
  const channel = await model.createChannel();
  channel.on("error", () => undefined);
  const out: DeadLetter[] = [];
  try {
    while (out.length < limit) {
      const msg = await channel.get(dlq, { noAck: false });
      if (msg === false) break;
      const message = fromDelivery({ ...msg, fields: { ...msg.fields, consumerTag: "" } }, topic);
      const brokerReason = latestDeathReason(msg.properties.headers as Record<string, unknown> | undefined);
      const reason =
        message.headers[Headers.deadLetterReason] ??
        (brokerReason !== undefined ? (BROKER_REASONS[brokerReason] ?? brokerReason) : "unknown");
      out.push({ message, reason, headers: message.headers });
    }
  } catch (err) {
    if (replyCodeOf(err) === NOT_FOUND)
      throw new MqaError(
        "unsupported",
        `group '${group}' of topic '${topic}' has no dead-letter queue (declared with deadLetter: false, or a stream)`,
        { cause: err },
      );
    throw err;
  } finally {
    await closeQuietly(channel);
  }
  return out;
}

/** Why RabbitMQ dead-lettered the message most recently: `x-death[0]` (newest first), else the summary headers. */
export function latestDeathReason(headers: Record<string, unknown> | undefined): string | undefined {
  const deaths = headers?.["x-death"];
  if (Array.isArray(deaths)) {
    const reason = (deaths[0] as { reason?: unknown } | undefined)?.reason;
    if (typeof reason === "string") return reason;
    if (Buffer.isBuffer(reason)) return reason.toString("utf8");
  }
  for (const key of ["x-last-death-reason", "x-first-death-reason"]) {
    const v = headers?.[key];
    if (typeof v === "string") return v;
    if (Buffer.isBuffer(v)) return v.toString("utf8");
  }
  return undefined;
}
