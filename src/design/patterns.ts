/**
 * The patterns an architect reaches for when the numbers call for them — claim-check for large messages,
 * partitioning for per-key order at scale, priority lanes for traffic with different latency targets,
 * batching for a high rate per consumer — each with the threshold that triggers it and the reason, so the
 * report and the spec it writes can say why.
 */
import type { Requirements } from "./requirements.js";

export type PatternId = "claim-check" | "partition-by-key" | "priority-lanes" | "batching";
export type BrokerKind = "rabbitmq" | "redis";

/** A pattern the design uses: why (with the numbers), and what it takes. */
export interface Pattern {
  id: PatternId;
  title: string;
  reason: string;
  /** What to do or set, one line each. */
  settings: string[];
}

/** Thresholds behind the patterns. */
export const PatternThresholds = {
  /**
   * Messages above this go through a store, not RabbitMQ: a quorum queue writes every byte to three nodes'
   * logs and a large body holds its channel (and the heartbeats behind it) while it streams.
   */
  claimCheckRabbitBytes: 1024 * 1024,
  /** Redis keeps every byte in memory, the backlog budget: a lower threshold. */
  claimCheckRedisBytes: 256 * 1024,
  /** What a reference carries: store key, sha-256, size, content type. */
  referenceBytes: 512,
  /** Days a team takes to look at a dead letter; objects must outlive it (a redrive reads them again). */
  deadLetterReviewDays: 14,
  /** Messages per second one consumer process handles before per-message round trips are the limit. */
  batchingPerConsumerRate: 1_000,
} as const;

/** The broker an option (`rabbitmq-quorum`, `rabbitmq-stream`, `redis-streams`) runs on. */
export function brokerOf(choice: string): BrokerKind {
  return choice === "redis-streams" ? "redis" : "rabbitmq";
}

/** Whether messages of `r` are too large to travel through `broker` themselves. */
export function needsClaimCheck(r: Requirements, broker: BrokerKind): boolean {
  const limit =
    broker === "redis" ? PatternThresholds.claimCheckRedisBytes : PatternThresholds.claimCheckRabbitBytes;
  return r.messageSize > limit;
}

/** Bytes per message the broker carries: the message, or its reference under claim-check. */
export function brokerMessageSize(r: Requirements, broker: BrokerKind): number {
  return needsClaimCheck(r, broker) ? PatternThresholds.referenceBytes : r.messageSize;
}

/** The tightest latency target: the requirement's, or that of its most urgent traffic class. */
export function tightestLatency(r: Requirements): number {
  return Math.min(r.latencyP99Ms, ...r.latencyClasses.map((c) => c.latencyP99Ms));
}

/** Whether the traffic classes have latency targets different enough to need lanes of their own. */
export function needsPriorityLanes(r: Requirements): boolean {
  // Global order is one queue read one message at a time: lanes would break it, so it keeps one lane.
  return r.ordering !== "global" && new Set(r.latencyClasses.map((c) => c.latencyP99Ms)).size > 1;
}

/** A traffic lane: the whole topic, or one latency class of it on a topic of its own. */
export interface Lane {
  /** The class (`r.name` when there is one lane). */
  name: string;
  /** The topic the lane publishes to. */
  topic: string;
  rate: number;
  latencyP99Ms: number;
}

/** The lanes of `r`: one topic, or one topic per latency class (`<name>.<class>`) when targets differ. */
export function lanesOf(r: Requirements): Lane[] {
  if (!needsPriorityLanes(r))
    return [{ name: r.name, topic: r.name, rate: r.rate, latencyP99Ms: r.latencyP99Ms }];
  return r.latencyClasses.map((c) => ({
    name: c.name,
    topic: `${r.name}.${c.name}`,
    rate: r.rate * c.share,
    latencyP99Ms: c.latencyP99Ms,
  }));
}

/** Days an object of a claim-checked message must be kept: the longest a reference lives, then the DLQ review. */
export function claimCheckExpiryDays(r: Requirements): number {
  const replayDays = Math.ceil(r.replay / 86_400_000);
  return Math.max(1, replayDays) + PatternThresholds.deadLetterReviewDays;
}

