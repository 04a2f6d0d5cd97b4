/**
 * How a message is laid out in a stream entry: two fields, so an XADD carries little more than the
 * payload itself (ioredis encodes every argument separately, and at 7 fields per entry that was most of
 * what separated mqa from a raw XADD; docs/performance.md).
 *
 * | field | value                                                                                |
 * | ----- | ------------------------------------------------------------------------------------ |
 * | `m`   | metadata as JSON (readable with `redis-cli XRANGE`), keys below                      |
 * | `p`   | payload bytes                                                                        |
 *
 * Metadata keys: `id` message id; `ct` content type; `ts` publish time (ms since the epoch); `a` mqa
 * attempt number (1 for a first delivery); `h` headers (without the attempt header); and, only when
 * set, `key` (routing/partition key), `cor` (correlation id), `cau` (causation id).
 *
 * Dead letters carry the same two fields plus `reason`, `group` and `source-id` (the entry id in the
 * origin stream) as fields of their own, so `XRANGE` on a DLQ shows why at a glance; the full reason is
 * in the `x-mqa-*` headers.
 *
 * Entries written by mqa 0.1 before this layout (one field per property: `id`, `key`, `ct`, `ts`, `cor`,
 * `cau`, `a`, `h`, `p`) and entries written by other tools still decode; re-enqueued ones (retries) are
 * written in this layout.
 */
