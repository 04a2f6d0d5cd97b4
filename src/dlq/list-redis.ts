/**
 * Every group's DLQ on a Redis: the streams `<prefix>:{<topic>}:dlq:<group>` and, for partitioned topics,
 * `<prefix>:{<topic>#<n>}:dlq:<group>`, found with SCAN (TYPE stream); read with XLEN and the first and last
 * entry only, so listing changes nothing and costs three commands per stream. DLQs of topics that name their
 * own stream key (`<prefix>:{<tag>}:key:…`) are left out: their topic names live in the spec, not in Redis.
 */
import { deadLetteredAtOf } from "../core/dead-letter-queues.js";
import type { RedisAdmin } from "../brokers/redis-admin.js";
import { scanStreams } from "../brokers/redis-streams.js";
import { DEFAULT_KEY_PREFIX, decodeEntry, unescapeName, type RawEntry } from "../transports/redis/layout.js";
import { sortSummaries, type DeadLetterQueueSummary } from "./list-all.js";

/** Streams scanned at most; more is a sign of a wrong prefix rather than of that many groups. */
const MAX_STREAMS = 100_000;

/** Topic and group of an mqa DLQ stream key, or undefined when `key` is not one. */
export function parseRedisDlqKey(
  key: string,
  prefix = DEFAULT_KEY_PREFIX,
): { topic: string; group: string } | undefined {
  if (!key.startsWith(`${prefix}:{`)) return undefined;
  const m = /^\{([^{}]+)\}:dlq:(.+)$/.exec(key.slice(prefix.length + 1));
  if (!m) return undefined;
  // `#` inside a tag is escaped in topic names, so a bare `#<n>` at the end is the partition.
  const tag = m[1]!.replace(/#\d+$/, "");
  return { topic: unescapeName(tag), group: unescapeName(m[2]!) };
}

/** Every mqa DLQ under `prefix` with its count and oldest/newest dead-lettering time. */
export async function listRedisDeadLetterQueues(
  admin: RedisAdmin,
  prefix = DEFAULT_KEY_PREFIX,
): Promise<DeadLetterQueueSummary[]> {
  const glob = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  const keys = await scanStreams(admin, `${glob}:{*}:dlq:*`, MAX_STREAMS);
  const byGroup = new Map<string, { topic: string; group: string; keys: string[] }>();
  for (const key of keys) {
    const parsed = parseRedisDlqKey(key, prefix);
    if (!parsed) continue;
    const id = `${parsed.topic}\u0000${parsed.group}`;
    const g = byGroup.get(id) ?? { ...parsed, keys: [] };
    g.keys.push(key);
    byGroup.set(id, g);
  }
  const out: DeadLetterQueueSummary[] = [];
  for (const { topic, group, keys: streams } of byGroup.values()) {
    let count = 0;
    const times: number[] = [];
    for (const key of streams) {
      count += Number(await admin.call("XLEN", key));
      for (const raw of [
        await admin.call("XRANGE", key, "-", "+", "COUNT", 1),
        await admin.call("XREVRANGE", key, "+", "-", "COUNT", 1),
      ]) {
        const at = timeOfFirst(raw, topic);
        if (at !== undefined) times.push(at);
      }
    }
    out.push(
      count === 0 || times.length === 0
        ? { topic, group, queues: streams, count }
        : {
            topic,
            group,
            queues: streams,
            count,
            oldestAt: Math.min(...times),
            newestAt: Math.max(...times),
          },
    );
  }
  return sortSummaries(out);
}

/** Dead-lettering time of the one entry of an XRANGE reply (as the admin connection returns it: strings). */
function timeOfFirst(reply: unknown, topic: string): number | undefined {
  const first = Array.isArray(reply) ? (reply[0] as unknown) : undefined;
  if (!Array.isArray(first) || first.length < 2 || !Array.isArray(first[1])) return undefined;
  const raw: RawEntry = [
    Buffer.from(String(first[0])),
    (first[1] as unknown[]).map((f) => Buffer.from(String(f))),
  ];
  const decoded = decodeEntry(raw);
  if (!decoded) return undefined;
  return deadLetteredAtOf(decoded.toMessage(topic, 1).headers, Number.parseInt(decoded.entryId, 10));
}
