/**
 * What the monitor sees at one moment: every queue (RabbitMQ) or stream consumer group (Redis) with its
 * backlog, work in flight, consumers and rates, in one shape for both brokers so alerts, metrics and
 * the live page need no broker-specific code.
 */

/** What a queue or stream is for: judged from mqa's naming and the broker's arguments. */
export type QueueRole = "work" | "dead-letter" | "delay";

export interface QueueStatus {
  broker: "rabbitmq" | "redis";
  /** RabbitMQ vhost; for Redis the stream key. */
  scope: string;
  /** RabbitMQ queue name; for Redis the consumer group (`-` for a stream without groups, e.g. a DLQ). */
  name: string;
  role: QueueRole;
  /** Messages waiting to be delivered: RabbitMQ ready messages, Redis group lag (or stream length). */
  backlog: number;
  /** Delivered and not yet acknowledged: RabbitMQ unacked, Redis pending entries. */
  inFlight: number;
  consumers: number;
  /** Messages per second into / out of it; `undefined` until the broker (or two samples) tell. */
  publishRate: number | undefined;
  ackRate: number | undefined;
  /** Messages per second handed to consumers (RabbitMQ deliver/get; Redis entries read by the group). */
  deliverRate?: number | undefined;
  /**
   * Consumer lag: Redis the group's `lag` (entries added but not yet read by the group; unknown after
   * trims or deletions). Not set on RabbitMQ, where `backlog` is the same thing.
   */
  lag?: number | undefined;
  /**
   * Where the queue belongs, when the broker tells: its topic (RabbitMQ the exchange it is bound to, Redis
   * the mqa topic or the stream key) and group (RabbitMQ the queue, Redis the consumer group).
   */
  address?: { topic: string; group: string } | undefined;
  /** Redis: age of the oldest entry still pending (its id is its creation time), when there is one. */
  oldestPendingMs?: number | undefined;
  /** Dead-letter queues only: the `mqa dlq` commands for it and, where reading is harmless, its reasons. */
  deadLetters?: DeadLetterDetail | undefined;
}

/** The `mqa dlq` commands that act on one dead-letter queue; never with a password in them. */
export interface DeadLetterCommands {
  /** `mqa dlq stats …`: the dead letters by reason and by error. */
  stats: string;
  /** `mqa dlq redrive …`: back to their group, once the cause is fixed. */
  redrive: string;
  /** Why the commands hold placeholders (`<…>`) to fill in, when they do. */
  note?: string | undefined;
}

/** How many dead letters died of one reason. */
export interface ReasonCount {
  reason: string;
  count: number;
}

/** What the monitor knows about a dead-letter queue beyond its size. */
export interface DeadLetterDetail {
  commands: DeadLetterCommands;
  /**
   * Redis: dead letters by their `x-mqa-dead-letter-reason` header, largest first, among the newest
   * {@link DeadLetterDetail.sampled} entries. Absent where reading would alter them (RabbitMQ).
   */
  byReason?: ReasonCount[] | undefined;
  /** How many entries `byReason` counts: the newest, at most 1,000. */
  sampled?: number | undefined;
  /** Why `byReason` is absent. */
  reasonsNote?: string | undefined;
}

export interface Snapshot {
  /** ISO time of the sample. */
  at: string;
  /** Target with the password masked. */
  target: string;
  queues: QueueStatus[];
  /** What could not be read (permissions, vanished keys), so a quiet report is not mistaken for health. */
  gaps: string[];
  /** The broker itself: nodes, alarms, connections; absent when it could not be read. */
  health?: BrokerHealth | undefined;
}

/** One broker node: a RabbitMQ cluster node, or the Redis server. */
export interface BrokerNode {
  name: string;
  running: boolean;
  memoryAlarm: boolean;
  diskAlarm: boolean;
  memoryUsedBytes?: number | undefined;
  memoryLimitBytes?: number | undefined;
  /** RabbitMQ: the nodes this one cannot reach (a network partition). */
  partitions: string[];
}

/** The broker's health as the monitor read it (RabbitMQ `/api/overview` and `/api/nodes`; Redis `INFO`). */
export interface BrokerHealth {
  broker: "rabbitmq" | "redis";
  version?: string | undefined;
  /** Client connections open now. */
  connections?: number | undefined;
  nodes: BrokerNode[];
  /** Redis: `master` or `replica`. */
  role?: string | undefined;
  /** Redis: replicas connected to this primary. */
  replicas?: number | undefined;
}

/**
 * `orders.billing.dlq`, `mqa:{orders}:dlq:billing`, `orders-dead-letter`…: names that hold dead letters. A
 * Redis hash tag (`{…}`) holds a topic's name, not the key's role, so `mqa:{audit.dlq-2}` is no DLQ.
 */
export function looksLikeDeadLetters(name: string): boolean {
  return /(^|[.:_-])(dlq|dead[-_.]?letters?)($|[.:_-])/i.test(name.replace(/\{[^{}]*\}/g, "{}"));
}

/** Identity of a queue across samples. */
export function queueKey(q: Pick<QueueStatus, "broker" | "scope" | "name">): string {
  return `${q.broker}\u0000${q.scope}\u0000${q.name}`;
}
