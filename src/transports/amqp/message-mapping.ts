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
    ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
    ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
    headers,
  };
}

/**
 * AMQP header values of every field type as strings, so a message from any client reaches the handler
 * (docs/wire-format.md, "Headers from other clients"):
 * strings as they are; integers and floats as decimal text; booleans `true`/`false`; void as `""`;
 * decimals as their decimal text (`12.50`); timestamps as ISO 8601 UTC; byte arrays as UTF-8 text when they
 * are valid UTF-8, else `base64:` and their base64; tables and arrays (`x-death` among them) as JSON with the
 * same conversions inside.
 */
export function stringHeaders(raw: Record<string, unknown> | undefined): Record<string, string> {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (v === undefined) continue;
    const j = toJsonValue(v);
    out.push([
      k,
      typeof j === "string" ? j : j === null ? "" : typeof j === "object" ? JSON.stringify(j) : String(j),
    ]);
  }
  return Object.fromEntries(out); // own properties, even for a key named `__proto__`
}

type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** One decoded AMQP field value as JSON-friendly data (see {@link stringHeaders}). */
function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return v.toString();
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    try {
      return strictUtf8.decode(v);
    } catch {
      return `base64:${Buffer.from(v).toString("base64")}`;
    }
  }
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === "object") {
    const typed = v as { "!"?: unknown; value?: unknown };
    if (typed["!"] === "timestamp" && typeof typed.value === "number")
      return new Date(typed.value * 1000).toISOString();
    if (typed["!"] === "decimal" && typed.value && typeof typed.value === "object") {
      const { places, digits } = typed.value as { places?: number; digits?: number };
      return decimalText(Number(digits ?? 0), Number(places ?? 0));
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
  }
  return String(v);
}

/** `digits` scaled down by 10^`places`, exactly (no float): 1250, 2 → `12.50`. */
function decimalText(digits: number, places: number): string {
  const negative = digits < 0;
  const text = String(Math.abs(Math.trunc(digits))).padStart(places + 1, "0");
  const whole = places > 0 ? `${text.slice(0, -places)}.${text.slice(-places)}` : text;
  return negative ? `-${whole}` : whole;
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
    // A message from a client that set no message_id gets a fresh one: a shared empty id would make the
    // idempotency middleware skip every id-less message after the first. Its retries carry the new id.
    id:
      typeof msg.properties.messageId === "string" && msg.properties.messageId !== ""
        ? msg.properties.messageId
        : newMessageId(),
    topic,
    // mqa carries the key in a header (a retry's routing key is the delay route); another client's message
    // has its routing key as its key.
    key:
      headers[AmqpHeaders.key] ??
      (headers[AmqpHeaders.timestamp] === undefined && msg.fields.routingKey !== ""
        ? msg.fields.routingKey
        : undefined),
    payload: new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength),
    contentType:
      typeof msg.properties.contentType === "string" && msg.properties.contentType !== ""
        ? msg.properties.contentType
        : undefined,
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
    if (
      k === AmqpHeaders.deliveryCount ||
      k === "x-acquired-count" ||
      k === "x-death" ||
      /^x-(first|last)-death-/.test(k)
    )
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
