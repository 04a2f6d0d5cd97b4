/**
 * Publishes with XADD, pipelined: many XADDs are on the wire at once (ioredis writes each command as
 * it is issued), bounded by `maxInFlight`; further publishes wait for a slot. A publish resolves only
 * after the server replied with the entry id (and, when asked, after WAIT/WAITAOF confirmed it).
 *
 * Per publish there is one small object and one promise: deadlines are expired by one sweep for the
 * whole publisher (no timer or race per message), and a publish that finds a free slot is written at
 * once, synchronously (docs/performance.md has the profiles that led here).
 *
 * The bounds hold from the first call: before the first connection a publish takes a slot like any other
 * and is parked until {@link StreamPublisher.open}, so at most `maxInFlight + maxQueuedPublishes` publishes
 * are ever held, connected or not; beyond that a publish rejects at once. How each failure is labelled
 * (stored, not stored, maybe stored) is decided in publish-outcome.ts.
 */
import type { RedisClient } from "./client.js";
import type { Logger } from "pino";
import { ClosedError, DurabilityNotMetError, MqaError } from "../../core/errors.js";
import { maskSecretsInText } from "../../core/redact.js";
import type { OutgoingMessage } from "../../core/message.js";
import type { PublishOptions, PublishReceipt } from "../../core/transport.js";
import { BoundedMap } from "../bounded-map.js";
import { DeadlineSweep, Fifo, type Deadlined } from "../deadlines.js";
import { InFlight } from "../in-flight.js";
import { checkPartitions } from "./declare.js";
import type { DurabilityConfirmer } from "./durability.js";
import { encodeMapped, encodeMessage, type EntryFields, type FieldMapping } from "./fields.js";
import { partitionForKey, type RedisKeyNames } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import { scriptReplyError } from "./reply-error.js";
import { scripts } from "./scripts.js";
import { isRefusal, notSent, outcomeUnknown, overflow, refused, timedOut } from "./publish-outcome.js";
import type { RedisTransportStats } from "./stats.js";
import type { StreamTrimmer } from "./trimmer.js";

/** Topics whose partition check is remembered; one publishing to more is checked again, nothing else. */
const CHECKED_TOPICS = 10_000;
/**
 * Re-sends of one publish whose XADD was lost with its connection. Each needs a connection loss of its own,
 * so this is only reached when the connection keeps dropping; the publish then rejects as "maybe stored".
 */
const MAX_RESENDS = 5;
/** Entries per publish-batch call: bounds the time one call holds Redis (which runs one command at a time). */
const BATCH_MAX_ENTRIES = 256;
/** Bytes of field values per publish-batch call, so one call stays far below Redis's query-buffer limits. */
const BATCH_MAX_BYTES = 1024 * 1024;
/** An entry larger than this goes as a plain XADD of its own. */
const BATCH_ENTRY_MAX_BYTES = 64 * 1024;

/** One publish, from the caller's call to its settlement. */
interface PublishOp extends Deadlined {
  readonly topic: string;
  readonly stream: string;
  /** Undefined when the topic's field layout has no id field: the entry id is the message id. */
  readonly id: string | undefined;
  readonly fields: EntryFields;
  readonly timeoutMs: number;
  /** An XADD for it was handed to the connection (so it may be stored). */
  sent: boolean;
  /** Times mqa sent its XADD again after the connection was lost before the reply. */
  resends: number;
  /** {@link StreamPublisher.connectionLosses} when its XADD was last handed to the connection. */
  epoch: number;
  /** Counted in `stats.resentPublishes` already. */
  counted: boolean;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (err: MqaError) => void;
}

/** XADD publisher for one connection. */
export class StreamPublisher {
  private inUse = 0;
  /** Publishes waiting for a slot, first come first served (expired ones are skipped). */
  private readonly waiting = new Fifo<PublishOp>();
  /** Publishes holding a slot before the first connection, sent by {@link open}. */
  private parked: PublishOp[] = [];
  /** The transport's first connection succeeded; until then nothing is written. */
  private connected = false;
  /** A {@link dropExpiredParked} is queued. */
  private compacting = false;
  /**
   * Connections of the client that closed so far. A reply to an XADD handed over before the latest loss came
   * after a re-send (ioredis re-sends commands left unanswered by a closed connection): it may be stored twice.
   */
  private connectionLosses = 0;
  /** Publishes not yet settled (for close). */
  private readonly unsettled = new InFlight();
  private roundRobin = 0;
  /**
   * Topics whose partition count the server confirmed (at most CHECKED_TOPICS, the oldest forgotten
   * first: a forgotten topic is only checked again), and the checks under way (removed once settled).
   */
  private readonly partitionsOk = new BoundedMap<string, true>(CHECKED_TOPICS);
  private readonly partitionChecks = new Map<string, Promise<void>>();
  /** Stream keys of single-stream topics (at most CHECKED_TOPICS; all forgotten when full). */
  private readonly singleStreams = new Map<string, string>();
  private readonly deadlines = new DeadlineSweep<PublishOp>((op) => this.expire(op));
  /** Topics written in another program's field layout (`topics.<topic>.fields`). */
  private readonly mappings: ReadonlyMap<string, FieldMapping>;
  private closed = false;
  /** XADDs of this tick not yet handed to the connection, per stream (see {@link xadd}). */
  private batches = new Map<string, { ops: PublishOp[]; bytes: number }>();
  private flushQueued = false;

