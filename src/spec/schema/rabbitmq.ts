/** The RabbitMQ part of the topology spec. Lists are flat (each item names its vhost), as in definitions.json. */
import { z } from "zod";
import { actors, duration, name, retry } from "./common.js";

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** Queue arguments mqa knows, typed, so `x-max-length: "10"` fails with its path. */
export const queueArguments = z.strictObject({
  "x-max-length": z.number().int().nonnegative().optional(),
  "x-max-length-bytes": z.number().int().nonnegative().optional(),
  "x-message-ttl": z.number().int().nonnegative().optional(),
  "x-expires": z.number().int().positive().optional(),
  "x-overflow": z.enum(["drop-head", "reject-publish", "reject-publish-dlx"]).optional(),
  "x-dead-letter-exchange": z.string().optional(),
  "x-dead-letter-routing-key": z.string().optional(),
  "x-dead-letter-strategy": z.enum(["at-most-once", "at-least-once"]).optional(),
  "x-delivery-limit": z.number().int().nonnegative().optional(),
  "x-quorum-initial-group-size": z.number().int().positive().optional(),
  "x-initial-cluster-size": z.number().int().positive().optional(),
  "x-single-active-consumer": z.boolean().optional(),
  "x-max-priority": z.number().int().min(1).max(255).optional(),
  "x-queue-mode": z.enum(["default", "lazy"]).optional(),
  "x-queue-version": z.union([z.literal(1), z.literal(2)]).optional(),
  "x-queue-master-locator": z.enum(["client-local", "min-masters", "random"]).optional(),
  "x-queue-leader-locator": z.enum(["client-local", "balanced"]).optional(),
  "x-max-age": z
    .string()
    .regex(/^\d+[YMDhms]$/, { error: "expected e.g. 7D, 12h (RabbitMQ stream age)" })
    .optional(),
  "x-stream-max-segment-size-bytes": z.number().int().positive().optional(),
});

export const vhost = z.strictObject({
  name,
  description: z.string().optional(),
});

export const exchange = z.strictObject({
  name,
  /** @defaultValue "/" */
  vhost: name.optional(),
  type: z.union([
    z.enum(["direct", "topic", "fanout", "headers"]),
    z.string().regex(/^x-/, { error: "expected direct, topic, fanout, headers or a plugin type x-…" }),
  ]),
  /** @defaultValue true */
  durable: z.boolean().optional(),
  /** @defaultValue false */
  autoDelete: z.boolean().optional(),
  /** @defaultValue false */
  internal: z.boolean().optional(),
  arguments: z.strictObject({ "alternate-exchange": z.string().optional() }).optional(),
  /** Services publishing here (diagram only). */
  publishers: actors.optional(),
});

export const queue = z.strictObject({
  name,
  /** @defaultValue "/" */
  vhost: name.optional(),
  /** @defaultValue "quorum" (replicated and safe; classic only when you know why) */
  type: z.enum(["quorum", "classic", "stream"]).optional(),
  /** @defaultValue true */
  durable: z.boolean().optional(),
  /** @defaultValue false */
  autoDelete: z.boolean().optional(),
  arguments: queueArguments.optional(),
  /** Broker-side delayed retries: expands to delay queues. */
  retry: retry.optional().describe("Broker-side delayed retries through the shared delay levels"),
  /** Expands to a dead-letter queue `<name>.dlq` wired by the `mqa.dlx` exchange. @defaultValue false */
  deadLetter: z
    .boolean()
    .optional()
    .describe("Build <name>.dlq wired through the mqa.dlx exchange (default false)"),
  /** Services consuming here (diagram only). */
  consumers: actors.optional(),
});

export const binding = z.strictObject({
  /** @defaultValue "/" */
  vhost: name.optional(),
  /** Exchange name; `""` is the default exchange. */
  source: z.string(),
  destination: name,
  /** @defaultValue "queue" */
  destinationType: z.enum(["queue", "exchange"]).optional(),
  /** @defaultValue "" */
  routingKey: z.string().optional(),
  arguments: z.record(z.string(), scalar).optional(),
});

