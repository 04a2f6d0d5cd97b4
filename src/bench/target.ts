/**
 * What the benchmark drives: mqa over any transport, or a broker's raw client with the same settings.
 * Both sides implement the same three operations, so the figures differ only in the code under test.
 */

/** One fresh queue/stream (and, for mqa, topic + group) used for one round. */
export interface BenchQueue {
  /** Publish one message; resolves when the broker confirmed it. */
  publish(payload: Buffer): Promise<void>;
  /**
   * Start consuming with `prefetch` unacknowledged deliveries at most; `onMessage` runs for each,
   * then the message is acked. Returns a function that stops the consumer.
   */
  consume(prefetch: number, onMessage: (payload: Buffer) => void): Promise<() => Promise<void>>;
  /** Delete what the round created on the broker. */
  dispose(): Promise<void>;
}

/**
 * What a raw side is for: a `baseline` is what mqa is judged against (the strongest baseline of a figure
 * is its headline); a `comparison` is shown beside it with its own ratio but never the headline (raw
 * amqplib on a plain queue: a different, cheaper broker-side workload than mqa's default topology).
 */
export type BenchRole = "baseline" | "comparison";

/** A side of the comparison. */
export interface BenchTarget {
  /** `mqa`, `amqplib`, `amqplib plain`, `ioredis`, `node-redis`. */
  readonly label: string;
  /** Raw sides only. @defaultValue "baseline" */
  readonly role?: BenchRole;
  /** The client library and version, for the report (`ioredis 6.0.0`). */
  readonly client?: string;
  open(name: string): Promise<BenchQueue>;
  close(): Promise<void>;
  /** The broker's version, when this side can tell. */
  brokerVersion?(): Promise<string | undefined>;
}