  constructor(
    private readonly client: RedisClient,
    private readonly names: RedisKeyNames,
    private readonly options: ResolvedRedisOptions,
    private readonly trimmer: StreamTrimmer,
    private readonly durability: DurabilityConfirmer | undefined,
    private readonly logger: Logger,
    private readonly stats: RedisTransportStats,
    /** The server, for messages (password masked). */
    private readonly target: string,
  ) {
    client.on("close", () => void this.connectionLosses++);
    this.mappings = new Map(
      Object.entries(options.topics).flatMap(([topic, t]) => (t.fields ? [[topic, t.fields] as const] : [])),
    );
  }

  /** Verify once per topic that the server agrees on its partition count (see checkPartitions). */
  private checked(topic: string): Promise<void> {
    let check = this.partitionChecks.get(topic);
    if (!check) {
      check = checkPartitions(this.client, this.names, topic, this.partitions(topic)).then(() => {
        this.partitionsOk.set(topic, true);
      });
      this.partitionChecks.set(topic, check);
      // Settled, the check is forgotten: passed, the topic is in partitionsOk; failed (connection
      // trouble), it is asked again next time; a mismatch keeps failing anyway.
      const forget = (): void => void this.partitionChecks.delete(topic);
      check.then(forget, forget);
    }
    return check;
  }

  /** Partition count of a topic (from the `topics` option). */
  partitions(topic: string): number {
    return this.options.topics[topic]?.partitions ?? 1;
  }

  /** The stream a message goes to: by key hash, round robin when it has no key. */
  streamFor(topic: string, key: string | undefined): { stream: string; partition: number } {
    const n = this.partitions(topic);
    if (n === 1) {
      // A topic's one stream: named once (escaping the name costs more than the rest of a publish's routing).
      let stream = this.singleStreams.get(topic);
      if (stream === undefined) {
        // Bounded by forgetting them all at once: an LRU's bookkeeping on every publish cost more than naming.
        if (this.singleStreams.size >= CHECKED_TOPICS) this.singleStreams.clear();
        stream = this.names.stream(topic, 0, 1);
        this.singleStreams.set(topic, stream);
      }
      return { stream, partition: 0 };
    }
    const partition = partitionForKey(key, n, this.roundRobin++);
    return { stream: this.names.stream(topic, partition, n), partition };
  }

  publish(topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.closed)
      return Promise.reject(new ClosedError("the Redis transport is closed; create a new one"));
    const timeoutMs = options?.timeoutMs ?? this.options.publishTimeoutMs;
    // mqa's own layout unless the topic maps another one (one Map lookup, and none without mappings).
    const mapping = this.mappings.size === 0 ? undefined : this.mappings.get(topic);
    let encoded: { id: string | undefined; fields: EntryFields };
    try {
      encoded = mapping === undefined ? encodeMessage(message) : encodeMapped(message, mapping, topic);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const { id, fields } = encoded;
    const { stream } = this.streamFor(topic, message.key);
    return new Promise<PublishReceipt>((resolve, reject) => {
      if (this.inUse >= this.options.maxInFlight && this.waiting.size >= this.options.maxQueuedPublishes) {
        const live = this.connected && this.client.status === "ready";
        reject(overflow(topic, { inFlight: this.inUse, waiting: this.waiting.size }, live, this.target));
        return;
      }
      const op: PublishOp = {
        topic,
        stream,
        id,
        fields,
        timeoutMs,
        sent: false,
        resends: 0,
        epoch: 0,
        counted: false,
        deadline: Date.now() + timeoutMs,
        done: false,
        resolve,
        reject,
      };
      this.unsettled.begin();
      this.deadlines.add(op, timeoutMs);
      if (this.inUse < this.options.maxInFlight) {
        this.inUse++;
        this.send(op);
      } else {
        this.waiting.push(op);
      }
    });
  }

