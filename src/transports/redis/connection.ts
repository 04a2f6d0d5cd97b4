/**
 * Builds ioredis clients from the transport options (the one place options become client settings)
 * and feeds a client's connection events into the transport's state cell.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import { backoffDelay } from "../../core/backoff.js";
import { maskSecretsInText } from "../../core/redact.js";
import type { ConnectionStateCell } from "../connection-state.js";
import type { RedisClient } from "./client.js";
import type { ResolvedRedisOptions } from "./options.js";
import { isConfigurationError } from "./reply-error.js";

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
    // The commands one turn of the event loop issues (a burst of XADDs, XACKs, scripts) go out as one
    // write instead of one system call each (decision 0020). Not on the blocking readers: a read waits
    // alone on its own connection anyway.
    enableAutoPipelining: role === "command",
    // ioredis 6 loses the command name of `call()`/`callBuffer()` inside an auto-pipeline; these are the
    // commands mqa sends that way (the durability and reclaim tests cover each).
    autoPipeliningIgnoredCommands: ["COMMAND", "CONFIG", "WAIT", "WAITAOF", "XAUTOCLAIM"],
    retryStrategy: (times: number) =>
      backoffDelay({ ...options.reconnect, jitter: "full" }, Math.max(0, times - 1)) + 10,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** `redis://user:password@host:port` → its host, port and credentials (URL-decoded). */
function seedOf(url: string): { host: string; port: number; username?: string; password?: string } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    ...(parsed.username !== "" ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== "" ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/**
 * A Redis Cluster client: the seeds of `options.cluster` (or `url`), every node reached with the options of
 * {@link clientOptions} (credentials from the options, else from `url`). It waits out a failover (CLUSTERDOWN,
 * TRYAGAIN: retried every 200 ms, up to 50 redirections) instead of failing the command at once.
 */
function createCluster(options: ResolvedRedisOptions, role: string): Cluster {
  const base = clientOptions(options, role);
  const { retryStrategy, enableAutoPipelining, autoPipeliningIgnoredCommands, lazyConnect, ...nodeOptions } =
    base;
  const fromUrl = seedOf(options.url);
  const urls = typeof options.cluster === "object" ? options.cluster.nodes : [options.url];
  return new Cluster(
    urls.map((u) => {
      const { host, port } = seedOf(u);
      return { host, port };
    }),
    {
      lazyConnect,
      enableOfflineQueue: true,
      enableAutoPipelining,
      autoPipeliningIgnoredCommands,
      clusterRetryStrategy: (times: number) => (retryStrategy ? retryStrategy(times) : 100),
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      maxRedirections: 50,
      redisOptions: {
        ...nodeOptions,
        ...(nodeOptions.username === undefined && fromUrl.username !== undefined
          ? { username: fromUrl.username }
          : {}),
        ...(nodeOptions.password === undefined && fromUrl.password !== undefined
          ? { password: fromUrl.password }
          : {}),
      },
    },
  );
}

/** A new (not yet connected) client; its errors are logged (ioredis reconnects by itself). */
export function createClient(options: ResolvedRedisOptions, role: string, logger: Logger): RedisClient {
  const client =
    options.cluster === false
      ? new Redis(options.url, clientOptions(options, role))
      : createCluster(options, role);
  client.on("error", (err: Error) => {
    logger.warn({ role, err: { message: maskSecretsInText(err.message) } }, "redis connection error");
  });
  return client;
}

/**
 * Connect `client` (lazyConnect) and resolve once it is ready. A failed first attempt is not the end:
 * ioredis keeps retrying with the reconnect backoff, and this waits for it up to `timeoutMs`, so a blip at
 * start-up (a broker still booting, a connection cut during the handshake) costs a retry, not an error.
 * Rejects at once on a configuration error, and with the last error seen at the deadline.
 */
export async function firstReady(client: RedisClient, timeoutMs: number): Promise<void> {
  let lastError: Error | undefined;
  let fail: ((err: Error) => void) | undefined;
  const onError = (err: Error): void => {
    lastError = err;
    if (isConfigurationError(err)) fail?.(err);
  };
  client.on("error", onError);
  let timer: NodeJS.Timeout | undefined;
  const onReady = (): void => settle?.();
  const onEnd = (): void => fail?.(lastError ?? new Error("the connection was closed while connecting"));
  let settle: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      fail = reject;
      settle = resolve;
      timer = setTimeout(() => reject(lastError ?? new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      client.once("ready", onReady);
      client.once("end", onEnd);
      client.connect().catch((err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        lastError ??= e;
        // ioredis goes on reconnecting by itself unless the error is one no retry can fix.
        if (isConfigurationError(e) || client.status === "end") reject(e);
      });
    });
  } finally {
    clearTimeout(timer);
    client.off("error", onError);
    client.off("ready", onReady);
    client.off("end", onEnd);
  }
}

/**
 * Follow an ioredis client's events into the transport's state cell: `ready`, and `reconnecting` with
 * the attempt number (the cell's rules keep a closing transport from going back).
 */
export function followClient(cell: ConnectionStateCell, client: RedisClient): void {
  let attempt = 0;
  client.on("ready", () => {
    attempt = 0;
    cell.set({ status: "ready" });
  });
  client.on("reconnecting", () => {
    attempt++;
    cell.set({ status: "reconnecting", attempt });
  });
}
