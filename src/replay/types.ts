/**
 * The shapes of a replay: where it starts and ends, what it hands over (messages with their position, in
 * batches), and the contract every broker's source keeps. Shared by the reader, the sources and the CLI.
 */
import type { Message } from "../core/message.js";

/**
 * Where a replay starts: the oldest message the broker still keeps, a position (a RabbitMQ stream offset,
 * a Redis entry id; inclusive), or the first message published at or after a time.
 */
export type ReplayFrom = "start" | { readonly offset: string | number } | { readonly timestamp: Date };

/**
 * Where a replay ends: the end of the topic when the reader was opened (`"now"`), a position (inclusive),
 * or a time (exclusive: messages published before it).
 */
export type ReplayTo = "now" | { readonly offset: string | number } | { readonly timestamp: Date };

/** One replayed message and where it is. */
export interface ReplayedMessage {
  /** Decoded exactly as a consumer of the topic gets it. */
  readonly message: Message;
  /** RabbitMQ: the stream offset (decimal text); Redis: the entry id (`<ms>-<seq>`). */
  readonly position: string;
  /** The stream it was read from: the stream queue, or the Redis stream key (one per partition). */
  readonly stream: string;
}

/** Messages handed over together; the reader saves its checkpoint after each batch it has handed over. */
export interface ReplayBatch {
  readonly messages: readonly ReplayedMessage[];
  /**
   * Where a reader resumes after this batch (what a checkpoint holds): RabbitMQ the last offset;
   * Redis the last entry id, or for a partitioned topic a JSON object of stream key → last entry id.
   */
  readonly cursor: string;
}

/** Where a source starts: as the user asked, or right after a saved cursor. */
export type SourceStart = { readonly from: ReplayFrom } | { readonly after: string };

/** What a broker's source is opened with. */
export interface SourceSpec {
  readonly topic: string;
  readonly start: SourceStart;
  readonly to: ReplayTo | undefined;
  readonly follow: boolean;
  /** Most messages per batch (and, on RabbitMQ, the prefetch). */
  readonly batchSize: number;
}

/**
 * A broker's replay source. `next` resolves with the next messages in order (at most `max`, at least one),
 * or `undefined` once the end is reached; it is never called again before the previous call settled.
 * `handedOver` tells the source the messages returned so far are handed over (RabbitMQ acks them then).
 */
export interface ReplaySource {
  /** How the topic is read, for the user (`stream queue orders.history`, `XRANGE on mqa:{orders}`). */
  readonly method: string;
  next(max: number): Promise<ReplayedMessage[] | undefined>;
  /** The cursor after every message returned so far. */
  cursor(): string | undefined;
  handedOver(): Promise<void>;
  close(): Promise<void>;
}