  /**
   * The transport's first connection is up: send what was parked until now, in arrival order (those that
   * expired meanwhile only give their slot back).
   */
  open(): void {
    if (this.connected) return;
    this.connected = true;
    const parked = this.parked;
    this.parked = [];
    for (const op of parked) this.send(op);
  }

  /** The first connection failed: reject what is parked (it was never sent). Later publishes try again. */
  connectFailed(cause: unknown): void {
    this.rejectParked((op) => notSent(op, cause));
  }

  /** Reject every parked publish, and those waiting behind them (each freed slot parks the next one). */
  private rejectParked(error: (op: PublishOp) => MqaError): void {
    for (let batch = this.parked; batch.length > 0; batch = this.parked) {
      this.parked = [];
      for (const op of batch) {
        this.release();
        this.settle(op, error(op));
      }
    }
  }

  /** Write the XADD (after the topic's partition check, once). The caller holds a slot for it. */
  private send(op: PublishOp): void {
    if (!this.connected) {
      this.parked.push(op);
      return;
    }
    if (this.partitionsOk.has(op.topic)) {
      this.xadd(op);
      return;
    }
    this.checked(op.topic).then(
      () => this.xadd(op),
      (cause: unknown) => {
        this.release();
        this.settle(
          op,
          cause instanceof MqaError ? cause : isRefusal(cause) ? refused(op, cause) : notSent(op, cause),
        );
      },
    );
  }

  /**
   * Hand the XADD to the connection: publishes issued in the same tick to the same stream go out together,
   * as one publish-batch script call (one command instead of N for Redis to parse, run and answer; one for
   * the client to encode). A publish alone in its tick, or too big to share a call, goes as a plain XADD.
   */
  private xadd(op: PublishOp): void {
    if (op.done) {
      // Expired while its partition check ran: the caller was told "timeout"; never send it late.
      this.release();
      return;
    }
    op.sent = true;
    op.epoch = this.connectionLosses;
    const bytes = fieldBytes(op.fields);
    let batch = this.batches.get(op.stream);
    if (bytes > BATCH_ENTRY_MAX_BYTES) {
      // Alone, after the publishes to this stream issued before it (one connection keeps their order).
      if (batch !== undefined) {
        this.batches.delete(op.stream);
        this.sendBatch(op.stream, batch.ops);
      }
      this.sendOne(op);
      return;
    }
    if (batch !== undefined && batch.bytes + bytes > BATCH_MAX_BYTES) {
      this.batches.delete(op.stream);
      this.sendBatch(op.stream, batch.ops);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { ops: [], bytes: 0 };
      this.batches.set(op.stream, batch);
    }
    batch.ops.push(op);
    batch.bytes += bytes;
    if (batch.ops.length >= BATCH_MAX_ENTRIES) {
      this.batches.delete(op.stream);
      this.sendBatch(op.stream, batch.ops);
      return;
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      // After the microtasks of this turn: every publish its callers issue now joins the same call.
      process.nextTick(this.flushBatches);
    }
  }

  private readonly flushBatches = (): void => {
    this.flushQueued = false;
    const batches = this.batches;
    if (batches.size === 0) return;
    this.batches = new Map();
    for (const [stream, batch] of batches) this.sendBatch(stream, batch.ops);
  };

  private sendBatch(stream: string, ops: PublishOp[]): void {
    if (ops.length === 1) {
      this.sendOne(ops[0] as PublishOp);
      return;
    }
    const args: (string | number | Buffer)[] = [];
    for (const op of ops) args.push(op.fields.length, ...op.fields);
    scripts.publishBatch.run(this.client, [stream], args).then(
      (reply) => {
        const [ids, error] = reply as [string[], string];
        ops.forEach((op, i) => {
          const id = ids[i];
          if (id !== undefined) this.stored(op, id);
          else this.failed(op, scriptReplyError(error));
        });
      },
      (cause: unknown) => {
        for (const op of ops) this.failed(op, cause);
      },
    );
  }

  private sendOne(op: PublishOp): void {
    this.client.xadd(op.stream, "*", ...op.fields).then(
      (entryId) => this.stored(op, entryId as string),
      (cause: unknown) => this.failed(op, cause),
    );
  }

