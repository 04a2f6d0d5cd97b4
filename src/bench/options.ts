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
  /** Latency-round send rate, msg/s. @defaultValue half of the raw client's median publish rate */
  rate: z.number().positive().optional(),
  /** Messages per latency round. @defaultValue min(messages, 5 s at the rate) */
  latencyMessages: z.number().int().min(1).optional(),
  /** Rounds per side, alternating A B A B. @defaultValue 3 */
  rounds: z.number().int().min(1).max(50).default(3),
  /** Publishes awaiting their confirm at once (both sides). @defaultValue 500 */
  window: z.number().int().min(1).max(65_535).default(500),
  /** Unacked deliveries per consumer (both sides). @defaultValue 200 */
  prefetch: z.number().int().min(1).max(65_535).default(200),
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
