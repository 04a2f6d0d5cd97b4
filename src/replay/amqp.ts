/**
 * Replay on RabbitMQ: history lives only in stream queues, so a topic is replayed from its history stream
 * `<topic>.history` (the spec's `history`, src/spec/rabbit-history.ts), a stream queue the spec gives one of
 * its groups, or a stream queue named with `queue`. It is read over AMQP 0-9-1 by a consumer with
 * `x-stream-offset` (`first`, an offset, or a timestamp), a prefetch of one batch, and manual acks: acks only
 * give the consumer credit (a stream keeps every message for every reader), so nobody else is disturbed.
 *
 * Exact starts and ends, which the stream protocol alone does not give:
 * - a timestamp offset starts at the chunk holding that second, so messages stamped before the asked time
 *   (mqa's `x-mqa-timestamp`, else the AMQP timestamp) are skipped until the first one at or after it;
 * - AMQP 0-9-1 does not say where a stream ends, so a reader that stops at the end writes a small marker
 *   message (header `x-mqa-replay-end`, sent to the stream queue itself through the default exchange, so no
 *   group gets it) and stops when it reads its own marker; every replay reader skips every marker.
 */
import { randomUUID } from "node:crypto";
import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import type { BrokerTlsOptions } from "../connect.js";
import { MqaError } from "../core/errors.js";
import { maskUrl } from "../core/redact.js";
import { rabbitGroups } from "../spec/rabbit-groups.js";
import { historyQueueName, rabbitHistories } from "../spec/rabbit-history.js";
import type { TopologySpec } from "../spec/schema/spec.js";
import { fromDelivery } from "../transports/amqp/layout.js";
import { REPLAY_END_HEADER } from "./amqp-marker.js";
import type { ReplayedMessage, ReplaySource, SourceSpec } from "./types.js";

/** Where the topic's history is on RabbitMQ. */
export interface AmqpReplayOptions {
  /** A stream queue to read as it is. */
  queue?: string;
  topology?: TopologySpec;
  tls?: BrokerTlsOptions;
}

/** The stream queue to read for `topic`, and where that choice came from. */
export function historyQueueOf(
  topic: string,
  vhost: string,
  options: AmqpReplayOptions,
): { queue: string; from: string } {
  if (options.queue !== undefined) return { queue: options.queue, from: "the queue option" };
  const history = rabbitHistories(options.topology).find((h) => h.topic === topic && h.vhost === vhost);
  if (history) return { queue: history.queue, from: `${history.path} in the spec` };
  const stream = rabbitGroups(options.topology).find(
    (g) =>
      g.topic === topic &&
      g.vhost === vhost &&
      (g.declareQueue ? g.queueType === "stream" : g.describedQueue?.type === "stream"),
  );
  if (stream) return { queue: stream.queue, from: `${stream.path} in the spec (a stream queue)` };
  return { queue: historyQueueName(topic), from: "mqa's convention" };
}

function vhostOfUrl(url: string): string {
  const path = new URL(url).pathname;
  return path === "" || path === "/" ? "/" : decodeURIComponent(path.slice(1));
}

/** amqplib's typed table value for an AMQP timestamp (seconds). */
function amqpTimestamp(ms: number): { "!": "timestamp"; value: number } {
  return { "!": "timestamp", value: Math.floor(ms / 1000) };
}

function offsetNumber(text: string | number, what: string): number {
  const n = typeof text === "number" ? text : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new MqaError(
      "invalid-options",
      `${what} ${JSON.stringify(text)} is not a RabbitMQ stream offset (a whole number from 0); entry ids are for Redis`,
    );
  return n;
}

