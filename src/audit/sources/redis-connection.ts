/**
 * The one file that knows the Redis client library. The audit sends a handful of read-only commands, so it
 * needs only `call` and `close`; swapping the client (see docs/decisions/0040-audit-redis-client.md) touches
 * nothing else.
 */
import { Redis } from "ioredis";
import { ConnectionClosedError } from "../../core/errors.js";
import { maskSecretsInText, maskUrl } from "../../core/redact.js";

export interface RedisCommandRunner {
  /** Run one command; rejects with the server's error (e.g. `NOPERM`, `ERR unknown command`). */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Connect to `url` (`redis://` or `rediss://`); fails fast instead of retrying forever. */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<RedisCommandRunner> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // Errors surface through the rejected commands; without a listener ioredis would print them.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new ConnectionClosedError(
      `cannot connect to Redis at ${maskUrl(url)}: ${maskSecretsInText((err as Error).message)}`,
      {
        cause: err,
      },
    );
  }
  return {
    call: (command, ...args) => client.call(command, ...args),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