  /** Redis stored the entry: settle the publish (after the durability check, when one is asked for). */
  private stored(op: PublishOp, entryId: string): void {
    this.release();
    if (op.epoch !== this.connectionLosses) this.countResent(op); // answered after a connection loss
    this.trimmer.touch(op.stream, this.options.topics[op.topic]?.trim);
    const receipt = { id: op.id ?? entryId, position: entryId };
    if (!this.durability) this.settle(op, receipt);
    else
      this.durability.confirm(op.stream).then(
        () => this.settle(op, receipt),
        (err: unknown) => this.settle(op, err instanceof MqaError ? err : unconfirmed(op, err)),
      );
  }

  /**
   * The XADD failed. An error reply means Redis refused it (not stored). Anything else means the connection
   * was lost after the XADD was written: it may have been stored, so it is sent again (keeping its slot;
   * ioredis holds it until the reconnect) while its deadline lasts — at least once, possibly twice.
   */
  private failed(op: PublishOp, cause: unknown): void {
    if (isRefusal(cause)) {
      this.release();
      this.settle(op, refused(op, cause));
      return;
    }
    if (op.done) {
      this.release(); // expired meanwhile: the caller was told "may or may not be stored"
      return;
    }
    // "end": the client was disconnected for good (the transport aborted); a re-send would fail the same way.
    const why =
      this.client.status === "end"
        ? "the transport was closed"
        : op.resends >= MAX_RESENDS
          ? `it was already re-sent ${MAX_RESENDS} times`
          : undefined;
    if (why !== undefined) {
      this.release();
      this.settle(op, outcomeUnknown(op, cause, why));
      return;
    }
    op.resends++;
    this.countResent(op);
    this.logger.debug({ topic: op.topic, id: op.id, resends: op.resends }, "re-sending an unanswered XADD");
    this.xadd(op);
  }

  /** Count a publish whose XADD may have reached Redis more than once (once per publish). */
  private countResent(op: PublishOp): void {
    if (op.counted) return;
    op.counted = true;
    this.stats.resentPublishes++;
  }

  /** Free a slot, handing it straight to the next publish still waiting. */
  private release(): void {
    for (let op = this.waiting.peek(); op; op = this.waiting.peek()) {
      this.waiting.pop();
      if (!op.done) {
        this.send(op); // the slot passes to it
        return;
      }
    }
    this.inUse--;
  }

  /** The deadline passed before Redis answered (or before the publish could be sent). */
  private expire(op: PublishOp): void {
    this.settle(op, timedOut(op, this.target, this.connected));
    // Parked and expired, it would keep its slot until a connection: free it (once per sweep, not per op).
    if (!this.connected && !this.compacting) {
      this.compacting = true;
      queueMicrotask(() => this.dropExpiredParked());
    }
  }

  /** Give back the slots of parked publishes that expired; each freed slot parks the next live waiting one. */
  private dropExpiredParked(): void {
    this.compacting = false;
    const live = this.parked.filter((op) => !op.done);
    const expired = this.parked.length - live.length;
    this.parked = live;
    for (let i = 0; i < expired; i++) this.release();
  }

  private settle(op: PublishOp, outcome: PublishReceipt | MqaError): void {
    if (op.done) return;
    op.done = true;
    if (outcome instanceof MqaError) op.reject(outcome);
    else op.resolve(outcome);
    if (this.unsettled.end()) this.deadlines.clear(); // nothing left to expire: no timer holds the process
  }

  /**
   * Stop accepting publishes and wait (up to `timeoutMs`) for the ones in flight to settle. Publishes still
   * parked for a first connection are rejected now: they were never sent.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.rejectParked(
      (op) =>
        new ClosedError(
          `the Redis transport was closed before it connected; the publish to ${op.topic} was not sent`,
          {
            details: { topic: op.topic, id: op.id, sent: false },
          },
        ),
    );
    if (!(await this.unsettled.drained(timeoutMs)))
      this.logger.warn({ pending: this.unsettled.size }, "closing with publishes unsettled");
  }
}

/** The XADD was answered but the durability check after it failed for another reason (connection lost). */
function unconfirmed(op: PublishOp, cause: unknown): MqaError {
  return new DurabilityNotMetError(
    `the publish to ${op.topic} is stored on the Redis primary, but confirming its durability failed ` +
      `(${maskSecretsInText(cause instanceof Error ? cause.message : String(cause))}); it is not known to be on ` +
      "disk or on a replica (check the connection, or publish again: consumers deduplicate by message id)",
    { cause, details: { topic: op.topic, stream: op.stream, id: op.id, sent: true } },
  );
}

/** Bytes of an entry's fields (names and values). */
function fieldBytes(fields: EntryFields): number {
  let n = 0;
  for (const f of fields) n += typeof f === "string" ? f.length * 3 : f.length; // a string's worst-case UTF-8
  return n;
}