/** Open a reader's source on the topic's stream queue at `url`. */
export async function openAmqpSource(
  url: string,
  spec: SourceSpec,
  options: AmqpReplayOptions,
): Promise<ReplaySource> {
  const { queue, from } = historyQueueOf(spec.topic, vhostOfUrl(url), options);
  // Checked before connecting: a bad offset is the caller's mistake, whatever the broker says.
  const start = startOf(spec);
  const toOffset =
    spec.to !== undefined && typeof spec.to === "object" && "offset" in spec.to
      ? offsetNumber(spec.to.offset, "to offset")
      : undefined;
  const tls = /^amqps:/i.test(url) && options.tls ? options.tls : {};
  const model = await amqplib.connect(url, { timeout: 10_000, ...tls });
  model.on("error", () => undefined);
  try {
    await assertStreamQueue(model, url, spec.topic, queue, from);
    const source = new AmqpReplaySource(model, queue, spec, start, toOffset);
    // Consume first: a queue that is not a stream is refused before the marker is written into it.
    await source.start().catch((cause: unknown) => {
      if ((cause as { code?: unknown }).code !== 406) throw cause;
      throw new MqaError(
        "invalid-options",
        `queue "${queue}" is not a stream queue (RabbitMQ refused a stream consumer on it): replay reads stream ` +
          "queues only (x-queue-type: stream), since reading any other queue would take its messages away; " +
          "give the topic a history in the spec",
        { cause, details: { queue } },
      );
    });
    if (!spec.follow) source.endAt(await writeEndMarker(model, queue));
    return source;
  } catch (err) {
    await model.close().catch(() => undefined);
    throw err;
  }
}

/** The consumer's `x-stream-offset`, and the time before which messages are skipped. */
function startOf(spec: SourceSpec): { arg: unknown; describe: string; notBefore: number | undefined } {
  const s = spec.start;
  if ("after" in s) {
    const n = offsetNumber(s.after, "checkpoint") + 1;
    return { arg: n, describe: `offset ${n} (after checkpoint ${s.after})`, notBefore: undefined };
  }
  if (s.from === "start") return { arg: "first", describe: "first", notBefore: undefined };
  if ("offset" in s.from) {
    const n = offsetNumber(s.from.offset, "from offset");
    return { arg: n, describe: `offset ${n}`, notBefore: undefined };
  }
  const ms = s.from.timestamp.getTime();
  return { arg: amqpTimestamp(ms), describe: `timestamp ${s.from.timestamp.toISOString()}`, notBefore: ms };
}

