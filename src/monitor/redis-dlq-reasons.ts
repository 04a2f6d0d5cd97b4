/**
 * Dead letters by reason on Redis, read-only: `XREVRANGE` of the newest entries of a dead-letter stream,
 * counted by their `x-mqa-dead-letter-reason` header (decoded as the transport decodes them). Reading a
 * stream changes nothing in it: no group, no pending entry, no delivery count. A stream unchanged since the
 * last sample (same length, last id and deletions) is not read again.
 */
import type { RedisAdmin } from "../brokers/redis-admin.js";
import type { RedisStream } from "../brokers/redis-streams.js";
import { Headers } from "../core/message.js";
import { decodeEntry, type RawEntry } from "../transports/redis/layout.js";
import type { ReasonCount } from "./snapshot.js";

/** At most this many of the newest entries are counted per stream and sample. */
export const REASON_SAMPLE = 1000;

/** Reason counted for an entry that names none (written by another tool). */
export const UNKNOWN_REASON = "(unknown)";

export interface ReasonSample {
  byReason: ReasonCount[];
  /** Entries counted: the newest, at most {@link REASON_SAMPLE}. */
  sampled: number;
}

/** Reads and remembers, per stream, the reasons of the newest dead letters. */
export class DeadLetterReasons {
  private cache = new Map<string, { version: string; sample: ReasonSample }>();
  private seen = new Map<string, { version: string; sample: ReasonSample }>();

  constructor(private readonly limit = REASON_SAMPLE) {}

  /** The reasons in `stream` (its XINFO, just read), from the cache when the stream has not changed. */
  async of(r: RedisAdmin, stream: RedisStream): Promise<ReasonSample> {
    const version = `${stream.length}|${stream.lastGeneratedId}|${stream.maxDeletedEntryId ?? ""}|${stream.entriesAdded ?? ""}`;
    const cached = this.cache.get(stream.key);
    const sample =
      cached?.version === version ? cached.sample : await countReasons(r, stream.key, this.limit);
    this.seen.set(stream.key, { version, sample });
    return sample;
  }

  /** Forget streams not looked at since the last call, so vanished streams do not pile up. */
  endSample(): void {
    this.cache = this.seen;
    this.seen = new Map();
  }
}

/** Count the newest `limit` entries of `key` by reason, largest group first. */
export async function countReasons(r: RedisAdmin, key: string, limit: number): Promise<ReasonSample> {
  const reply = await r.call("XREVRANGE", key, "+", "-", "COUNT", limit);
  const counts = new Map<string, number>();
  let sampled = 0;
  for (const item of Array.isArray(reply) ? reply : []) {
    const entry = toRaw(item);
    if (entry === undefined) continue;
    const decoded = decodeEntry(entry);
    if (decoded === undefined) continue;
    sampled++;
    const reason =
      decoded.toMessage(key, decoded.storedAttempt).headers[Headers.deadLetterReason] ??
      decoded.fields.get("reason")?.toString() ??
      UNKNOWN_REASON;
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  const byReason = [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { byReason, sampled };
}

/** An `XREVRANGE` reply item (`[id, [field, value, …]]`, as strings) as the entry codec takes it. */
function toRaw(item: unknown): RawEntry | undefined {
  if (!Array.isArray(item) || typeof item[0] !== "string") return undefined;
  const list: unknown = item[1];
  if (list === null) return [Buffer.from(item[0]), null];
  if (!Array.isArray(list)) return undefined;
  return [Buffer.from(item[0]), list.map((v) => Buffer.from(String(v)))];
}
