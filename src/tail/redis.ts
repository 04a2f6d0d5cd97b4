/**
 * Tail on Redis Streams: plain XREAD BLOCK on the topic's stream(s), from their last entry at start.
 * XREAD belongs to no consumer group, so it creates no pending entries and moves no group's position:
 * nothing to clean up.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { redisLocationFields } from "../spec/redis-location.js";
import { connectRedisClient } from "../brokers/redis-client.js";
import type { BrokerTlsOptions } from "../connect.js";
import type { Message } from "../core/message.js";
import { parseOptions } from "../core/options.js";
import {
  DEFAULT_KEY_PREFIX,
  RedisKeyNames,
  decodeEntry,
  type FieldMapping,
  type RawEntry,
} from "../transports/redis/layout.js";
import type { Tail } from "./tail.js";

/** Where the topic lives and how its entries are laid out, as the transport's `topics.<topic>` says. */
export interface RedisTailOptions {
  /** Prefix of mqa's keys (the transport's `keyPrefix`). @defaultValue "mqa" */
  keyPrefix?: string;
  /** The topic's stream key as it is on the server (`topics.<topic>.key`). @defaultValue `<keyPrefix>:{topic}` and its partitions */
  key?: string;
  /** Field layout of another program's entries (`topics.<topic>.fields`). @defaultValue mqa's own layout */
  fields?: FieldMapping;
  /** TLS settings for a `rediss://` URL. */
  tls?: BrokerTlsOptions;
}

const tailOptions = z.strictObject({
  ...redisLocationFields,
  tls: z.custom<BrokerTlsOptions>((v) => typeof v === "object" && v !== null).optional(),
});

/** Streams of `topic` that exist (every partition), or the unpartitioned stream when none does yet. */
async function topicStreams(client: Redis, names: RedisKeyNames, topic: string): Promise<string[]> {
  const single = names.stream(topic);
  const partitioned = new RegExp(`^${escapeRegex(single.slice(0, -1))}#\\d+\\}$`);
  const found = new Set<string>();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", names.topicPattern(topic), "COUNT", 1000);
    cursor = next;
    for (const k of keys) if (k === single || partitioned.test(k)) found.add(k);
  } while (cursor !== "0");
  return found.size > 0 ? [...found].sort() : [single];
}

/** One client for the tail: fails fast with the server's reason at first, then reconnects on its own. */
function connectTailClient(url: string, tls: BrokerTlsOptions | undefined): Promise<Redis> {
  return connectRedisClient(
    url,
    { maxRetriesPerRequest: null, ...(/^rediss:/i.test(url) && tls ? { tls } : {}) },
    { reconnect: true },
  );
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Open a Redis Streams tail on `topic`: its stream `options.key` when given (a stream another program
 * owns), else mqa's `<keyPrefix>:{topic}` and its partitions; entries decoded with `options.fields` as the
 * transport decodes them. Throws `invalid-options` for malformed options.
 */
export async function openRedisTail(
  url: string,
  topic: string,
  onMessage: (m: Message) => void,
  options: RedisTailOptions = {},
): Promise<Tail> {
  const o = parseOptions(tailOptions, options, "Redis tail options");
  const client = await connectTailClient(url, o.tls);
  const names = new RedisKeyNames(o.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const streams = o.key !== undefined ? [o.key] : await topicStreams(client, names, topic);
  // Concrete ids, never `$`: `$` means "newer than the last entry when this XREAD arrives", so an entry
  // added between a BLOCK timeout and the next XREAD would be skipped.
  const positions = await Promise.all(
    streams.map(async (s) => {
      const last = (await client.xrevrange(s, "+", "-", "COUNT", 1))[0];
      return last ? last[0] : "0-0";
    }),
  );
  let running = true;
  const loop = (async () => {
    while (running) {
      const reply = (await client
        .xreadBuffer("BLOCK", 500, "STREAMS", ...streams, ...positions)
        .catch(() => null)) as Array<[Buffer, RawEntry[]]> | null;
      for (const [key, entries] of reply ?? []) {
        const i = streams.indexOf(key.toString());
        for (const raw of entries) {
          positions[i] = raw[0].toString();
          const entry = decodeEntry(raw, o.fields);
          if (entry) onMessage(entry.toMessage(topic, entry.storedAttempt));
        }
      }
    }
  })();
  return {
    method: `XREAD (no consumer group) on ${streams.join(", ")}`,
    close: async () => {
      running = false;
      client.disconnect();
      await loop;
    },
  };
}
