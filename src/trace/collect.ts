/**
 * Gather the messages of one business transaction: read each topic's history with the replay API (Redis:
 * the topic's streams; RabbitMQ: its `<topic>.history` stream queue) and keep the messages whose correlation
 * id is the one asked for — and the message that started it, whose own id is that correlation id. Reads
 * every message of the range once and keeps only those, so memory holds the transaction, not the topics.
 */
import type { BrokerTlsOptions } from "../connect.js";
import { InvalidOptionsError } from "../core/errors.js";
import type { Message } from "../core/message.js";
import { openReplay, type ReplayOptions } from "../replay/mod.js";
import type { TopologySpec } from "../spec/schema/spec.js";

/** One message of the transaction, as read from a topic's history. */
export interface TracedMessage {
  readonly message: Message;
  /** Where it was read: RabbitMQ stream offset, Redis entry id. */
  readonly position: string;
  /**
   * How many times the same message id was found (a message published again with its id, e.g. by a
   * producer that retried after a lost confirm). The first copy is kept.
   */
  readonly copies: number;
}

/** What reading one topic found. */
export interface TopicRead {
  readonly topic: string;
  /** How the topic was read (`stream queue orders.history`, `XRANGE on mqa:{orders}`). */
  readonly method: string;
  readonly read: number;
  readonly kept: number;
}

export interface CollectOptions {
  /** Read only messages published at or after this time. @defaultValue the oldest the broker keeps */
  since?: Date;
  /** Topology spec: RabbitMQ history queues, Redis keys and key prefix. */
  topology?: TopologySpec;
  /** Redis: prefix of mqa's keys. @defaultValue the spec's, else "mqa" */
  keyPrefix?: string;
  /** TLS settings for `amqps://` / `rediss://`. */
  tls?: BrokerTlsOptions;
  /** Messages read per batch. @defaultValue 500 */
  batchSize?: number;
  /** Called after each batch read, with the counts so far (for a progress line). */
  onProgress?: (progress: { topic: string; read: number; kept: number }) => void;
}

export interface Collected {
  readonly messages: TracedMessage[];
  readonly topics: TopicRead[];
}

/**
 * Read `topics` at `url` and keep the messages of `correlationId`, oldest first. Throws what `openReplay`
 * throws (`not-found` for a topic without history, `unsupported` on `memory://`), naming the topic.
 */
export async function collectTransaction(
  url: string,
  correlationId: string,
  topics: readonly string[],
  options: CollectOptions = {},
): Promise<Collected> {
  if (correlationId.length === 0) throw new InvalidOptionsError("trace needs a correlation id");
  if (topics.length === 0) throw new InvalidOptionsError("trace needs at least one topic to read");
  const byId = new Map<string, { first: TracedMessage; copies: number }>();
  const reads: TopicRead[] = [];
  const replayOptions: ReplayOptions = {
    from: options.since === undefined ? "start" : { timestamp: options.since },
    batchSize: options.batchSize ?? 500,
    ...(options.topology === undefined ? {} : { topology: options.topology }),
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  };
  for (const topic of new Set(topics)) {
    const reader = await openReplay(url, topic, replayOptions).catch((err: unknown) => {
      if (err instanceof Error) err.message = `topic ${topic}: ${err.message}`;
      throw err;
    });
    let read = 0;
    let kept = 0;
    try {
      for await (const batch of reader) {
        for (const r of batch.messages) {
          read += 1;
          const m = r.message;
          if (m.correlationId !== correlationId && !(m.correlationId === undefined && m.id === correlationId))
            continue;
          kept += 1;
          const seen = byId.get(m.id);
          if (seen) seen.copies += 1;
          else byId.set(m.id, { first: { message: m, position: r.position, copies: 1 }, copies: 1 });
        }
        options.onProgress?.({ topic, read, kept });
      }
    } finally {
      await reader.close();
    }
    reads.push({ topic, method: reader.method, read, kept });
  }
  const messages = [...byId.values()]
    .map(({ first, copies }) => ({ ...first, copies }))
    .sort((a, b) => a.message.timestamp - b.message.timestamp);
  return { messages, topics: reads };
}
