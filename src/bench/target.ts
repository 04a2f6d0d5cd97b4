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

/** A side of the comparison. */
export interface BenchTarget {
  /** `mqa`, `amqplib`, `ioredis`. */
  readonly label: string;
  open(name: string): Promise<BenchQueue>;
  close(): Promise<void>;
  /** The broker's version, when this side can tell. */
  brokerVersion?(): Promise<string | undefined>;
}
