/**
 * Connecting an ioredis client the way every feature wants it: the first connect fails fast and names the
 * server's reason (WRONGPASS, ECONNREFUSED, a certificate error) instead of ioredis' bare "Connection is
 * closed."; `error` events are consumed, so ioredis never prints "Unhandled error event" with a stack (and the
 * URL); once connected, the client reconnects on its own only when asked to.
 */
import { Redis, type RedisOptions } from "ioredis";
import { maskSecretsInText, maskUrl } from "../core/redact.js";
import { BrokerApiError } from "./errors.js";

export interface RedisClientOptions {
  /** After the first successful connect, reconnect (bounded backoff, up to 2 s) instead of giving up. @defaultValue false */
  reconnect?: boolean;
}

/**
 * A connected client for `url` with `options` (ioredis' own). A failed first connect rejects with a
 * {@link BrokerApiError}: code `invalid-options` when the server refused the user or password, else
 * `connection-closed`.
 */
export async function connectRedisClient(
  url: string,
  options: RedisOptions = {},
  behaviour: RedisClientOptions = {},
): Promise<Redis> {
  let connected = false;
  let reason: Error | undefined;
  const client = new Redis(url, {
    ...options,
    lazyConnect: true,
    retryStrategy: (times) => (connected && behaviour.reconnect ? Math.min(times * 200, 2000) : null),
  });
  client.on("error", (err: Error) => void (reason ??= err));
  try {
    await client.connect();
  } catch (cause) {
    client.disconnect();
    const why = reason ?? (cause as Error);
    const refused = /WRONGPASS|NOAUTH|NOPERM|invalid (username|password)/i.test(why.message);
    throw new BrokerApiError(
      `cannot connect to Redis at ${maskUrl(url)}: ${maskSecretsInText(why.message)}` +
        (refused ? " (the server refused the user or password)" : ""),
      { cause: why, ...(refused ? { code: "invalid-options" as const } : {}) },
    );
  }
  connected = true;
  return client;
}