const mibOf = (b: number): string =>
  b < 1024 * 1024
    ? `${Math.max(1, Math.round(b / 1024))} KiB`
    : `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
const sizeOf = (b: number): string =>
  b >= 1024 * 1024 ? mibOf(b) : b >= 1024 ? `${Math.round(b / 1024)} KiB` : `${b} B`;

/** The claim-check pattern for `r` on `broker`. */
export function claimCheck(r: Requirements, broker: BrokerKind): Pattern {
  const limit =
    broker === "redis" ? PatternThresholds.claimCheckRedisBytes : PatternThresholds.claimCheckRabbitBytes;
  const ref = PatternThresholds.referenceBytes;
  const days = claimCheckExpiryDays(r);
  return {
    id: "claim-check",
    title: "Claim-check: the payload in a store, a reference through the broker",
    reason:
      `${sizeOf(r.messageSize)} messages are above the ${sizeOf(limit)} a message should be on ${broker === "redis" ? "Redis (every byte is held in memory, the backlog budget)" : "RabbitMQ (a quorum queue writes every byte to three nodes' logs, and a large body holds its channel and heartbeats while it streams)"}: ` +
      `store the payload and publish a ~${ref} B reference; the broker is sized for ${r.rate} references/s (${mibOf(r.rate * ref)}/s) instead of ${mibOf(r.rate * r.messageSize)}/s`,
    settings: [
      `store: object storage (S3, GCS, Azure Blob: strongly consistent read-after-write) or a database table; it takes ${mibOf(r.rate * r.messageSize)}/s of writes and as much reads per group`,
      "write the object first, then publish the reference (key, sha-256, size, content type): a crash in between leaves an orphan the expiry removes, never a reference to nothing",
      "key objects by their sha-256: a retried publish rewrites the same object, and the consumer checks the digest",
      `expire objects after ${days} days (lifecycle rule: the longest a reference lives — replay window or backlog, at least a day — plus ${PatternThresholds.deadLetterReviewDays} days to look at dead letters); never delete on consume, a retry or a DLQ redrive reads the object again`,
      "a store not read-after-write consistent: the consumer treats not-found as retryable (mqa's retry middleware backs off)",
    ],
  };
}

/**
 * Per-key order by partitions plus per-key handling: a key always on one partition, each partition read by one
 * consumer at a time, and inside the consumer the route's `order: "per-key"` runs a key's messages one at a time
 * and in order while other keys run side by side up to the prefetch.
 */
export function partitionByKey(
  r: Requirements,
  broker: BrokerKind,
  partitions: number,
  lanes: readonly { topic: string; partitions: number }[] = [],
  prefetch = 1,
): Pattern {
  const perKey = Math.floor(1000 / Math.max(1, r.handlerTime));
  const groups = r.groups.join(", ");
  const pattern: Pattern = {
    id: "partition-by-key",
    title: "Partition by key, per-key handling inside each consumer",
    reason:
      `per-key order at ${r.rate} msg/s with ${r.handlerTime} ms handlers: ${partitions} partitions keep each key on one consumer at a time, ` +
      `and per-key handling (order: "per-key") runs a key's messages one at a time and in order while different keys run side by side at prefetch ${prefetch}; ` +
      `one key peaks at ~${perKey} msg/s. A prefetch above 1 or several consumers without both of these does not keep per-key order`,
    settings:
      broker === "redis"
        ? [
            `stream partitions: ${partitions} (the publisher picks one by FNV-1a hash of the message key)`,
            `${partitions} consumers per group (${groups}), each a router route with order: "per-key" and prefetch ${prefetch}; the partitions are leased to one reader at a time and rebalance when consumers come and go`,
            "publish every message with its key (the order key, e.g. the account id)",
          ]
        : [
            `the topic's partitions: ${partitions} in the spec: mqa declares ${partitions} quorum queues per group (<group queue>.p0…p${partitions - 1}) with single-active-consumer, bound p<n>.#`,
            "publish every message with its key (the order key): the transport routes it to p<n>.<key>, n = FNV-1a(key) mod partitions, the same hash as Redis",
            `consumers per group: a router route with order: "per-key" and prefetch ${prefetch} per partition queue; one process is active on every partition and a second stands by (RabbitMQ gives one active consumer per partition and failover, not an even spread)`,
          ],
  };
  if (lanes.length > 1)
    pattern.settings.push(
      `per lane, sized for its own rate: ${lanes.map((l) => `${l.topic} ${l.partitions} partition(s)`).join(", ")}`,
    );
  return pattern;
}

/** Priority lanes: a topic per latency class, so a backlog of the slow class never delays the urgent one. */
export function priorityLanes(r: Requirements, lanes: readonly (Lane & { consumers: number })[]): Pattern {
  return {
    id: "priority-lanes",
    title: "Priority lanes: a topic per latency class",
    reason:
      `classes with p99 targets of ${lanes.map((l) => `${l.latencyP99Ms} ms (${l.name})`).join(", ")} on one queue wait behind each other (first in, first out): ` +
      "a backlog of bulk work delays the urgent messages. Broker priorities do not fix it (quorum queues know two priorities, Redis Streams none, and a consumer busy with a slow message still makes the urgent one wait), so each class gets its own topic and consumers, sized for its rate",
    settings: [
      ...lanes.map(
        (l) =>
          `${l.topic}: ${Math.round(l.rate)} msg/s, p99 ≤ ${l.latencyP99Ms} ms, ${l.consumers} consumer process(es) per group`,
      ),
      "the publisher picks the topic by the message's class; order between classes is not kept",
    ],
  };
}

/** Batching where a consumer process handles more messages per second than per-message round trips allow. */
export function batching(perConsumerRate: number, prefetch: number, broker: BrokerKind): Pattern {
  const ackBatch = Math.max(2, Math.min(50, Math.floor(prefetch / 2)));
  return {
    id: "batching",
    title: "Batching: acknowledgements and confirms in batches",
    reason: `each consumer process handles ~${Math.round(perConsumerRate)} msg/s, above the ~${PatternThresholds.batchingPerConsumerRate} msg/s where a round trip per message (ack, confirm, database write) is the limit`,
    settings:
      broker === "redis"
        ? [
            "acks of one tick already go out as one pipelined XACK per stream (the transport batches them)",
            "publishers keep many XADDs in flight (maxInFlight 1000): publish without awaiting each message in turn",
            "handlers that write to a database batch their writes (a transaction per batch), keeping the message ids for deduplication",
          ]
        : [
            `ackBatchSize: ${ackBatch}, ackBatchMs: 20 (createAmqpTransport): acks cover finished handlers only, so a crash redelivers at most a batch (duplicates, never losses)`,
            "publishers keep confirms in flight (maxUnconfirmed 500): publish without awaiting each message in turn",
            "handlers that write to a database batch their writes (a transaction per batch), keeping the message ids for deduplication",
          ],
  };
}