/** Policy keys mqa knows, typed. */
export const policyDefinition = z.strictObject({
  "max-length": z.number().int().nonnegative().optional(),
  "max-length-bytes": z.number().int().nonnegative().optional(),
  "message-ttl": z.number().int().nonnegative().optional(),
  expires: z.number().int().positive().optional(),
  overflow: z.enum(["drop-head", "reject-publish", "reject-publish-dlx"]).optional(),
  "dead-letter-exchange": z.string().optional(),
  "dead-letter-routing-key": z.string().optional(),
  "dead-letter-strategy": z.enum(["at-most-once", "at-least-once"]).optional(),
  "delivery-limit": z.number().int().nonnegative().optional(),
  "queue-mode": z.enum(["default", "lazy"]).optional(),
  "queue-version": z.union([z.literal(1), z.literal(2)]).optional(),
  "queue-master-locator": z.enum(["client-local", "min-masters", "random"]).optional(),
  "queue-leader-locator": z.enum(["client-local", "balanced"]).optional(),
  "initial-cluster-size": z.number().int().positive().optional(),
  "max-age": z.string().optional(),
  "stream-max-segment-size-bytes": z.number().int().positive().optional(),
  "alternate-exchange": z.string().optional(),
  "ha-mode": z.enum(["all", "exactly", "nodes"]).optional(),
  "ha-params": z.union([z.number().int(), z.array(z.string())]).optional(),
  "ha-sync-mode": z.enum(["manual", "automatic"]).optional(),
  "ha-promote-on-shutdown": z.enum(["when-synced", "always"]).optional(),
  "ha-promote-on-failure": z.enum(["when-synced", "always"]).optional(),
  "federation-upstream": z.string().optional(),
  "federation-upstream-set": z.string().optional(),
});

export const policy = z.strictObject({
  /** @defaultValue "/" */
  vhost: name.optional(),
  name,
  /** Regular expression matched against queue or exchange names. */
  pattern: z.string(),
  /** @defaultValue "queues" */
  applyTo: z.enum(["queues", "exchanges", "all", "classic_queues", "quorum_queues", "streams"]).optional(),
  /** @defaultValue 0 */
  priority: z.number().int().optional(),
  definition: policyDefinition,
});

const hashingAlgorithm = z.enum([
  "rabbit_password_hashing_sha256",
  "rabbit_password_hashing_sha512",
  "rabbit_password_hashing_md5",
]);

/** A user the broker must have. The password is a hash or the name of an environment variable, never plain text. */
export const user = z.strictObject({
  name,
  /** @defaultValue [] */
  tags: z.array(z.string()).optional(),
  /** Base64 salted hash as in definitions.json. */
  passwordHash: z
    .string()
    .optional()
    .describe("Salted hash as in definitions.json (rabbitmqctl hash_password)"),
  /** @defaultValue "rabbit_password_hashing_sha256" */
  hashingAlgorithm: hashingAlgorithm.optional(),
  /** Name of the environment variable holding the password at apply/export time. */
  passwordFromEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" })
    .optional()
    .describe("Name of the environment variable holding the password (read at apply/export time)"),
  password: z
    .never({ error: "plaintext passwords are not allowed in a spec: use passwordHash or passwordFromEnv" })
    .optional(),
});

export const permission = z.strictObject({
  user: name,
  /** @defaultValue "/" */
  vhost: name.optional(),
  configure: z.string(),
  write: z.string(),
  read: z.string(),
});

/** Quorum queues dead-letter a message after this many deliveries (the crash-loop guard). */
const deliveryLimit = z.union([z.number().int().min(1), z.literal("unlimited")]);

/**
 * How a group's queue is bound to its topic's exchange: a routing key or pattern (`order.created`,
 * `order.*`), or on a headers exchange the header values to match.
 */
export const groupBinding = z.union([
  z.string().describe("routing key or pattern (order.created, order.*, #)"),
  z.strictObject({
    /** @defaultValue "" */
    routingKey: z.string().optional(),
    /** Header values a headers exchange matches (binding arguments). */
    headers: z.record(z.string(), scalar).optional(),
    /** Headers exchanges: every header must match (`all`) or one (`any`). @defaultValue "all" */
    match: z.enum(["all", "any"]).optional(),
  }),
]);

/**
 * A group of a topic: by default queue `<topic>.<group>` bound to the topic exchange with `#`, built as the
 * transport builds it; or a queue of your own (`queue`), bound as you say (`bindings`), or one that exists
 * already (`existing`: checked, never declared).
 */
