/**
 * One entry point from a broker URL to a transport: `memory://[name]`, `amqp(s)://…`, `redis(s)://…`.
 * Transports are loaded on demand, so using one broker never loads another's client.
 */
import type { Logger } from "pino";
import { MqaError } from "./core/errors.js";
import { maskUrl } from "./core/redact.js";
import type { Transport } from "./core/transport.js";
import type { TopologySpec } from "./spec/schema/spec.js";
import type { AmqpTransportOptions } from "./transports/amqp/mod.js";
import type { RedisTransportOptions } from "./transports/redis/mod.js";
import { MemoryTransport } from "./transports/memory/mod.js";

export interface ConnectOptions {
  logger?: Logger;
  /** How long `connect()` keeps trying before it rejects (the transports' `initialConnectTimeoutMs`). */
  initialConnectTimeoutMs?: number;
  /**
   * A topology spec (`loadSpecFile`): the transport declares what it describes and refuses names it does not
   * know (the transports' `topology` option). Ignored by the in-memory broker.
   */
  topology?: TopologySpec;
  /**
   * TLS settings (CA, client certificate and key, server name) for an `amqps://` or `rediss://` URL; ignored
   * for the others (a plain URL never turns TLS on). The transport's own `tls` in `amqp` / `redis` wins.
   */
  tls?: BrokerTlsOptions;
  /**
   * Every node of the RabbitMQ cluster the URL belongs to (`amqp(s)://` only): the transport gets this list as
   * its `url` (see docs/clusters.md). @defaultValue just the URL
   */
  clusterUrls?: string[];
  /** More options for the RabbitMQ transport, when the URL is `amqp(s)://`. */
  amqp?: Omit<AmqpTransportOptions, "url">;
  /** More options for the Redis transport, when the URL is `redis(s)://`. */
  redis?: Omit<RedisTransportOptions, "url">;
}

/** TLS settings as both network transports take them; PEM as text or bytes. */
export interface BrokerTlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  /** @defaultValue true */
  rejectUnauthorized?: boolean;
}

type Loader = (url: string, options: ConnectOptions) => Promise<Transport>;

const loaders: Record<string, Loader> = {
  "memory:": async (url) => new MemoryTransport({ broker: new URL(url).host || "default" }),
  "redis:": loadRedis,
  "rediss:": loadRedis,
  "amqp:": loadAmqp,
  "amqps:": loadAmqp,
};

/** The options both network transports take, as given. */
function common(options: ConnectOptions): ConnectOptions {
  return {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.initialConnectTimeoutMs !== undefined
      ? { initialConnectTimeoutMs: options.initialConnectTimeoutMs }
      : {}),
    ...(options.topology ? { topology: options.topology } : {}),
  };
}

async function loadRedis(url: string, options: ConnectOptions): Promise<Transport> {
  const { createRedisTransport } = await import("./transports/redis/mod.js");
  const tls = /^rediss:/i.test(url) && options.tls && !options.redis?.tls ? { tls: options.tls } : {};
  return createRedisTransport({ ...options.redis, ...tls, url, ...common(options) });
}

async function loadAmqp(url: string, options: ConnectOptions): Promise<Transport> {
  const { createAmqpTransport } = await import("./transports/amqp/mod.js");
  const tls = /^amqps:/i.test(url) && options.tls && !options.amqp?.tls ? { tls: options.tls } : {};
  const urls = options.clusterUrls && options.clusterUrls.length > 0 ? options.clusterUrls : url;
  return createAmqpTransport({ ...options.amqp, ...tls, url: urls, ...common(options) });
}

/** Create (not yet connected) the transport for `url`. */
export async function createTransport(url: string, options: ConnectOptions = {}): Promise<Transport> {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new MqaError(
      "invalid-options",
      `"${maskUrl(url)}" is not a broker URL; use memory://, amqp://user:pass@host:5672 or redis://host:6379`,
    );
  }
  const loader = loaders[protocol];
  if (loader) return loader(url, options);
  throw new MqaError(
    "invalid-options",
    `unknown broker URL scheme "${protocol}" in ${maskUrl(url)}; use memory://, amqp(s):// or redis(s)://`,
  );
}
