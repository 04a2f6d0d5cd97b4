/** Options of a benchmark run, validated once with zod. */
import { z } from "zod";
import type { BrokerTlsOptions } from "../connect.js";
import { parseOptions } from "../core/options.js";

const schema = z.strictObject({
  /** Broker URL: memory://, amqp://…, redis://…. */
  broker: z.string().min(1),
  /** Messages per throughput round. @defaultValue 20000 */
  messages: z.number().int().min(1).default(20_000),
  /** Payload size, bytes (at least 8: the send time travels in the payload). @defaultValue 256 */
  size: z
    .number()
    .int()
    .min(8)
    .max(16 * 1024 * 1024)
    .default(256),
  /**
   * Latency-round send rate, msg/s. @defaultValue half of the lowest of every side's median publish and
   * consume rates (a rate every side sustains; the report names the side and the figure)
   */
  rate: z.number().positive().optional(),
  /** Messages per latency round. @defaultValue min(messages, 5 s at the rate) */
  latencyMessages: z.number().int().min(1).optional(),
  /** Rounds per side, alternating A B A B. @defaultValue 3 */
  rounds: z.number().int().min(1).max(50).default(3),
  /** Publishes awaiting their confirm at once (both sides). @defaultValue 500 */
  window: z.number().int().min(1).max(65_535).default(500),
  /** Unacked deliveries per consumer (both sides). @defaultValue 200 */
  prefetch: z.number().int().min(1).max(65_535).default(200),
  /**
   * Raw Redis clients to measure mqa against, each a baseline (the strongest per figure is the headline).
   * @defaultValue ["ioredis", "node-redis"]
   */
  rawRedis: z
    .array(z.enum(["ioredis", "node-redis"]))
    .min(1)
    .max(2)
    .refine((a) => new Set(a).size === a.length, { message: "lists a client twice" })
    .default(["ioredis", "node-redis"]),
  /**
   * RabbitMQ: the raw side's queue arguments. `same`: the arguments mqa declares for a group (dead-letter
   * exchange, at-least-once dead-lettering, reject-publish overflow, delivery limit); `plain`: the queue
   * type only; `both`: both, `same` as the baseline and `plain` beside it, so the broker's cost of the
   * dead-letter arguments is a ratio of its own. @defaultValue "both"
   */
  rawTopology: z.enum(["same", "plain", "both"]).default("both"),
  /**
   * Latency sweep: rates as percentages of the slowest side's median rate (the lower of publish and
   * consume); every side at each.
   * Absent: no sweep. @defaultValue no sweep
   */
  sweep: z.array(z.number().int().min(1).max(100)).min(1).max(20).optional(),
  /** RabbitMQ queue type (both sides). @defaultValue "quorum" */
  queueType: z.enum(["quorum", "classic"]).default("quorum"),
  /** TLS settings for an `amqps://` or `rediss://` broker (both sides). @defaultValue Node's defaults */
  tls: z
    .custom<BrokerTlsOptions>((v) => typeof v === "object" && v !== null, { message: "must be TLS settings" })
    .optional(),
});

export type BenchOptions = z.input<typeof schema>;
export type ResolvedBenchOptions = z.output<typeof schema>;

/** Validate and expand defaults. */
export function resolveBenchOptions(input: BenchOptions): ResolvedBenchOptions {
  return parseOptions(schema, input, "bench options");
}
