/**
 * Options of the RabbitMQ transport: validated once with zod (unknown keys rejected, every problem
 * reported with its path), then expanded with defaults. This is the one place user options are read.
 */
import type { Logger } from "pino";
import { z } from "zod";
import { parseOptions } from "../../core/options.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./message-size.js";
import { DEFAULT_DELIVERY_LIMIT, DEFAULT_MAX_DELAY_MS, MAX_DELAY_MS } from "./topology-plan.js";

const url = z
  .string()
  .refine((u) => /^amqps?:\/\//i.test(u), { message: "must be an amqp:// or amqps:// URL" });

const tls = z.strictObject({
  /** PEM CA certificate(s) to trust. */
  ca: z
    .union([z.string(), z.instanceof(Buffer), z.array(z.union([z.string(), z.instanceof(Buffer)]))])
    .optional(),
  /** PEM client certificate, for mutual TLS. */
  cert: z.union([z.string(), z.instanceof(Buffer)]).optional(),
  /** PEM private key of the client certificate. */
  key: z.union([z.string(), z.instanceof(Buffer)]).optional(),
  passphrase: z.string().optional(),
  /** Server name to verify the certificate against, when it differs from the host. */
  servername: z.string().optional(),
  /** @defaultValue true */
  rejectUnauthorized: z.boolean().default(true),
});

const schema = z.strictObject({
  /** One URL, or several nodes of a cluster (see `urlOrder`). `amqps://` uses TLS. */
  url: z.union([url, z.array(url).min(1)]).default("amqp://guest:guest@127.0.0.1:5672"),
  /**
   * Order in which each new connection tries the `url` list: `shuffle` draws a random order per connection,
   * spreading connections over a cluster's nodes; `as-given` tries them as listed (a preference). Either way
   * the node of a connection just lost is tried last. See docs/clusters.md. @defaultValue "shuffle"
   */
  urlOrder: z.enum(["shuffle", "as-given"]).default("shuffle"),
  /** Name shown in the management UI (suffixed with `publish` / `consume`). @defaultValue "mqa" */
  connectionName: z.string().min(1).default("mqa"),
  /** Heartbeat interval, seconds (RabbitMQ recommends 5–20). @defaultValue 10 */
  heartbeatSeconds: z.number().int().min(1).max(60).default(10),
  /** TCP/TLS connect timeout per attempt, ms. @defaultValue 5000 */
  connectTimeoutMs: z.number().int().positive().default(5_000),
  /** How long `connect()` keeps trying before it rejects. @defaultValue 30000 */
  initialConnectTimeoutMs: z.number().int().positive().default(30_000),
  /** Reconnect backoff: full jitter in [0, min(max, base·2^n)]. */
  reconnect: z
    .strictObject({
      /** @defaultValue 100 */
      baseMs: z.number().int().positive().default(100),
      /** @defaultValue 10000 */
      maxMs: z.number().int().positive().default(10_000),
    })
    .default({ baseMs: 100, maxMs: 10_000 }),
  tls: tls.optional(),
  /** Unconfirmed publishes allowed in flight; further publishes wait. @defaultValue 500 */
  maxUnconfirmed: z.number().int().min(1).max(65_535).default(500),
  /** A publish not confirmed within this time rejects with `publish-timeout`. @defaultValue 15000 */
  publishTimeoutMs: z.number().int().positive().default(15_000),
  /**
   * Publishes allowed to wait while disconnected (before the first connection too); more reject at once with
   * `connection-closed`. @defaultValue 10000
   */
  maxBufferedPublishes: z.number().int().min(0).default(10_000),
  /**
   * Largest message body sent, bytes; a larger one rejects at once with `message-too-large`. Keep it at or
   * below the broker's `max_message_size` (not announced over AMQP; 128 MiB by default): a message the broker
   * refuses closes the publish channel, and the transport then uses the limit the broker stated.
   * @defaultValue 133169152 (127 MiB: 128 MiB less 1 MiB for properties and headers)
   */
  maxMessageBytes: z.number().int().min(1).default(DEFAULT_MAX_MESSAGE_BYTES),
  /** Deliveries a consumer holds at once (RabbitMQ recommends 100–300). @defaultValue 200 */
  prefetch: z.number().int().min(1).max(65_535).default(200),
  /**
   * Batch acks with `multiple`: flush after this many finished handlers or `ackBatchMs`, whichever
   * comes first. Only finished handlers are ever covered. 1 acks each message at once. @defaultValue 1
   */
  ackBatchSize: z.number().int().min(1).max(65_535).default(1),
  /** @defaultValue 20 */
  ackBatchMs: z.number().int().min(1).default(20),
  /** Queue type of group queues. @defaultValue "quorum" */
  queueType: z.enum(["quorum", "classic", "stream"]).default("quorum"),
  /**
   * Replicas of each quorum queue mqa declares (`x-quorum-initial-group-size`), e.g. 3 on a 5-node cluster.
   * Absent, RabbitMQ decides: as many nodes as its `quorum_cluster_size` setting (3 by default), so every
   * node of a 3-node cluster. Use an odd number. See docs/clusters.md. @defaultValue undefined (RabbitMQ decides)
   */
  quorumReplicas: z.number().int().min(1).max(255).optional(),
  /**
   * The poison guard: failed deliveries (a handler that threw or returned without settling, a crash) after
   * which a message is dead-lettered. Quorum queues get it as `x-delivery-limit`; on queues that count no
   * deliveries (classic, attached ones of unknown type) mqa applies it to the message's attempt. @defaultValue 20
   */
  deliveryLimit: z.union([z.number().int().min(1), z.literal("unlimited")]).default(DEFAULT_DELIVERY_LIMIT),
  /** Longest `retry({ delayMs })` supported, ms (decides the number of delay levels). @defaultValue 86400000 */
  maxRetryDelayMs: z.number().int().min(1).max(MAX_DELAY_MS).default(DEFAULT_MAX_DELAY_MS),
  /** Default `timeoutMs` of `Subscription.close` and `Transport.close`. @defaultValue 10000 */
  closeTimeoutMs: z.number().int().min(0).default(10_000),
  /**
   * A topology spec (the file `mqa topology` applies, as a value: `loadSpecFile` reads one): the transport
   * then declares exactly what the spec's `rabbitmq.topics` describe (exchanges of any type, queue names,
   * bindings, queue type and arguments, delivery limit, dead letters, delay levels), attaches to queues that
   * exist already, and refuses topic and group names the spec does not know. Only resources of the URL's
   * vhost apply. Validated like `mqa topology validate`. @defaultValue mqa's convention (exchange `T`, queue `T.G`)
   */
  topology: z.unknown().optional(),
  /**
   * The queue of a group the topology spec does not name, for a naming scheme of your own or to attach every
   * group to queues that exist already: return `{ name, existing: true }` to consume `name` as it is
   * (checked, never declared). @defaultValue `<topic>.<group>`, declared by mqa
   */
  queueFor: z
    .custom<(topic: string, group: string) => QueueChoice>((v) => typeof v === "function", {
      message: "must be a function (topic, group) => { name, existing? }",
    })
    .optional(),
  /**
   * Partitions per topic, for topics the topology spec does not describe (a spec sets `partitions` on its
   * topics): `{ orders: 8 }` gives every group of `orders` 8 single-active-consumer queues `orders.<group>.p<n>`
   * and routes each message by the hash of its key (docs/ordering.md). Every process must use the same count.
   * @defaultValue none (1 queue per group)
   */
  partitions: z.record(z.string().min(1), z.number().int().min(1).max(1024)).default({}),
  /**
   * How a partitioned group's partitions are shared by its consumers. Balanced (the default): the members of
   * a group find each other through small heartbeats on `amq.direct` and split the partitions evenly, each
   * consuming only its own; a member that leaves hands its partitions over in order, one that crashes is
   * replaced after `memberTimeoutMs`. `false`: every consumer subscribes to every partition and the broker
   * makes the earliest one active on all (failover only, no spread). docs/ordering.md.
   * @defaultValue `{ heartbeatMs: 1000, memberTimeoutMs: 5000 }`
   */
  partitionBalance: z
    .union([
      z.literal(false),
      z
        .strictObject({
          heartbeatMs: z.number().int().min(50).max(60_000).default(1_000),
          memberTimeoutMs: z.number().int().min(200).max(600_000).default(5_000),
        })
        .refine((b) => b.memberTimeoutMs >= 2 * b.heartbeatMs, {
          message:
            "memberTimeoutMs must be at least twice heartbeatMs (a member would be dropped between beats)",
        }),
    ])
    .default({ heartbeatMs: 1_000, memberTimeoutMs: 5_000 }),
  /** pino logger; a silent one when absent. */
  logger: z
    .custom<Logger>((v) => typeof v === "object" && v !== null && typeof (v as Logger).child === "function", {
      message: "must be a pino Logger",
    })
    .optional(),
});

/** What `queueFor` returns for a group. */
export interface QueueChoice {
  /** The queue's name. */
  name: string;
  /** It exists already: checked, consumed, never declared. @defaultValue false */
  existing?: boolean;
  /** Build mqa's delay route to it, for `retry({ delayMs })`. @defaultValue true */
  retry?: boolean;
  /** Build mqa's dead-letter queue `<name>.dlq` for it. @defaultValue true */
  deadLetter?: boolean;
}

/** Options accepted by {@link createAmqpTransport}. */
export type AmqpTransportOptions = z.input<typeof schema>;
/** Options after validation and defaults. */
export type ResolvedAmqpOptions = z.output<typeof schema>;

/** Validate and expand options; throws `InvalidOptionsError` listing every problem with its path. */
export function resolveAmqpOptions(input: AmqpTransportOptions | undefined): ResolvedAmqpOptions {
  return parseOptions(schema, input ?? {}, "AmqpTransport options");
}
