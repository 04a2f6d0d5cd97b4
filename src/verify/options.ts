/** Options of a verify run, validated once with zod (unknown keys rejected, problems listed with paths). */
import { z } from "zod";
import { parseOptions } from "../core/options.js";
import { DEFAULT_FAULT_KINDS, FAULT_KINDS } from "./fault-plan.js";

const schema = z.strictObject({
  /** Broker URL: memory://, amqp://…, redis://…. */
  broker: z.string().min(1),
  /** Messages to publish. @defaultValue 2000 */
  messages: z.number().int().min(1).max(10_000_000).default(2000),
  /** Consumers (child processes where the broker allows). @defaultValue 3 */
  consumers: z.number().int().min(1).max(64).default(3),
  /** Faults to inject. @defaultValue every fault but kill-leader (plus kill-leader with `cluster`) */
  faults: z.array(z.enum(FAULT_KINDS)).optional(),
  /** Seed of the fault plan. @defaultValue a random one, printed in the report */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  /** Start a broker of the URL's kind on a free port for this run (needed for broker-restart). @defaultValue false */
  spawnBroker: z.boolean().default(false),
  /**
   * Start a private RabbitMQ cluster of this many nodes for the run (amqp:// only; implies its own broker):
   * clients get every node's URL, and the `kill-leader` fault kills and restarts the node of the queue's leader.
   */
  cluster: z.number().int().min(3).max(7).optional(),
  /** Deliveries each consumer holds at once. @defaultValue 50 */
  prefetch: z.number().int().min(1).max(65_535).default(50),
  /** Publishes awaiting their confirm at once. @defaultValue 100 */
  publishWindow: z.number().int().min(1).max(65_535).default(100),
  /** Attempts before a poison message is dead-lettered. @defaultValue 3 */
  attempts: z.number().int().min(1).max(100).default(3),
  /** Simulated work per message, ms (the window in which a kill leaves a processed message unacked). @defaultValue 1 */
  workMs: z.number().int().min(0).max(10_000).default(1),
  /** Give up when nothing moves for this long, ms. @defaultValue 30000 */
  idleTimeoutMs: z.number().int().min(100).default(30_000),
  /** Give up after this long in total, ms. @defaultValue 600000 */
  timeoutMs: z.number().int().min(1000).default(600_000),
  /** Remove the run's topic, group and dead letters from the broker at the end. @defaultValue true */
  cleanup: z.boolean().default(true),
  /** TLS settings for an `amqps://` or `rediss://` broker (PEM text), for every connection of the run. */
  tls: z
    .strictObject({
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      servername: z.string().optional(),
      rejectUnauthorized: z.boolean().optional(),
    })
    .optional(),
  /** TEST ONLY: consumers ack every Nth message without recording it (a broken consumer). */
  testDropEvery: z.number().int().min(1).optional(),
});

/** Options accepted by {@link runVerify}. */
export type VerifyOptions = z.input<typeof schema>;
export type ResolvedVerifyOptions = Omit<z.output<typeof schema>, "faults"> & {
  faults: (typeof FAULT_KINDS)[number][];
};

/** Validate and expand defaults. */
export function resolveVerifyOptions(input: VerifyOptions): ResolvedVerifyOptions {
  const o = parseOptions(schema, input, "verify options");
  const faults =
    o.faults ??
    (o.cluster === undefined ? [...DEFAULT_FAULT_KINDS] : [...DEFAULT_FAULT_KINDS, "kill-leader" as const]);
  return { ...o, faults };
}
