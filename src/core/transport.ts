/**
 * The contracts every transport (memory, RabbitMQ, Redis Streams) implements. The core never imports a
 * broker client; transports depend on these types, never the other way round.
 *
 * Model: a message is published to a **topic**. Consumers subscribe to a topic as members of a
 * **group**. Every group receives every message published after it was declared; the consumers of one
 * group compete, so each message is handled once per group. A plain work queue is a topic with a
 * single group.
 */
import type { DeadLetterReason, Message, OutgoingMessage } from "./message.js";

/** What a transport can do. Tests and features branch on these, never on a transport's name. */
export interface TransportFeatures {
  /** Every group receives every message; consumers within a group compete. */
  readonly consumerGroups: boolean;
  /** `retry({ delayMs })` waits broker-side (true) rather than in the consumer's memory. */
  readonly brokerSideDelay: boolean;
  /** Order guarantee for deliveries to one consumer with prefetch 1. */
  readonly ordering: "none" | "per-key" | "per-topic";
  /** Whether an accepted message survives a broker restart. */
  readonly persistence: "none" | "disk";
  /** Messages held by a consumer that disappears are given to another consumer of the group. */
  readonly redeliversOnConsumerLoss: boolean;
  /** Publishing to a topic no group is declared on: rejected (`unroutable`) or kept for later groups. */
  readonly unroutable: "reject" | "retain";
  /** Consumers in other processes share the broker (false for the in-memory broker). */
  readonly crossProcess: boolean;
}

export interface PublishOptions {
  /** Reject with `publish-timeout` if the broker has not confirmed within this time. */
  timeoutMs?: number;
}

/** Proof of a durable accept. */
export interface PublishReceipt {
  readonly id: string;
  /** Broker-specific position (stream entry id, delivery tag), for diagnostics. */
  readonly position?: string;
}

/**
 * Publishes messages.
 *
 * Rules every implementation keeps:
 * - `publish` is safe to call concurrently.
 * - `publish` resolves only once the broker has durably accepted the message, and rejects with an
 *   {@link MqaError} otherwise. It never resolves for a message the broker dropped.
 * - While the connection is down a publish waits (bounded in count and time), then either resolves
 *   after a confirm on the new connection or rejects.
 */
export interface Publisher {
  publish(topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<PublishReceipt>;
}

/** How a delivery is retried. */
export interface RetryOptions {
  /** Wait this long before the next delivery. @defaultValue 0 */
  delayMs?: number;
  /** Count this as an attempt (`x-mqa-attempt` + 1). False for deferrals such as an open circuit. @defaultValue true */
  countAttempt?: boolean;
  /** Headers to set on the next delivery (e.g. first/last failure times). mqa's own headers win. */
  headers?: Record<string, string>;
}

/** Settles one delivery. Exactly one of these takes effect; later calls are ignored. */
export interface Delivery {
  readonly message: Message;
  /** The group this delivery belongs to. */
  readonly group: string;
  /** True once ack, retry or deadLetter has been called. */
  readonly settled: boolean;
  /** The message is done: remove it. */
  ack(): Promise<void>;
  /**
   * Deliver the message again after `delayMs` (0: as soon as possible). With `countAttempt` (default
   * true) the next delivery's `attempt` is one higher. The wait happens broker-side where the
   * transport can (`features.brokerSideDelay`).
   */
  retry(options?: RetryOptions): Promise<void>;
  /** Move the message to the group's dead-letter queue with the reason in its headers. */
  deadLetter(reason: DeadLetterReason): Promise<void>;
}

/** Called once per delivery. It must settle the delivery; an unsettled delivery is retried. */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface SubscribeOptions {
  /** How many unsettled deliveries this consumer holds at once (also its handler concurrency). */
  prefetch?: number;
}

/** A live consumer. */
export interface Subscription {
  readonly topic: string;
  readonly group: string;
  /** Stop taking new deliveries; deliveries already held keep running. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * Graceful stop: stop taking deliveries, wait for in-flight handlers (up to `timeoutMs`), let their
   * settlements reach the broker, then detach. Deliveries still running at the timeout are returned
   * to the broker unacknowledged, so they are redelivered, never lost.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/** Declaration of a topic and one of its groups, with what mqa should build around it. */
export interface GroupDeclaration {
  topic: string;
  group: string;
  /** Build a dead-letter queue for this group. @defaultValue true */
  deadLetter?: boolean;
}

/** A dead letter as read back for inspection. */
export interface DeadLetter {
  readonly message: Message;
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Connection state, changed only through one setter per transport and emitted as an event. */
export type ConnectionState =
  | { readonly status: "idle" }
  | { readonly status: "connecting"; readonly attempt: number }
  | { readonly status: "ready" }
  | { readonly status: "reconnecting"; readonly attempt: number; readonly lastError?: string }
  | { readonly status: "closing" }
  | { readonly status: "closed" };

/**
 * A transport: publisher, subscriber and declarer for one broker.
 *
 * Rules every implementation keeps:
 * - `subscribe` delivers each message to at most one consumer of a group at a time; the next delivery
 *   of the same message happens only after it was retried, or its consumer was lost.
 * - After a reconnect, every subscription resumes and every declaration is made again, without user code.
 * - `close` is graceful: subscriptions close (see {@link Subscription.close}), then pending publishes
 *   settle, then connections close.
 */
export interface Transport extends Publisher {
  readonly name: string;
  readonly features: TransportFeatures;
  /** Current connection state. */
  readonly state: ConnectionState;
  /** Open connections. Idempotent. */
  connect(): Promise<void>;
  /** Make sure the topic, the group (and its dead-letter queue) exist. Idempotent. */
  declare(declaration: GroupDeclaration): Promise<void>;
  subscribe(
    topic: string,
    group: string,
    handler: DeliveryHandler,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
  /** Read (without removing) up to `limit` dead letters of a group, oldest first. */
  readDeadLetters(topic: string, group: string, limit?: number): Promise<DeadLetter[]>;
  /** Graceful shutdown. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Drop every connection at once, as a crashed process would: nothing is acked, in-flight handlers
   * are abandoned, and the broker redelivers what they held. For fault tests and emergency stops.
   */
  abort(): Promise<void>;
  /** Subscribe to connection state changes; returns an unsubscribe function. */
  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void;
}