/** One throwaway channel per check: a refused check closes its channel. */
async function withChannel<T>(model: ChannelModel, f: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await model.createChannel();
  ch.on("error", () => undefined);
  try {
    return await f(ch);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/**
 * The queue must exist. That it is a stream is checked by the consume itself: RabbitMQ refuses a consumer with
 * `x-stream-offset` on a classic or quorum queue (406, "invalid arg"), before delivering anything, so no
 * message is ever taken from a queue that is not a stream.
 */
async function assertStreamQueue(
  model: ChannelModel,
  url: string,
  topic: string,
  queue: string,
  from: string,
): Promise<void> {
  try {
    await withChannel(model, (ch) => ch.checkQueue(queue));
  } catch (cause) {
    if ((cause as { code?: unknown }).code !== 404) throw cause;
    throw new MqaError(
      "not-found",
      `topic "${topic}" keeps no history on ${maskUrl(url)}: there is no stream queue "${queue}" (${from}). ` +
        `RabbitMQ keeps messages only in stream queues: add \`history: { maxAge: 7d }\` to the topic in the ` +
        "topology spec and run `mqa topology apply` (or declare a group of the topic with that spec), then " +
        "messages published from then on can be replayed; or name a stream queue of your own (--queue, option queue)",
      { cause, details: { topic, queue } },
    );
  }
}

/** Write this reader's end marker into the stream (confirmed); returns its id. */
async function writeEndMarker(model: ChannelModel, queue: string): Promise<string> {
  const id = randomUUID();
  const ch = await model.createConfirmChannel();
  ch.on("error", () => undefined);
  let returned = false;
  ch.on("return", () => void (returned = true));
  try {
    await new Promise<void>((resolve, reject) =>
      ch.publish(
        "",
        queue,
        Buffer.alloc(0),
        {
          persistent: true,
          mandatory: true,
          headers: { [REPLAY_END_HEADER]: id },
          timestamp: Math.floor(Date.now() / 1000),
        },
        (err) => (err ? reject(err as Error) : resolve()),
      ),
    );
  } finally {
    await ch.close().catch(() => undefined);
  }
  if (returned)
    throw new MqaError("unroutable", `the end marker could not be written to stream queue "${queue}"`);
  return id;
}

class AmqpReplaySource implements ReplaySource {
  readonly method: string;
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private readonly buffer: ConsumeMessage[] = [];
  /** Last delivery looked at (handed out or skipped), not acknowledged yet. */
  private unacked: ConsumeMessage | undefined;
  private lastOffset: string | undefined;
  private started: boolean;
  private ended = false;
  private closed = false;
  private failure: MqaError | undefined;
  private wake: (() => void) | undefined;
  /** Id of this reader's end marker; until it is known, markers met are other readers'. */
  private marker: string | undefined;

  constructor(
    private readonly model: ChannelModel,
    private readonly queue: string,
    private readonly spec: SourceSpec,
    private readonly startAt: { arg: unknown; describe: string; notBefore: number | undefined },
    private readonly toOffset: number | undefined,
  ) {
    this.started = startAt.notBefore === undefined;
    if ("after" in spec.start) this.lastOffset = spec.start.after;
    this.method =
      `stream queue ${queue}, consumer at x-stream-offset ${startAt.describe}, prefetch ${spec.batchSize}` +
      (spec.follow ? ", following" : ", up to an end marker written at open");
  }

  /** Stop at the marker of this id (written after the consumer started: it is in the stream after it). */
  endAt(marker: string): void {
    this.marker = marker;
  }

  async start(): Promise<void> {
    const ch = await this.model.createChannel();
    this.channel = ch;
    const fail = (why: string) => (err?: unknown) => {
      if (this.closed) return;
      this.failure ??= new MqaError(
        "connection-closed",
        `replay of stream queue "${this.queue}" stopped: ${why}`,
        {
          cause: err,
        },
      );
      this.wake?.();
    };
    ch.on("error", fail("the channel failed"));
    ch.on("close", fail("the channel closed"));
    this.model.on("close", fail("the connection closed"));
    await ch.prefetch(this.spec.batchSize);
    const { consumerTag } = await ch.consume(
      this.queue,
      (msg) => {
        if (msg === null) return fail("the broker cancelled the consumer (was the queue deleted?)")();
        this.buffer.push(msg);
        this.wake?.();
      },
      { noAck: false, arguments: { "x-stream-offset": this.startAt.arg } },
    );
    this.consumerTag = consumerTag;
  }

  cursor(): string | undefined {
    return this.lastOffset;
  }

  async next(max: number): Promise<ReplayedMessage[] | undefined> {
    for (;;) {
      if (this.closed || this.ended) return undefined;
      if (this.failure) throw this.failure;
      const out = this.take(max);
      if (out.length > 0) return out;
      if (this.ended) return undefined;
      // Everything looked at was skipped: ack it so the broker sends more (acks are credit on a stream).
      this.ackLooked();
      if (this.buffer.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Up to `max` buffered deliveries that belong to the replay, in order; marks the end when reached. */
  private take(max: number): ReplayedMessage[] {
    const out: ReplayedMessage[] = [];
    while (out.length < max && this.buffer.length > 0 && !this.ended) {
      const msg = this.buffer.shift()!;
      this.unacked = msg;
      const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
      const offset = headers["x-stream-offset"];
      const position = typeof offset === "number" || typeof offset === "bigint" ? String(offset) : undefined;
      const end = headers[REPLAY_END_HEADER];
      if (end !== undefined) {
        if (this.marker !== undefined && String(end) === this.marker) this.ended = true;
        continue; // markers are the readers' bookkeeping, never messages
      }
      if (position === undefined) continue; // not a stream delivery: cannot be positioned
      if (this.toOffset !== undefined && Number(position) > this.toOffset) {
        this.ended = true;
        break;
      }
      const message = fromDelivery(msg, this.spec.topic);
      if (!this.started) {
        if (message.timestamp < this.startAt.notBefore!) continue;
        this.started = true;
      }
      const to = this.spec.to;
      if (
        to !== undefined &&
        typeof to === "object" &&
        "timestamp" in to &&
        message.timestamp >= to.timestamp.getTime()
      ) {
        this.ended = true;
        break;
      }
      out.push({ message, position, stream: this.queue });
      this.lastOffset = position;
      if (this.toOffset !== undefined && Number(position) >= this.toOffset) this.ended = true;
    }
    return out;
  }

  private ackLooked(): void {
    if (!this.unacked || !this.channel) return;
    try {
      this.channel.ack(this.unacked, true);
    } catch {
      // the channel is gone: the failure is reported by the next read
    }
    this.unacked = undefined;
  }

  async handedOver(): Promise<void> {
    this.ackLooked();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    if (this.channel && this.consumerTag) await this.channel.cancel(this.consumerTag).catch(() => undefined);
    await this.model.close().catch(() => undefined);
  }
}
