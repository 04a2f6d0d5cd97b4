/**
 * How a message is laid out in a stream entry. One field per message property, so entries stay
 * readable with `redis-cli XRANGE`; headers are one JSON field; the payload is raw bytes.
 *
 * | field | value                                          |
 * | ----- | ---------------------------------------------- |
 * | `id`  | message id                                     |
 * | `key` | routing/partition key (absent when none)       |
 * | `ct`  | content type                                   |
 * | `ts`  | publish time, ms since the epoch               |
 * | `cor` | correlation id (absent when none)              |
 * | `cau` | causation id (absent when none)                |
 * | `a`   | mqa attempt number (1 for a first delivery)    |
 * | `h`   | headers as JSON (without the attempt header)   |
 * | `p`   | payload bytes                                  |
 *
 * Dead letters carry the same fields plus `reason`, `group` and `source-id` (the entry id in the
 * origin stream), with the full reason in the `x-mqa-*` headers.
 */
import { attemptFromHeaders, Headers, type Message, type OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";

/** Field/value pairs as XADD takes them. */
export type EntryFields = (string | Buffer)[];

/** A stream entry as read with the `*Buffer` commands: id and flat field/value list. */
export type RawEntry = [id: Buffer, fields: Buffer[] | null];

/** Fields of a new entry for `message` published to `topic`. */
export function encodeMessage(message: OutgoingMessage): { id: string; fields: EntryFields } {
  const id = message.id ?? newMessageId();
  const headers = { ...(message.headers ?? {}) };
  const attempt = attemptFromHeaders(headers);
  delete headers[Headers.attempt];
  const fields: EntryFields = ["id", id];
  if (message.key !== undefined) fields.push("key", message.key);
  fields.push("ct", message.contentType ?? "application/octet-stream");
  fields.push("ts", String(message.timestamp ?? Date.now()));
  if (message.correlationId !== undefined) fields.push("cor", message.correlationId);
  if (message.causationId !== undefined) fields.push("cau", message.causationId);
  fields.push("a", String(attempt), "h", JSON.stringify(headers), "p", Buffer.from(message.payload));
  return { id, fields };
}

/** A decoded entry: the message without its attempt, and the raw fields to re-enqueue it. */
export interface DecodedEntry {
  readonly entryId: string;
  readonly fields: Map<string, Buffer>;
  /** Attempt stored in the entry (retries so far + 1), before broker redeliveries are added. */
  readonly storedAttempt: number;
  toMessage(topic: string, attempt: number): Message;
}

/** Decode a raw entry; `undefined` when the entry was deleted (fields are nil in the reply). */
export function decodeEntry(raw: RawEntry): DecodedEntry | undefined {
  const [idBuf, list] = raw;
  if (list === null) return undefined;
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < list.length; i += 2) fields.set(list[i]!.toString(), list[i + 1]!);
  const str = (name: string): string | undefined => fields.get(name)?.toString();
  const storedAttempt = Math.max(1, Number.parseInt(str("a") ?? "1", 10) || 1);
  let headers: Record<string, string> = {};
  try {
    const parsed = JSON.parse(str("h") ?? "{}") as unknown;
    if (parsed && typeof parsed === "object") headers = parsed as Record<string, string>;
  } catch {
    // An entry written by another tool: keep going with no headers rather than lose the message.
  }
  const entryId = idBuf.toString();
  return {
    entryId,
    fields,
    storedAttempt,
    toMessage(topic: string, attempt: number): Message {
      return {
        id: str("id") ?? entryId,
        topic,
        key: str("key"),
        payload: new Uint8Array(fields.get("p") ?? Buffer.alloc(0)),
        contentType: str("ct") ?? "application/octet-stream",
        headers: { ...headers, [Headers.attempt]: String(attempt) },
        timestamp: Number(str("ts") ?? Date.now()),
        correlationId: str("cor"),
        causationId: str("cau"),
        attempt,
      };
    },
  };
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
  let h: Buffer | string | undefined = entry.fields.get("h");
  if (headers && Object.keys(headers).length > 0) {
    const merged = { ...(JSON.parse(h?.toString() ?? "{}") as Record<string, string>), ...headers };
    delete merged[Headers.attempt];
    h = JSON.stringify(merged);
  }
  const out: EntryFields = [];
  for (const [name, value] of entry.fields) {
    if (name === "a" || name === "h") continue;
    out.push(name, value);
  }
  out.push("a", String(attempt), "h", h ?? "{}");
  return out;
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
  const fields: EntryFields = ["id", message.id];
  if (message.key !== undefined) fields.push("key", message.key);
  fields.push("ct", message.contentType, "ts", String(message.timestamp));
  if (message.correlationId !== undefined) fields.push("cor", message.correlationId);
  if (message.causationId !== undefined) fields.push("cau", message.causationId);
  fields.push("a", String(message.attempt), "h", JSON.stringify(h), "p", Buffer.from(message.payload));
  fields.push(
    "reason",
    headers[Headers.deadLetterReason] ?? "unknown",
    "group",
    group,
    "source-id",
    sourceId,
  );
  return fields;
}
