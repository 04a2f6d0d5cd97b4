/**
 * Options of the Redis Streams transport: validated once with zod (unknown keys rejected), defaults
 * documented here and in docs/redis.md.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { z } from "zod";
import { parseOptions } from "../../core/options.js";
import { DEFAULT_KEY_PREFIX } from "./naming.js";

const trimSchema = z.union([
  z.strictObject({ maxLen: z.number().int().positive() }),
  z.strictObject({ maxAgeMs: z.number().int().positive() }),
]);

const topicSchema = z.strictObject({
  /** Partition streams of the topic. @defaultValue 1 */
  partitions: z.number().int().min(1).max(1024).default(1),
  /** Trim the topic stream(s); never past an entry a group still needs. @defaultValue no trimming */
  trim: trimSchema.optional(),
});

const pem = z.union([z.string(), z.instanceof(Buffer)]);

const schema = z.strictObject({
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. @defaultValue "redis://127.0.0.1:6379" */
  url: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .default("redis://127.0.0.1:6379"),
  /** ACL user; overrides the URL's. */
  username: z.string().optional(),
  /** Password; overrides the URL's. Never logged. */
  password: z.string().optional(),
  /** TLS settings (implied by `rediss://`): CA and client certificate for mutual TLS. */
  tls: z
    .strictObject({
      ca: z.union([pem, z.array(pem)]).optional(),
      cert: pem.optional(),
      key: pem.optional(),
      servername: z.string().optional(),
      /** @defaultValue true */
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  /** Prefix of every key. @defaultValue "mqa" */
  keyPrefix: z.string().min(1).default(DEFAULT_KEY_PREFIX),
  /** Per-topic settings (partitions, trimming). Topics not listed have one partition, no trimming. */
  topics: z.record(z.string(), topicSchema).default({}),
  /** TCP/TLS connect timeout per attempt, ms. @defaultValue 10000 */
  connectTimeoutMs: z.number().int().positive().default(10_000),
  /**
   * How long `connect()` keeps trying (with the reconnect backoff) before it rejects; a refused password or
   * certificate rejects at once. @defaultValue 30000
   */
  initialConnectTimeoutMs: z.number().int().positive().default(30_000),
  /** Reconnect backoff (exponential, full jitter). */
  reconnect: z
    .strictObject({
      /** @defaultValue 100 */
      baseMs: z.number().int().positive().default(100),
      /** @defaultValue 5000 */
      maxMs: z.number().int().positive().default(5_000),
      /** @defaultValue 2 */
      multiplier: z.number().min(1).default(2),
    })
    .default({ baseMs: 100, maxMs: 5_000, multiplier: 2 }),
  /** Most XADDs in flight at once; further publishes wait for a slot. @defaultValue 1000 */
  maxInFlight: z.number().int().positive().default(1_000),
  /**
   * Most publishes waiting for an in-flight slot (e.g. while the connection is down); beyond it a publish
   * rejects at once with `publish-rejected` instead of piling up in memory. @defaultValue 10000
   */
  maxQueuedPublishes: z.number().int().min(0).default(10_000),
  /** A publish not confirmed in this time rejects with `publish-timeout`. @defaultValue 10000 */
  publishTimeoutMs: z.number().int().positive().default(10_000),
  /** Extra durability before a publish resolves; `durability-not-met` when the server cannot confirm it. */
  durability: z
    .strictObject({
      /** Replicas that must have the write (WAIT). @defaultValue 0 */
      replicas: z.number().int().min(0).default(0),
      /** The write must be fsynced to the local AOF (WAITAOF, or `appendfsync always`). @defaultValue false */
      localFsync: z.boolean().default(false),
      /** @defaultValue 1000 */
      timeoutMs: z.number().int().positive().default(1_000),
    })
    .optional(),
  /** XREADGROUP BLOCK time; also how often a consumer re-checks its partitions. @defaultValue 1000 */
  blockMs: z.number().int().positive().default(1_000),
  /** Pending entries idle longer than this are reclaimed from their (presumed dead) consumer. @defaultValue 30000 */
  claimIdleMs: z.number().int().positive().default(30_000),
  /** How often each consumer looks for entries to reclaim. @defaultValue claimIdleMs / 2, at most 10000 */
  claimIntervalMs: z.number().int().positive().optional(),
  /** Consumers with nothing pending, idle longer than this, are removed from the group. @defaultValue 600000 */
  consumerIdleMs: z.number().int().positive().default(600_000),
  /** How often delayed retries that are due are moved into the retry stream. @defaultValue 200 */
  delayPollMs: z.number().int().positive().default(200),
  /**
   * A delivery whose attempt (mqa retries plus broker redeliveries) exceeds this goes to the DLQ
   * without reaching the handler (reason `max-deliveries`): it stops crash loops. @defaultValue 20
   */
  maxDeliveries: z.number().int().positive().default(20),
  /** Cap on each dead-letter stream (approximate MAXLEN); 0 keeps every dead letter. @defaultValue 0 */
  deadLetterMaxLen: z.number().int().min(0).default(0),
  /** Partition lease time; a dead owner's partitions move after this. @defaultValue 10000 */
  partitionLeaseMs: z.number().int().positive().default(10_000),
  /** Consumer names are `<prefix>-<random>`. @defaultValue "<hostname>-<pid>" */
  consumerNamePrefix: z.string().min(1).optional(),
  /** A pino logger; silent when omitted. */
  logger: z.custom<Logger>((v) => typeof v === "object" && v !== null && "child" in v).optional(),
});

/** Options as a user writes them. */
export type RedisTransportOptions = z.input<typeof schema>;
/** Options with defaults applied. */
export type ResolvedRedisOptions = z.output<typeof schema> & {
  claimIntervalMs: number;
  consumerNamePrefix: string;
};

/** Validate and expand defaults; throws `invalid-options` listing every problem with its path. */
export function parseRedisOptions(input: unknown): ResolvedRedisOptions {
  const o = parseOptions(schema, input ?? {}, "RedisTransport options");
  return {
    ...o,
    claimIntervalMs: o.claimIntervalMs ?? Math.min(10_000, Math.max(50, Math.floor(o.claimIdleMs / 2))),
    consumerNamePrefix: o.consumerNamePrefix ?? `${hostname()}-${process.pid}`,
  };
}