export const topicGroup = z.strictObject({
  name,
  /** The queue this group consumes. @defaultValue `<topic>.<group>` */
  queue: name.optional().describe("The queue this group consumes (default <topic>.<group>)"),
  /**
   * The queue exists already (declared by someone else): mqa checks it and consumes it, and never declares
   * it or changes its arguments. A queue listed in `rabbitmq.queues` is used this way too. @defaultValue false
   */
  existing: z
    .boolean()
    .optional()
    .describe("The queue exists already: checked and consumed, never (re)declared (default false)"),
  /**
   * Bindings of the queue to the topic's exchange. @defaultValue `#` on a topic exchange, every message on a
   * fanout one, none for an existing queue; required on direct and headers exchanges
   */
  bindings: z
    .array(groupBinding)
    .optional()
    .describe("Routing keys or patterns (or header matches) this group takes from the topic's exchange"),
  /** @defaultValue "quorum" */
  queueType: z.enum(["quorum", "classic", "stream"]).optional(),
  /** Extra queue arguments; they win over the transport's. */
  arguments: queueArguments.optional(),
  /**
   * The retry policy the consumers use. The broker side (shared delay levels, sized to the longest delay) is
   * built unless `false`, as the transport does. @defaultValue the transport's retry infrastructure
   */
  retry: z.union([retry, z.literal(false)]).optional(),
  /** @defaultValue true */
  deadLetter: z.boolean().optional(),
  /** @defaultValue 20 (the transport's) */
  deliveryLimit: deliveryLimit.optional(),
  consumers: actors.optional(),
});

/** How long a topic's history stream keeps messages (RabbitMQ `x-max-age`, `x-max-length-bytes`). */
export const topicHistory = z.strictObject({
  /** Messages older than this are removed (whole segments at a time), e.g. `7d`, `12h`; whole seconds. */
  maxAge: duration.describe("How long messages are kept, e.g. 7d or 12h (whole seconds)"),
  /** Largest size of the stream, bytes; the oldest segments go first. @defaultValue no limit */
  maxBytes: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Largest size of the stream in bytes (default none)"),
});

/**
 * mqa's topic pattern: by default a topic exchange named after the topic and one queue per group, as the
 * transport declares them; or any exchange (`exchange`, `exchangeType`), one that exists already included.
 */
export const topic = z.strictObject({
  name,
  /** @defaultValue "/" */
  vhost: name.optional(),
  /** The exchange the topic is published to (`""` is the default exchange). @defaultValue the topic's name */
  exchange: z
    .string()
    .max(255)
    .optional()
    .describe('The exchange publishes go to (default: the topic\'s name; "" is the default exchange)'),
  /** @defaultValue "topic", or the type of the exchange of that name in `rabbitmq.exchanges` */
  exchangeType: z.enum(["direct", "topic", "fanout", "headers"]).optional(),
  /** The exchange exists already (declared by someone else): checked, never declared. @defaultValue false */
  existing: z
    .boolean()
    .optional()
    .describe("The exchange exists already: checked, never declared (default false)"),
  groups: z.array(topicGroup),
  /**
   * Per-key order with failover: every group gets this many quorum queues `<queue>.p<n>` with
   * `x-single-active-consumer`, bound with `p<n>.#`; publishers route a message to `p<n>.<key>` with n the
   * FNV-1a hash of its key modulo this count (as Redis partitions). Topic exchanges only. @defaultValue 1
   */
  partitions: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .optional()
    .describe(
      "Partition queues per group (<queue>.p<n>, single active consumer), routed by hash of the message key (default 1)",
    ),
  /**
   * Keep the topic's history for replay (`mqa replay`, `mqa/replay`): a stream queue `<topic>.history` bound
   * to the exchange like a group's queue, holding every message for `maxAge` (and at most `maxBytes`).
   */
  history: topicHistory
    .optional()
    .describe("Keep the topic's messages in a stream queue <topic>.history for replay (mqa replay)"),
  publishers: actors.optional(),
});

export const rabbitmq = z.strictObject({
  /**
   * Longest retry delay the shared delay levels must hold: the same value as the RabbitMQ transport's
   * `maxDelayMs`, so both declare the same levels. Raised automatically to the longest delay a retry policy
   * in the spec uses. @defaultValue 24h (the transport's default)
   */
  maxRetryDelay: duration
    .optional()
    .describe(
      "Longest retry delay the shared delay levels hold; the RabbitMQ transport's maxDelayMs (default 24h)",
    ),
  vhosts: z.array(vhost).optional(),
  exchanges: z.array(exchange).optional(),
  queues: z.array(queue).optional(),
  bindings: z.array(binding).optional(),
  policies: z.array(policy).optional(),
  users: z.array(user).optional(),
  permissions: z.array(permission).optional(),
  topics: z
    .array(topic)
    .optional()
    .describe(
      "mqa topics: a topic exchange and one queue per group, with dead-letter queue and retry delay levels, as the transport declares them",
    ),
});
