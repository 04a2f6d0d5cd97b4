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
 *
 * Reading an entry, in this order:
 * 1. it has a field `m`: this layout (mqa's own entries, its retries and dead letters included);
 * 2. the topic has a {@link FieldMapping} (`topics.<topic>.fields`, another program's layout): the payload is
 *    the mapped field (missing: empty), every other field a string header, the id from the mapped id field
 *    (else the entry id), the time from the entry id; mapping `"*"`: the whole field map as one JSON object;
 * 3. it has a field `p`: the mqa 0.1 layout;
 * 4. anything else: the whole field map as one JSON object (`application/json`), so nothing is lost and a
 *    schema can validate it.
 * Publishing to a topic with a mapping writes the other program's layout ({@link encodeMapped}).
 */
import { InvalidPayloadError } from "../../core/errors.js";
import { attemptFromHeaders, Headers, type Message, type OutgoingMessage } from "../../core/message.js";
import { newMessageId } from "../../core/ids.js";

/** Payload of the whole-field-map layouts, and the content type they are decoded with. */
const JSON_CONTENT_TYPE = "application/json";

/** The mapping value meaning "the whole field map is the payload, as one JSON object". */
export const WHOLE_ENTRY = "*";

/**
 * How another program lays out its stream entries (`topics.<topic>.fields`), so mqa reads and writes them
 * as that program does.
 */
export interface FieldMapping {
  /** The field holding the payload, or `"*"`: every field, as one JSON object `{"field":"value",…}`. */
  readonly payload: string;
  /**
   * Content type to assume for such entries. @defaultValue none: the router decodes with the route's codec
   * (JSON unless the route says otherwise); `application/json` for `payload: "*"`
   */
  readonly contentType?: string;
  /** The field holding the message id. @defaultValue none: the entry id is the message id */
  readonly id?: string;
}

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

/**
 * Fields of a new entry for `message` on a topic with a field mapping: the other program's layout, so it
 * reads mqa's messages as its own. A named payload field: `[payload, <bytes>, …headers as fields, id field?,
 * <id>]` (mqa's attempt header, the key, content type, time, correlation and causation ids are not written).
 * `"*"`: the payload must be a JSON object of strings, numbers and booleans; each key becomes a field (headers
 * are not written). `id` is undefined when the mapping names no id field: the message id is then the entry id.
 * Throws {@link InvalidPayloadError} when the message cannot be written in that layout.
 */
export function encodeMapped(
  message: OutgoingMessage,
  mapping: FieldMapping,
  topic: string,
): { id: string | undefined; fields: EntryFields } {
  const refuse = (why: string): never => {
    throw new InvalidPayloadError(
      `cannot publish to topic ${JSON.stringify(topic)} in its field layout (fields.payload ${JSON.stringify(mapping.payload)}): ${why}`,
      { details: { topic, mapping } },
    );
  };
  const fields: EntryFields = [];
  let id: string | undefined = mapping.id === undefined ? undefined : (message.id ?? newMessageId());
  if (mapping.payload === WHOLE_ENTRY) {
    const object = parseObject(Buffer.from(message.payload).toString());
    if (object === undefined)
      refuse("the payload must be a JSON object (each of its keys is written as one field)");
    for (const [name, value] of Object.entries(object!)) {
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
        refuse(
          `key ${JSON.stringify(name)} holds ${value === null ? "null" : Array.isArray(value) ? "an array" : "an object"}; a field holds text, so only strings, numbers and booleans can be written`,
        );
      if (name === "m") refuse('a field named "m" would be read back as mqa\'s own layout; rename the key');
      // The payload's own id field names the message, as a reader of this layout would take it.
      if (name === mapping.id) id = String(value);
      fields.push(name, String(value));
    }
    if (mapping.id !== undefined && !Object.hasOwn(object!, mapping.id)) fields.push(mapping.id, id!);
    if (fields.length === 0) refuse("the payload is an empty object, and a stream entry needs a field");
    return { id, fields };
  }
  // A copy: the XADD may wait for a slot or a connection while the caller reuses its buffer.
  fields.push(mapping.payload, Buffer.from(message.payload));
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (name === Headers.attempt) continue;
    if (name === mapping.payload || name === mapping.id || name === "m")
      refuse(
        `header ${JSON.stringify(name)} would overwrite ${name === "m" ? "the field that marks mqa's own layout" : name === mapping.payload ? "the payload field" : "the id field"}; rename the header`,
      );
    fields.push(name, value);
  }
  if (mapping.id !== undefined) fields.push(mapping.id, id!);
  return { id, fields };
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

const EMPTY = Buffer.alloc(0);

/**
 * Decode a raw entry; `undefined` when the entry was deleted (fields are nil in the reply). `mapping` is
 * the topic's field mapping, for entries of another program's layout (see the reading order above).
 */
export function decodeEntry(raw: RawEntry, mapping?: FieldMapping): DecodedEntry | undefined {
  const [idBuf, list] = raw;
  if (list === null) return undefined;
  const entryId = idBuf.toString();
  // mqa's own two fields, in the order it writes them: no field map to build (most entries, every message).
  if (list.length === 4 && isField(list[0], 0x6d) && isField(list[2], 0x70)) {
    const m = list[1]!;
    const p = list[3]!;
    return new StreamEntry(entryId, list, readMeta(undefined, entryId, m), p);
  }
  const fields = fieldMap(list);
  let meta: Meta;
  let payload: Buffer;
  const m = fields.get("m");
  if (m !== undefined || (mapping === undefined && fields.has("p"))) {
    meta = readMeta(fields, entryId, m);
    payload = fields.get("p") ?? EMPTY;
  } else if (mapping !== undefined && mapping.payload !== WHOLE_ENTRY) {
    ({ meta, payload } = readMapped(fields, entryId, mapping));
  } else {
    const id = mapping?.id === undefined ? undefined : fields.get(mapping.id)?.toString();
    meta = {
      id: id || entryId,
      ct: mapping?.contentType ?? JSON_CONTENT_TYPE,
      ts: timeOfEntryId(entryId),
      a: 1,
      h: {},
    };
    payload = Buffer.from(fieldsAsJson(fields));
  }
  return new StreamEntry(entryId, fields, meta, payload);
}

/** True when `name` is the one-letter field name `letter` (a char code). */
function isField(name: Buffer | undefined, letter: number): boolean {
  return name !== undefined && name.length === 1 && name[0] === letter;
}

function fieldMap(list: Buffer[]): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < list.length; i += 2) fields.set(list[i]!.toString(), list[i + 1]!);
  return fields;
}

