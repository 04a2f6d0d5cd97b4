/** Helpers for tests against the shared local Redis: unique key prefixes, cleanup, waiting. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { waitFor } from "../src/testing/mod.js";
import {
  createRedisTransport,
  type RedisTransport,
  type RedisTransportOptions,
} from "../src/transports/redis/mod.js";

export const REDIS_URL = process.env.MQA_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test uses. */
export function uniquePrefix(): string {
  return `mqa-test-${randomBytes(5).toString("hex")}`;
}

/** Delete every key under `prefix` on the Redis at `url`. */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

/** Transports created through this factory are closed and their keys deleted by `cleanup()`. */
export function transportFactory(base: RedisTransportOptions = {}) {
  const prefix = uniquePrefix();
  const made: RedisTransport[] = [];
  return {
    prefix,
    create(extra: RedisTransportOptions = {}): RedisTransport {
      const t = createRedisTransport({
        url: REDIS_URL,
        keyPrefix: prefix,
        claimIdleMs: 500,
        blockMs: 200,
        ...base,
        ...extra,
      });
      made.push(t);
      return t;
    },
    async cleanup(): Promise<void> {
      await Promise.all(made.map((t) => t.close({ timeoutMs: 1000 }).catch(() => t.abort())));
      await deleteKeys(prefix, (base.url as string | undefined) ?? REDIS_URL).catch(() => undefined);
    },
  };
}

/** {@link waitFor} with the argument order these tests use. */
export function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  return waitFor(check, timeoutMs, what);
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A name no other test uses: `<prefix>-<8 random characters>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * A raw ioredis client, as "the other service" that owns streams outside mqa's prefix: every key passed to
 * `track` is deleted by `cleanup()`, along with the client.
 */
export function rawRedis(url = REDIS_URL) {
  const client = new Redis(url);
  const keys = new Set<string>();
  return {
    client,
    /** Remember `key` for deletion; returns it. */
    track(key: string): string {
      keys.add(key);
      return key;
    },
    async cleanup(): Promise<void> {
      if (keys.size > 0) await client.del(...keys).catch(() => undefined);
      keys.clear();
      client.disconnect();
    },
  };
}
