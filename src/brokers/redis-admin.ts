/**
 * The one admin connection to Redis that features use (topology, audit, monitor, test helpers): raw commands
 * and a way to leave. The one file here that knows the client library (ioredis, the transport's choice:
 * docs/decisions/0020-redis-client.md), so swapping it touches nothing else.
 */
import type { RedisOptions } from "ioredis";
import { maskUrl } from "../core/redact.js";
import { BrokerApiError } from "./errors.js";
import { adminTls } from "./admin-tls.js";
import { connectRedisClient } from "./redis-client.js";
import type { AdminTlsOptions } from "./http.js";

/** What features need from Redis: one command at a time, and `close`. */
export interface RedisAdmin {
  /** Run one command; replies as the server sends them (strings, numbers, nested arrays); rejects with the server's error (e.g. `NOPERM`). */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Leave politely (QUIT), or drop the socket if that fails. */
  close(): Promise<void>;
}

export interface RedisAdminOptions {
  /** Bound on connecting. @defaultValue 5000 */
  timeoutMs?: number;
  /** TLS settings for a `rediss://` URL (applied only to `rediss://`); without them Node's defaults hold. */
  tls?: AdminTlsOptions;
}

/**
 * Connect to `redis://` or `rediss://` and fail fast: one attempt, no reconnects, no offline queue, since
 * admin commands are one-shot. A failure is a {@link BrokerApiError} naming the masked URL; the client's
 * `error` events are swallowed (each failure surfaces through the rejected call instead), so nothing is
 * printed with the URL in it.
 */
export async function connectRedisAdmin(url: string, options: RedisAdminOptions = {}): Promise<RedisAdmin> {
  const masked = maskUrl(url);
  let secure: boolean;
  try {
    const protocol = new URL(url).protocol;
    if (protocol !== "redis:" && protocol !== "rediss:") throw new Error(`scheme ${protocol}`);
    secure = protocol === "rediss:";
  } catch (cause) {
    throw new BrokerApiError(`not a Redis URL: ${masked}; give redis://[user:pass@]host:6379 or rediss://…`, {
      code: "invalid-options",
      cause,
    });
  }
  const clientOptions: RedisOptions = {
    connectTimeout: options.timeoutMs ?? 5000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  };
  const tls = adminTls(options.tls);
  if (secure && tls) clientOptions.tls = { ...tls, ca: tls.ca as string | Buffer[] };
  const client = await connectRedisClient(url, clientOptions);
  return {
    call: (command, ...args) => client.call(command, ...args),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
