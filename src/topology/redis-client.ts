/**
 * The one file that knows which Redis client topology uses (ioredis, the client the Redis transport chose: docs/decisions/0020-redis-client.md). Everything else
 * speaks raw commands through {@link TopologyRedis}, so switching clients touches only this file.
 */
import { Redis } from "ioredis";
import { maskUrl } from "../core/redact.js";
import { BrokerApiError } from "./errors.js";

/** The little topology needs from Redis: raw commands and a way to leave. */
export interface TopologyRedis {
  /** Run one command; replies as the client returns them (strings, numbers, nested arrays). */
  command(name: string, ...args: (string | number)[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Connect to `redis://` / `rediss://`; fails fast (no endless reconnects) since topology commands are one-shot. */
export async function connectRedis(url: string): Promise<TopologyRedis> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: () => null,
  });
  // Errors surface through the command promises; an unhandled 'error' event would print the URL.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    client.disconnect();
    throw new BrokerApiError(`cannot connect to Redis at ${maskUrl(url)}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return {
    command: (name, ...args) => client.call(name, ...args),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