import { attemptFromHeaders, Headers, type Message, type OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";

/** Field/value pairs as XADD takes them. */
export type EntryFields = (string | Buffer)[];

/** A stream entry as read with the `*Buffer` commands: id and flat field/value list. */
export type RawEntry = [id: Buffer, fields: Buffer[] | null];

/** The `m` field. */
interface Meta {
  id: string;
  /** Absent when the publisher named no content type. */
  ct?: string;
  ts: number;
  a: number;
  h: Record<string, string>;
  key?: string;
  cor?: string;
  cau?: string;
}

/** A view of bytes mqa itself holds (a decoded entry's payload), for re-enqueueing without a copy. */
function view(payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function metaFields(meta: Meta, payload: Buffer): EntryFields {
  return ["m", JSON.stringify(meta), "p", payload];
}

/** Fields of a new entry for `message`. */
export function encodeMessage(message: OutgoingMessage): { id: string; fields: EntryFields } {
  const id = message.id ?? newMessageId();
  let h: Record<string, string> = {};
  let a = 1;
  if (message.headers) {
    h = { ...message.headers };
    a = attemptFromHeaders(h);
    delete h[Headers.attempt];
  }
  const meta: Meta = { id, ts: message.timestamp ?? Date.now(), a, h };
  if (message.contentType !== undefined) meta.ct = message.contentType;
  if (message.key !== undefined) meta.key = message.key;
  if (message.correlationId !== undefined) meta.cor = message.correlationId;
  if (message.causationId !== undefined) meta.cau = message.causationId;
  // A copy: the XADD may wait for a slot or a connection while the caller reuses its buffer.
  return { id, fields: metaFields(meta, Buffer.from(message.payload)) };
}

/** A decoded entry: the message without its attempt, and what it takes to re-enqueue it. */
export interface DecodedEntry {
  readonly entryId: string;
  /** Every field of the entry, by name (for the dead-letter `reason` and fields of other tools). */
  readonly fields: Map<string, Buffer>;
  /** Attempt stored in the entry (retries so far + 1), before broker redeliveries are added. */
  readonly storedAttempt: number;
  toMessage(topic: string, attempt: number): Message;
  /** @internal the metadata, as this layout writes it (converted from the older layout) */
  readonly meta: Meta;
  /** @internal */
  readonly payload: Buffer;
}

/** Decode a raw entry; `undefined` when the entry was deleted (fields are nil in the reply). */
export function decodeEntry(raw: RawEntry): DecodedEntry | undefined {
  const [idBuf, list] = raw;
  if (list === null) return undefined;
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < list.length; i += 2) fields.set(list[i]!.toString(), list[i + 1]!);
  const entryId = idBuf.toString();
  const meta = readMeta(fields, entryId);
  const payload = fields.get("p") ?? Buffer.alloc(0);
  return {
    entryId,
    fields,
    storedAttempt: meta.a,
    meta,
    payload,
    toMessage(topic: string, attempt: number): Message {
      return {
        id: meta.id,
        topic,
        key: meta.key,
        // A copy: the reply buffer is a slice of the client's read buffer, which a view would keep alive.
        payload: new Uint8Array(payload),
        contentType: meta.ct,
        headers: { ...meta.h, [Headers.attempt]: String(attempt) },
        timestamp: meta.ts,
        correlationId: meta.cor,
        causationId: meta.cau,
        attempt,
      };
    },
  };
}

/** The metadata of an entry in this layout, the older one, or written by another tool (best effort). */
function readMeta(fields: Map<string, Buffer>, entryId: string): Meta {
  const m = fields.get("m");
  if (m !== undefined) {
    const parsed = parseObject(m.toString());
    if (parsed) {
      return {
        id: typeof parsed["id"] === "string" ? parsed["id"] : entryId,
        ...optionalString("ct", parsed["ct"]),
        ts: typeof parsed["ts"] === "number" ? parsed["ts"] : timeOfEntryId(entryId),
        a: attemptOf(parsed["a"]),
        h: stringRecord(parsed["h"]),
        ...optionalString("key", parsed["key"]),
        ...optionalString("cor", parsed["cor"]),
        ...optionalString("cau", parsed["cau"]),
      };
    }
  }
  // One field per property (mqa 0.1), or another tool's entry: take what is there.
  const str = (name: string): string | undefined => fields.get(name)?.toString();
  const ts = Number(str("ts"));
  return {
    id: str("id") ?? entryId,
    ...optionalString("ct", str("ct")),
    ts: Number.isFinite(ts) ? ts : timeOfEntryId(entryId),
    a: attemptOf(str("a")),
    // An unreadable `h` loses the headers, never the message.
    h: stringRecord(parseObject(str("h") ?? "{}")),
    ...optionalString("key", str("key")),
    ...optionalString("cor", str("cor")),
    ...optionalString("cau", str("cau")),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Headers as strings; a number or boolean another writer put there is kept as its text, not dropped. */
function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object") return {};
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string") out.push([k, v]);
    else if (typeof v === "number" || typeof v === "boolean") out.push([k, String(v)]);
  }
  // fromEntries defines each key as its own property: a header named `__proto__` stays a header
  // (an assignment would set the object's prototype instead and lose it).
  return Object.fromEntries(out);
}

function optionalString<K extends "key" | "cor" | "cau" | "ct">(
  name: K,
  value: unknown,
): Partial<Record<K, string>> {
  return typeof value === "string" ? ({ [name]: value } as Partial<Record<K, string>>) : {};
}

function attemptOf(value: unknown): number {
  const n = typeof value === "number" ? value : Number.parseInt(String(value ?? "1"), 10);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Milliseconds part of a stream entry id (`<ms>-<seq>`): when the server stored it. */
function timeOfEntryId(entryId: string): number {
  const ms = Number.parseInt(entryId, 10);
  return Number.isFinite(ms) ? ms : Date.now();
}

/**
 * Fields for re-enqueueing `entry` with a new attempt number and extra headers (retries). mqa's own
 * attempt header always comes from `attempt`, never from `headers`.
 */
export function withAttempt(
  entry: DecodedEntry,
  attempt: number,
  headers?: Record<string, string>,
): EntryFields {
  const h = headers && Object.keys(headers).length > 0 ? { ...entry.meta.h, ...headers } : entry.meta.h;
  if (h !== entry.meta.h) delete h[Headers.attempt];
  return metaFields({ ...entry.meta, a: attempt, h }, entry.payload);
}

/** Fields of a dead letter: the message with the dead-letter headers, plus readable reason fields. */
export function deadLetterFields(
  message: Message,
  headers: Record<string, string>,
  group: string,
  sourceId: string,
): EntryFields {
  const h = { ...headers };
  delete h[Headers.attempt];
  const meta: Meta = { id: message.id, ts: message.timestamp, a: message.attempt, h };
  if (message.contentType !== undefined) meta.ct = message.contentType;
  if (message.key !== undefined) meta.key = message.key;
  if (message.correlationId !== undefined) meta.cor = message.correlationId;
  if (message.causationId !== undefined) meta.cau = message.causationId;
  return [
    ...metaFields(meta, view(message.payload)),
    "reason",
    headers[Headers.deadLetterReason] ?? "unknown",
    "group",
    group,
    "source-id",
    sourceId,
  ];
}
