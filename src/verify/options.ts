/** Options of a verify run, validated once with zod (unknown keys rejected, problems listed with paths). */
import { z } from "zod";
import { InvalidOptionsError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import { clusterKindOf } from "./broker-control.js";
import { CLUSTER_FAULT_KINDS, DEFAULT_FAULT_KINDS, FAULT_KINDS } from "./fault-plan.js";

const schema = z.strictObject({
  /** Broker URL: memory://, amqp://…, redis://…. */
  broker: z.string().min(1),
  /** Messages to publish. @defaultValue 2000 */
  messages: z.number().int().min(1).max(10_000_000).default(2000),
  /** Consumers (child processes where the broker allows). @defaultValue 3 */
  consumers: z.number().int().min(1).max(64).default(3),
  /**
   * Faults to inject. @defaultValue every fault a single broker can take; with `cluster`, plus kill-leader
   * (RabbitMQ) or kill-primary and move-slot (Redis)
   */
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
   * Start a private cluster for the run (implies its own broker). amqp://: a RabbitMQ cluster of this many
   * nodes; clients get every node's URL, and `kill-leader` kills and restarts the node of the queue's leader.
   * redis://: a Redis Cluster of this many primaries, each with one replica; clients connect in cluster mode,
   * `kill-primary` kills the primary of the topic's slot (its replica takes over, the old one rejoins as a
   * replica) and `move-slot` moves that slot to another primary.
   */
  cluster: z.number().int().min(3).max(7).optional(),
  /**
   * redis:// only: replicas that must have each write before a publish is confirmed (WAIT), for every
   * transport of the run; a publish they do not confirm in time rejects with `durability-not-met`.
   * @defaultValue 0
   */
  durabilityReplicas: z.number().int().min(0).max(16).default(0),
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
  const protocol = URL.canParse(o.broker) ? new URL(o.broker).protocol : "";
  if (o.durabilityReplicas > 0 && protocol !== "redis:" && protocol !== "rediss:") {
    throw new InvalidOptionsError(
      `invalid verify options:\n  - durabilityReplicas: waiting for replicas (WAIT) is a Redis option; ${protocol}// ` +
        "has none (RabbitMQ quorum queues confirm once a majority has the message)",
    );
  }
  const clusterKind = o.cluster === undefined ? undefined : clusterKindOf(o.broker);
  const faults = o.faults ?? [
    ...DEFAULT_FAULT_KINDS,
    ...(clusterKind ? CLUSTER_FAULT_KINDS[clusterKind] : []),
  ];
  return { ...o, faults };
}
