/**
 * One entry point from a broker URL to a transport: `memory://[name]`, `amqp(s)://…`, `redis(s)://…`.
 * Transports are loaded on demand, so using one broker never loads another's client.
 */
import type { Logger } from "pino";
import { MqaError } from "./core/errors.js";
import { maskUrl } from "./core/redact.js";
import type { Transport } from "./core/transport.js";
import { MemoryTransport } from "./transports/memory/transport.js";

export interface ConnectOptions {
  logger?: Logger;
}

type Loader = (url: string, options: ConnectOptions) => Promise<Transport>;

const loaders: Record<string, Loader> = {
  "memory:": async (url) => new MemoryTransport({ broker: new URL(url).host || "default" }),
  "redis:": loadRedis,
  "rediss:": loadRedis,
};

async function loadRedis(url: string, options: ConnectOptions): Promise<Transport> {
  const { createRedisTransport } = await import("./transports/redis/mod.js");
  return createRedisTransport({ url, ...(options.logger ? { logger: options.logger } : {}) });
}

const planned: Record<string, string> = {
  "amqp:": "RabbitMQ",
  "amqps:": "RabbitMQ",
};

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
  const name = planned[protocol];
  if (name) {
    throw new MqaError(
      "unsupported",
      `the ${name} transport (${protocol}//) is not available in this build of mqa yet`,
    );
  }
  throw new MqaError(
    "invalid-options",
    `unknown broker URL scheme "${protocol}" in ${maskUrl(url)}; use memory://, amqp(s):// or redis(s)://`,
  );
}
