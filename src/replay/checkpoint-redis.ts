/**
 * Replay checkpoints in one Redis hash, `<keyPrefix>:replay:checkpoints` (`mqa:replay:checkpoints` by
 * default): field = reader name, value = its cursor. One HSET per save; as durable as the Redis server is
 * configured to be (see docs/redis.md: with `appendonly no` a restart loses what the last snapshot missed,
 * and a restored older checkpoint means more messages are replayed again, never fewer).
 */
import { z } from "zod";
import { parseOptions } from "../core/options.js";
import { DEFAULT_KEY_PREFIX } from "../transports/redis/layout.js";
import { assertCheckpointName, type CheckpointStore } from "./checkpoint.js";

/** The part of an ioredis client the store uses. */
export interface RedisHashClient {
  hget(key: string, field: string): Promise<string | null>;
  hset(key: string, field: string, value: string): Promise<number>;
}

export interface RedisCheckpointOptions {
  redis: RedisHashClient;
  /** Prefix of mqa's keys, as the transport's `keyPrefix`. @defaultValue "mqa" */
  keyPrefix?: string;
}

const shape = z.strictObject({
  redis: z.custom<RedisHashClient>(
    (v) =>
      typeof v === "object" &&
      v !== null &&
      typeof (v as { hget?: unknown }).hget === "function" &&
      typeof (v as { hset?: unknown }).hset === "function",
    "expected a Redis client with hget() and hset() (ioredis)",
  ),
  keyPrefix: z
    .string()
    .min(1)
    .regex(/^[^{}]*$/, "must not contain { or }")
    .optional(),
});

/** The hash holding every checkpoint under `keyPrefix`. */
export function checkpointHashKey(keyPrefix: string = DEFAULT_KEY_PREFIX): string {
  return `${keyPrefix}:replay:checkpoints`;
}

/** Replay checkpoints on Redis. */
export class RedisCheckpointStore implements CheckpointStore {
  readonly key: string;
  private readonly redis: RedisHashClient;

  constructor(options: RedisCheckpointOptions) {
    parseOptions(shape, options, "RedisCheckpointStore options");
    this.redis = options.redis;
    this.key = checkpointHashKey(options.keyPrefix);
  }

  async load(name: string): Promise<string | undefined> {
    assertCheckpointName(name);
    return (await this.redis.hget(this.key, name)) ?? undefined;
  }

  async save(name: string, position: string): Promise<void> {
    assertCheckpointName(name);
    await this.redis.hset(this.key, name, position);
  }
}
