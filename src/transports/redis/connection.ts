/**
 * Builds ioredis clients from the transport options (the one place options become client settings)
 * and tracks connection state through a single setter.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { backoffDelay } from "../../core/backoff.js";
import { maskSecretsInText, maskUrl } from "../../core/redact.js";
import type { ConnectionState } from "../../core/transport.js";
import type { ResolvedRedisOptions } from "./options.js";

/** Map transport options to ioredis options. `role` names the connection in logs and CLIENT LIST. */
export function clientOptions(options: ResolvedRedisOptions, role: string): RedisOptions {
  const tls =
    options.url.startsWith("rediss://") || options.tls
      ? {
          ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
          ...(options.tls?.cert !== undefined ? { cert: options.tls.cert } : {}),
          ...(options.tls?.key !== undefined ? { key: options.tls.key } : {}),
          ...(options.tls?.servername !== undefined ? { servername: options.tls.servername } : {}),
          rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
        }
      : undefined;
  return {
    lazyConnect: true,
    connectionName: `mqa-${role}`,
    connectTimeout: options.connectTimeoutMs,
    // Commands wait across reconnects (publishes are bounded by publishTimeoutMs instead), so a
    // blip never surfaces as an error when a retry would have worked.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) =>
      backoffDelay({ ...options.reconnect, jitter: "full" }, Math.max(0, times - 1)) + 10,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** A new (not yet connected) client; its errors are logged (ioredis reconnects by itself). */
export function createClient(options: ResolvedRedisOptions, role: string, logger: Logger): Redis {
  const client = new Redis(options.url, clientOptions(options, role));
  client.on("error", (err: Error) => {
    logger.warn({ role, err: { message: maskSecretsInText(err.message) } }, "redis connection error");
  });
  return client;
}

type Listener = (state: ConnectionState, previous: ConnectionState) => void;

/** Connection state of the transport, changed only through {@link ConnectionStateMachine.set}. */
export class ConnectionStateMachine {
  private current: ConnectionState = { status: "idle" };
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly logger: Logger,
    private readonly url: string,
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  /** The one place state changes: logs old → new and notifies listeners. */
  set(next: ConnectionState): void {
    const previous = this.current;
    if (previous.status === next.status && JSON.stringify(previous) === JSON.stringify(next)) return;
    if (previous.status === "closed") return;
    this.current = next;
    this.logger.info(
      { from: previous.status, to: next.status, url: maskUrl(this.url) },
      "redis connection state",
    );
    for (const l of this.listeners) l(next, previous);
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follow an ioredis client's events. */
  follow(client: Redis): void {
    let attempt = 0;
    client.on("ready", () => {
      attempt = 0;
      this.set({ status: "ready" });
    });
    client.on("reconnecting", () => {
      attempt++;
      this.set({ status: "reconnecting", attempt });
    });
  }
}
