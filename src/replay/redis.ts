/**
 * Replay on Redis Streams: XRANGE by entry id on the topic's stream, or on every partition stream of a
 * partitioned topic (`<prefix>:{topic#n}`), then XREAD BLOCK when following. No consumer group is used, so
 * no pending entry is created and no group's position moves: replay never disturbs the live groups.
 *
 * Order: within a stream, entry-id order (the order Redis stored them). Across partitions, the reader merges
 * the streams by entry id, which is the server's clock at XADD: publish order up to entries stored within
 * the same millisecond (those come in partition order). Per key (one key, one partition) the order is exact.
 *
 * Positions: a timestamp T maps to the id `T-0`, so "from T" is exactly the entries Redis stored at or
 * after T. The cursor is the last id handed over, per stream (a JSON object of stream key → id for several).
 */
import type { Redis } from "ioredis";
import { connectRedisClient } from "../brokers/redis-client.js";
import type { BrokerTlsOptions } from "../connect.js";
import { MqaError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import {
  DEFAULT_KEY_PREFIX,
  RedisKeyNames,
  compareIds,
  decodeEntry,
  type FieldMapping,
  type RawEntry,
} from "../transports/redis/layout.js";
import type { ReplayedMessage, ReplaySource, SourceSpec } from "./types.js";

export interface RedisReplayOptions {
  keyPrefix?: string;
  key?: string;
  fields?: FieldMapping;
  tls?: BrokerTlsOptions;
}

/** Largest sequence number of an entry id (2^64 − 1). */
const MAX_SEQ = 18446744073709551615n;
/** How long one XREAD waits while following, ms (then it asks again; close ends it at once). */
const FOLLOW_BLOCK_MS = 1000;

/** `1700` → `1700-0`; throws for what is not an entry id. */
function entryId(text: string | number, what: string): string {
  const t = String(text);
  if (!/^\d+(-\d+)?$/.test(t))
    throw new MqaError(
      "invalid-options",
      `${what} ${JSON.stringify(text)} is not a Redis entry id (e.g. 1700000000000-0)`,
    );
  return t.includes("-") ? t : `${t}-0`;
}

/** The id just before `id`: the exclusive lower bound of a read that starts at `id`. */
function idBefore(id: string): string {
  const [ms, seq] = id.split("-") as [string, string];
  if (BigInt(seq) > 0n) return `${ms}-${BigInt(seq) - 1n}`;
  if (BigInt(ms) > 0n) return `${BigInt(ms) - 1n}-${MAX_SEQ}`;
  return "0-0";
}

/** One stream of the topic and how far it has been read. */
interface StreamState {
  readonly key: string;
  /** Last id read from the server (exclusive lower bound of the next read). */
  readFrom: string;
  /** Last id handed out (what the cursor saves). */
  handed: string;
  /** XRANGE upper bound (`+`, an id, or `(id` exclusive). */
  readonly upper: string;
  readonly buffer: RawEntry[];
  /** XRANGE came back short: the stream has nothing more up to `upper` for now. */
  caughtUp: boolean;
  /** Nothing more will be taken from this stream. */
  done: boolean;
}

/** Open a reader's source on the topic's stream(s) at `url`. */
export async function openRedisSource(
  url: string,
  spec: SourceSpec,
  options: RedisReplayOptions,
): Promise<ReplaySource> {
  const client = await connectRedisClient(url, {
    maxRetriesPerRequest: 1,
    ...(/^rediss:/i.test(url) && options.tls ? { tls: options.tls } : {}),
  });
  try {
    const names = new RedisKeyNames(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    const keys = options.key !== undefined ? [options.key] : await topicStreams(client, names, spec.topic);
    await assertStreams(client, url, spec.topic, keys);
    const lower = await lowerBounds(keys, spec);
    const streams: StreamState[] = [];
    for (const key of keys) {
      const upper = await upperBound(client, key, spec);
      const from = lower.get(key)!;
      streams.push({
        key,
        readFrom: from,
        handed: from,
        upper,
        buffer: [],
        caughtUp: false,
        done: upper === "",
      });
    }
    return new RedisReplaySource(client, spec, streams, options.fields);
  } catch (err) {
    client.disconnect();
    throw err;
  }
}

/** The topic's streams: every partition (from its `meta` hash), or the one stream. */
async function topicStreams(client: Redis, names: RedisKeyNames, topic: string): Promise<string[]> {
  const stored = await client.hget(names.meta(topic), "partitions");
  const partitions = stored !== null && /^\d+$/.test(stored) && Number(stored) > 0 ? Number(stored) : 1;
  return names.streams(topic, partitions);
}

async function assertStreams(
  client: Redis,
  url: string,
  topic: string,
  keys: readonly string[],
): Promise<void> {
  const types = await Promise.all(keys.map((k) => client.type(k)));
  const wrong = keys.filter((_, i) => types[i] !== "stream" && types[i] !== "none");
  if (wrong.length > 0)
    throw new MqaError("invalid-options", `key ${wrong.map((k) => `"${k}"`).join(", ")} is not a stream`);
  if (types.every((t) => t === "none"))
    throw new MqaError(
      "not-found",
      `topic "${topic}" has no stream on ${maskUrl(url)} (looked for ${keys.map((k) => `"${k}"`).join(", ")}): ` +
        "publish to it or declare a group first, or name the stream key with --stream (options.key) or the prefix with the spec",
      { details: { topic, keys } },
    );
}

/** The exclusive lower bound of each stream: from the checkpoint, or just before where `from` starts. */
async function lowerBounds(keys: readonly string[], spec: SourceSpec): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const s = spec.start;
  if ("after" in s) {
    const saved = parseCursor(s.after, keys);
    for (const k of keys) out.set(k, saved.get(k) ?? "0-0");
    return out;
  }
  const first =
    s.from === "start"
      ? "0-0"
      : "offset" in s.from
        ? idBefore(entryId(s.from.offset, "from offset"))
        : idBefore(`${Math.max(0, s.from.timestamp.getTime())}-0`);
  for (const k of keys) out.set(k, first);
  return out;
}

/** A saved cursor: one id (one stream) or a JSON object of stream key → id. */
function parseCursor(cursor: string, keys: readonly string[]): Map<string, string> {
  const bad = (): MqaError =>
    new MqaError(
      "invalid-options",
      `checkpoint ${JSON.stringify(cursor)} is not a Redis replay cursor of ${keys.map((k) => `"${k}"`).join(", ")}: ` +
        "was it saved by a reader of another topic or broker?",
    );
  if (!cursor.startsWith("{")) {
    if (keys.length !== 1 || !/^\d+-\d+$/.test(cursor)) throw bad();
    return new Map([[keys[0]!, cursor]]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    throw bad();
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw bad();
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== "string" || !/^\d+-\d+$/.test(v)) throw bad();
    out.set(k, v);
  }
  return out;
}

/** XRANGE's upper bound for the stream; `""` when there is nothing to read at all. */
async function upperBound(client: Redis, key: string, spec: SourceSpec): Promise<string> {
  const to = spec.to;
  if (to === "now") {
    const last = (await client.xrevrange(key, "+", "-", "COUNT", 1))[0];
    return last ? last[0] : "";
  }
  if (to === undefined) return "+";
  if ("offset" in to) return entryId(to.offset, "to offset");
  return `(${Math.max(0, to.timestamp.getTime())}-0`;
}

/** True when `id` is past the XRANGE upper bound `upper`. */
function pastUpper(id: string, upper: string): boolean {
  if (upper === "+") return false;
  if (upper.startsWith("(")) return compareIds(id, upper.slice(1)) >= 0;
  return compareIds(id, upper) > 0;
}

class RedisReplaySource implements ReplaySource {
  readonly method: string;
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly spec: SourceSpec,
    private readonly streams: StreamState[],
    private readonly fields: FieldMapping | undefined,
  ) {
    const keys = streams.map((s) => s.key).join(", ");
    this.method =
      `XRANGE${spec.follow ? " then XREAD BLOCK" : ""} (no consumer group) on ${keys}` +
      (streams.length > 1 ? ", merged by entry id" : "");
  }

  cursor(): string | undefined {
    if (this.streams.length === 1) return this.streams[0]!.handed;
    return JSON.stringify(Object.fromEntries(this.streams.map((s) => [s.key, s.handed])));
  }

  async next(max: number): Promise<ReplayedMessage[] | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const out = await this.catchUp(max);
      if (out.length > 0) return out;
      if (this.streams.every((s) => s.done)) return undefined;
      // Every stream is caught up and some may still grow: wait for new entries.
      await this.waitForEntries(max);
    }
  }

  /** Up to `max` entries read with XRANGE, merged by id across the streams. */
  private async catchUp(max: number): Promise<ReplayedMessage[]> {
    const out: ReplayedMessage[] = [];
    while (out.length < max && !this.closed) {
      for (const s of this.streams)
        if (s.buffer.length === 0 && !s.caughtUp && !s.done) await this.fill(s, max);
      let next: StreamState | undefined;
      for (const s of this.streams)
        if (
          s.buffer.length > 0 &&
          (!next || compareIds(s.buffer[0]![0].toString(), next.buffer[0]![0].toString()) < 0)
        )
          next = s;
      if (!next) break;
      const raw = next.buffer.shift()!;
      const id = raw[0].toString();
      next.handed = id;
      const entry = decodeEntry(raw, this.fields);
      if (entry)
        out.push({
          message: entry.toMessage(this.spec.topic, entry.storedAttempt),
          position: id,
          stream: next.key,
        });
    }
    return out;
  }

  private async fill(s: StreamState, max: number): Promise<void> {
    const entries = (await this.client.xrangeBuffer(
      s.key,
      `(${s.readFrom}`,
      s.upper,
      "COUNT",
      max,
    )) as RawEntry[];
    for (const e of entries) s.buffer.push(e);
    if (entries.length > 0) s.readFrom = entries[entries.length - 1]![0].toString();
    if (entries.length < max) {
      s.caughtUp = true;
      // Without follow the end is fixed (the end at open, or `to`); with follow only `to` ends a stream.
      if (!this.spec.follow) s.done = true;
    }
  }

  /** XREAD BLOCK on the streams still open; what comes is buffered (up to `to`), the rest ends its stream. */
  private async waitForEntries(max: number): Promise<void> {
    const open = this.streams.filter((s) => !s.done);
    const reply = (await this.client
      .xreadBuffer(
        "COUNT",
        max,
        "BLOCK",
        FOLLOW_BLOCK_MS,
        "STREAMS",
        ...open.map((s) => s.key),
        ...open.map((s) => s.readFrom),
      )
      .catch((err: unknown) => {
        if (this.closed) return null;
        throw new MqaError("connection-closed", "replay stopped: the Redis connection failed", {
          cause: err,
        });
      })) as Array<[Buffer, RawEntry[]]> | null;
    for (const [keyBuf, entries] of reply ?? []) {
      const s = open.find((x) => x.key === keyBuf.toString());
      if (!s) continue;
      for (const e of entries) {
        const id = e[0].toString();
        if (pastUpper(id, s.upper)) {
          s.done = true;
          break;
        }
        s.buffer.push(e);
        s.readFrom = id;
      }
    }
  }

  async handedOver(): Promise<void> {
    // Nothing to release: reading a stream without a group holds nothing on the server.
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.disconnect();
  }
}
