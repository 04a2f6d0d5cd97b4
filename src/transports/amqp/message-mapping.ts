/**
 * Maps mqa messages onto AMQP 0.9.1 properties and back: the one place wire fields are chosen.
 * The key and the millisecond timestamp travel in mqa headers because the routing key changes on the
 * way through delay levels and AMQP timestamps have only second precision.
 */
import type { ConsumeMessage, Options } from "amqplib";
import { newMessageId } from "../../core/ids.js";
import { attemptFromHeaders } from "../../core/message.js";
import type { Message, OutgoingMessage } from "../../core/message.js";

/** Extra headers mqa uses on RabbitMQ only. */
export const AmqpHeaders = {
  key: "x-mqa-key",
  timestamp: "x-mqa-timestamp",
  causationId: "x-mqa-causation-id",
  /** RabbitMQ quorum queues: failed deliveries so far. */
  deliveryCount: "x-delivery-count",
} as const;

/** Publish properties for an outgoing message (persistent and mandatory are added by the publisher). */
export function toPublishProperties(message: OutgoingMessage): Options.Publish & { messageId: string } {
  const id = message.id ?? newMessageId();
  const timestamp = message.timestamp ?? Date.now();
  const headers: Record<string, string> = { ...message.headers, [AmqpHeaders.timestamp]: String(timestamp) };
  if (message.key !== undefined) headers[AmqpHeaders.key] = message.key;
  if (message.causationId !== undefined) headers[AmqpHeaders.causationId] = message.causationId;
  return {
    messageId: id,
    timestamp: Math.floor(timestamp / 1000),
    contentType: message.contentType ?? "application/octet-stream",
    ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
    headers,
  };
}

/** Header values as strings; tables and arrays (x-death) are left out. */
export function stringHeaders(raw: Record<string, unknown> | undefined): Record<string, string> {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (typeof v === "string") out.push([k, v]);
    else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint")
      out.push([k, String(v)]);
    else if (Buffer.isBuffer(v)) out.push([k, v.toString("utf8")]);
  }
  return Object.fromEntries(out); // own properties, even for a key named `__proto__`
}

/** Failed deliveries before this one: quorum's `x-delivery-count`, else 1 if redelivered. */
export function redeliveriesOf(msg: ConsumeMessage): number {
  const raw = (msg.properties.headers as Record<string, unknown> | undefined)?.[AmqpHeaders.deliveryCount];
  const n = typeof raw === "number" ? raw : typeof raw === "string" ? Number.parseInt(raw, 10) : NaN;
  if (Number.isFinite(n) && n >= 0) return n;
  return msg.fields.redelivered ? 1 : 0;
}

/** The mqa message for a delivery from group queue of `topic`. */
export function fromDelivery(msg: ConsumeMessage, topic: string): Message {
  const headers = stringHeaders(msg.properties.headers as Record<string, unknown> | undefined);
  const ts = Number(headers[AmqpHeaders.timestamp]);
  const amqpTs = typeof msg.properties.timestamp === "number" ? msg.properties.timestamp * 1000 : Date.now();
  return {
    id: typeof msg.properties.messageId === "string" ? msg.properties.messageId : "",
    topic,
    key: headers[AmqpHeaders.key],
    payload: new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength),
    contentType:
      typeof msg.properties.contentType === "string"
        ? msg.properties.contentType
        : "application/octet-stream",
    headers,
    timestamp: Number.isFinite(ts) ? ts : amqpTs,
    correlationId:
      typeof msg.properties.correlationId === "string" ? msg.properties.correlationId : undefined,
    causationId: headers[AmqpHeaders.causationId],
    attempt: attemptFromHeaders(headers) + redeliveriesOf(msg),
  };
}

/** An outgoing copy of a delivered message with other headers (retries, dead letters). */
export function copyWithHeaders(message: Message, headers: Record<string, string>): OutgoingMessage {
  const h = { ...headers };
  // Broker bookkeeping of the previous trip must not follow the copy: a stale delivery count or death
  // reason would mislead the next reader (and x-death would make RabbitMQ see a dead-letter cycle).
  for (const k of Object.keys(h)) {
    if (k === AmqpHeaders.deliveryCount || k === "x-acquired-count" || /^x-(first|last)-death-/.test(k))
      delete h[k];
  }
  return {
    id: message.id,
    payload: message.payload,
    contentType: message.contentType,
    headers: h,
    timestamp: message.timestamp,
    ...(message.key !== undefined ? { key: message.key } : {}),
    ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
    ...(message.causationId !== undefined ? { causationId: message.causationId } : {}),
  };
}