/**
 * A decoded entry. A class, not an object literal with a getter and a method: the literal made V8 allocate a
 * new getter and closure for every delivery (the largest allocation on the consume path).
 */
class StreamEntry implements DecodedEntry {
  readonly storedAttempt: number;

  constructor(
    readonly entryId: string,
    /** The field map, or the raw field list it is built from when first asked for. */
    private fieldSource: Map<string, Buffer> | Buffer[],
    readonly meta: Meta,
    readonly payload: Buffer,
  ) {
    this.storedAttempt = meta.a;
  }

  /** Built when asked for (dead letters read their reason from it), not for every delivery. */
  get fields(): Map<string, Buffer> {
    if (Array.isArray(this.fieldSource)) this.fieldSource = fieldMap(this.fieldSource);
    return this.fieldSource;
  }

  toMessage(topic: string, attempt: number): Message {
    const meta = this.meta;
    return {
      id: meta.id,
      topic,
      key: meta.key,
      // A copy: the reply buffer is a slice of the client's read buffer, which a view would keep alive.
      // Buffer.from takes small copies from Node's buffer pool instead of allocating each on its own.
      payload: Buffer.from(this.payload),
      contentType: meta.ct,
      headers: { ...meta.h, [Headers.attempt]: String(attempt) },
      timestamp: meta.ts,
      correlationId: meta.cor,
      causationId: meta.cau,
      attempt,
    };
  }
}

/** `{"field":"value",…}` of every field, values as UTF-8 text, in entry order. */
function fieldsAsJson(fields: Map<string, Buffer>): string {
  let out = "{";
  for (const [name, value] of fields) {
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(name)}:${JSON.stringify(value.toString())}`;
  }
  return `${out}}`;
}

/** An entry in another program's layout with a named payload field. */
function readMapped(
  fields: Map<string, Buffer>,
  entryId: string,
  mapping: FieldMapping,
): { meta: Meta; payload: Buffer } {
  const headers: [string, string][] = [];
  let id = entryId;
  for (const [name, value] of fields) {
    if (name === mapping.payload) continue;
    if (name === mapping.id) {
      // An empty id would make every such message a duplicate of the others: the entry id is unique.
      if (value.length > 0) id = value.toString();
      continue;
    }
    // The attempt is mqa's to count; a field of that name from elsewhere does not set it.
    if (name === Headers.attempt) continue;
    headers.push([name, value.toString()]);
  }
  const meta: Meta = { id, ts: timeOfEntryId(entryId), a: 1, h: Object.fromEntries(headers) };
  if (mapping.contentType !== undefined) meta.ct = mapping.contentType;
  return { meta, payload: fields.get(mapping.payload) ?? EMPTY };
}

/** The metadata of an entry in this layout, the older one, or written by another tool (best effort). */
function readMeta(fields: Map<string, Buffer> | undefined, entryId: string, m: Buffer | undefined): Meta {
  if (m !== undefined) {
    const parsed = parseObject(m.toString());
    if (parsed) {
      // Built field by field: this runs for every delivery, and spreading partial objects allocated four more.
      const meta: Meta = {
        id: typeof parsed["id"] === "string" ? parsed["id"] : entryId,
        ts: typeof parsed["ts"] === "number" ? parsed["ts"] : timeOfEntryId(entryId),
        a: attemptOf(parsed["a"]),
        h: stringRecord(parsed["h"]),
      };
      const { ct, key, cor, cau } = parsed;
      if (typeof ct === "string") meta.ct = ct;
      if (typeof key === "string") meta.key = key;
      if (typeof cor === "string") meta.cor = cor;
      if (typeof cau === "string") meta.cau = cau;
      return meta;
    }
  }
  // One field per property (mqa 0.1), or another tool's entry: take what is there.
  const str = (name: string): string | undefined => fields?.get(name)?.toString();
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
  const entries = Object.entries(value);
  if (entries.length === 0) return {};
  const out: [string, string][] = [];
  for (const [k, v] of entries) {
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
