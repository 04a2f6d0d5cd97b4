/**
 * What the operator's console (the live page of `mqa monitor --port`) receives over Server-Sent Events at
 * `/events`. Types only: the server (./console.ts) builds these objects and the page (./ui/) imports the same
 * types, so the two cannot drift. Every name in here is user data (queue, stream, group, topic names) and
 * the page writes it as text, never as HTML.
 *
 * The stream:
 * - on every (re)connect, one `history` event: {@link ConsoleHistory}, all points the monitor keeps;
 * - after it and after every sample, one `state` event: {@link ConsoleState}, the present with its newest point.
 */

/** The figures kept over time for one queue or group (all per the broker's own counters where it has them). */
export interface SeriesPoint {
  /** Messages waiting to be delivered (RabbitMQ ready, Redis group lag or a DLQ's length). */
  backlog: number;
  /** Delivered, not yet acknowledged (RabbitMQ unacked, Redis pending). */
  inFlight: number;
  /** Messages per second; null when not known at that sample. */
  publishRate: number | null;
  deliverRate: number | null;
  ackRate: number | null;
  /** Consumer lag: Redis the group's lag (entries not yet read by the group); RabbitMQ the ready count. */
  lag: number | null;
}

/** One sample's points: `t` epoch ms, `points` by {@link QueueView.id}. `total` sums the work queues. */
export interface HistoryPoint {
  t: number;
  points: Record<string, SeriesPoint>;
  total: SeriesPoint;
}

/** Everything the monitor keeps, oldest first; at most `capacity` points (a ring buffer). */
export interface ConsoleHistory {
  capacity: number;
  intervalMs: number;
  points: HistoryPoint[];
}

export type Severity = "critical" | "warning" | "info";

/** One queue (RabbitMQ) or stream consumer group (Redis) as the page shows it. */
export interface QueueView extends SeriesPoint {
  /** Stable across samples: the key of its series in the history. */
  id: string;
  broker: "rabbitmq" | "redis";
  /** RabbitMQ vhost, Redis stream key. */
  scope: string;
  /** RabbitMQ queue, Redis group (`-` for a stream without groups). */
  name: string;
  /** What alerts call it: `queue`, `vhost/queue` off the default vhost, `stream#group` on Redis. */
  resource: string;
  role: "work" | "dead-letter" | "delay";
  consumers: number;
  /** Redis: age in ms of the oldest entry still pending. */
  oldestPendingMs: number | null;
  /** The worst alert on it that is not info, if any. */
  severity: "critical" | "warning" | null;
}

/** A group of a topic: its queue and, when there is one, its dead-letter queue, shown as one unit. */
export interface GroupView {
  group: string;
  queue: QueueView;
  deadLetter: QueueView | null;
}

/** A topic (RabbitMQ: the exchange its groups' queues are bound to; Redis: the stream or mqa topic). */
export interface TopicView {
  topic: string;
  /** RabbitMQ vhost, or the Redis stream key(s) summarised (`mqa:{orders}` or `mqa:{orders#0..3}`). */
  scope: string;
  groups: GroupView[];
  /** Dead-letter queues of this topic whose group the monitor did not see. */
  orphanDeadLetters: QueueView[];
}

/** mqa's delay levels (RabbitMQ queues `mqa.delay.lNN`), folded into one line. */
export interface DelayLevelsView {
  levels: number;
  backlog: number;
  /** Levels holding messages now. */
  busyLevels: number;
}

export interface DeadLetterView {
  /** The dead-letter queue's {@link QueueView.id}. */
  id: string;
  resource: string;
  count: number;
  /** Redis: reasons among the newest `sampled` entries, largest first. */
  byReason: { reason: string; count: number }[] | null;
  sampled: number | null;
  /** Why there are no reasons (RabbitMQ: reading would take the messages off the queue). */
  reasonsNote: string | null;
  /** `mqa dlq stats …` and `mqa dlq redrive …`, with no password in them. */
  stats: string;
  redrive: string;
  note: string | null;
}

export interface AlertView {
  kind: string;
  severity: Severity;
  resource: string;
  message: string;
  fix: string;
  /** Epoch ms of the first sample that raised it (it has been raised at every sample since). */
  since: number;
}

/** A node of the broker: RabbitMQ cluster node, or the Redis server itself. */
export interface NodeView {
  name: string;
  running: boolean;
  memoryAlarm: boolean;
  diskAlarm: boolean;
  memoryUsedBytes: number | null;
  memoryLimitBytes: number | null;
  /** RabbitMQ: nodes this one cannot see (a network partition). */
  partitions: string[];
}

export interface BrokerHealthView {
  broker: "rabbitmq" | "redis";
  version: string | null;
  connections: number | null;
  /** Alarms in force, in words (`memory alarm on rabbit@a`, `disk alarm …`, `maxmemory reached`). */
  alarms: string[];
  nodes: NodeView[];
  /** Redis: `master` or `replica`, with its replicas' count. */
  role: string | null;
  replicas: number | null;
}

export interface ConsoleState {
  /** The broker, password masked. */
  target: string;
  samples: number;
  /** Epoch ms of the last good sample; null before the first. */
  at: number | null;
  /** Why the last sample failed, if it did (the rest is the last good sample). */
  error: string | null;
  intervalMs: number;
  health: BrokerHealthView | null;
  topics: TopicView[];
  /** Queues that belong to no topic the monitor can tell. */
  other: QueueView[];
  delay: DelayLevelsView | null;
  /** Newest first. */
  alerts: AlertView[];
  /** Non-empty dead-letter queues, largest first. */
  deadLetters: DeadLetterView[];
  /** What could not be read. */
  gaps: string[];
  /** This sample's point, to append to the history. */
  point: HistoryPoint | null;
}
