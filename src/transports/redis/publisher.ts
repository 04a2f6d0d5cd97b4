/**
 * Publishes with XADD, pipelined: many XADDs are on the wire at once (ioredis writes each command as
 * it is issued), bounded by `maxInFlight`; further publishes wait for a slot. A publish resolves only
 * after the server replied with the entry id (and, when asked, after WAIT/WAITAOF confirmed it).
 *
 * Per publish there is one small object and one promise: deadlines are expired by one sweep for the
 * whole publisher (no timer or race per message), and a publish that finds a free slot is written at
 * once, synchronously (docs/performance.md has the profiles that led here).
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ClosedError, MqaError, PublishRejectedError, PublishTimeoutError } from "../../core/errors.js";
import type { OutgoingMessage } from "../../core/message.js";
import type { PublishOptions, PublishReceipt } from "../../core/transport.js";
import { BoundedMap } from "../bounded-map.js";
import { DeadlineSweep, Fifo, type Deadlined } from "../deadlines.js";
import { InFlight } from "../in-flight.js";
import { checkPartitions } from "./declare.js";
import type { DurabilityWaiter } from "./durability.js";
import { encodeMapped, encodeMessage, type EntryFields, type FieldMapping } from "./fields.js";
import { partitionForKey, type RedisKeyNames } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import type { StreamTrimmer } from "./trimmer.js";

/** Topics whose partition check is remembered; one publishing to more is checked again, nothing else. */
const CHECKED_TOPICS = 10_000;
/** One publish, from the caller's call to its settlement. */
interface PublishOp extends Deadlined {
  readonly topic: string;
  readonly stream: string;
  /** Undefined when the topic's field layout has no id field: the entry id is the message id. */
  readonly id: string | undefined;
  readonly fields: EntryFields;
  readonly timeoutMs: number;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (err: MqaError) => void;
}

/** XADD publisher for one connection. */
export class StreamPublisher {
  private inUse = 0;
  /** Publishes waiting for a slot, first come first served (expired ones are skipped). */
  private readonly waiting = new Fifo<PublishOp>();
  /** Publishes not yet settled (for close). */
  private readonly unsettled = new InFlight();
  private roundRobin = 0;
  /**
   * Topics whose partition count the server confirmed (at most CHECKED_TOPICS, the oldest forgotten
   * first: a forgotten topic is only checked again), and the checks under way (removed once settled).
   */
  private readonly partitionsOk = new BoundedMap<string, true>(CHECKED_TOPICS);
  private readonly partitionChecks = new Map<string, Promise<void>>();
  private readonly deadlines = new DeadlineSweep<PublishOp>((op) => this.expire(op));
  /** Topics written in another program's field layout (`topics.<topic>.fields`). */
  private readonly mappings: ReadonlyMap<string, FieldMapping>;
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly names: RedisKeyNames,
    private readonly options: ResolvedRedisOptions,
    private readonly trimmer: StreamTrimmer,
    private readonly durability: DurabilityWaiter | undefined,
    private readonly logger: Logger,
  ) {
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
        reject(
          new PublishRejectedError(
            `publish to ${topic} rejected: ${this.options.maxInFlight} publishes are in flight and ` +
              `${this.options.maxQueuedPublishes} more are waiting (is Redis reachable? raise ` +
              "maxQueuedPublishes or slow down)",
          ),
        );
        return;
      }
      const op: PublishOp = {
        topic,
        stream,
        id,
        fields,
        timeoutMs,
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

  /** Write the XADD (after the topic's partition check, once). The caller holds a slot for it. */
  private send(op: PublishOp): void {
    if (this.partitionsOk.has(op.topic)) {
      this.xadd(op);
      return;
    }
    this.checked(op.topic).then(
      () => this.xadd(op),
      (cause: unknown) => {
        this.release();
        this.settle(op, cause instanceof MqaError ? cause : this.rejected(op, cause));
      },
    );
  }

  private xadd(op: PublishOp): void {
    if (op.done) {
      // Expired while its partition check ran: the caller was told "timeout"; never send it late.
      this.release();
      return;
    }
    this.client.xadd(op.stream, "*", ...op.fields).then(
      (entryId) => {
        this.release();
        this.trimmer.touch(op.stream, this.options.topics[op.topic]?.trim);
        const receipt = { id: op.id ?? (entryId as string), position: entryId as string };
        if (!this.durability) this.settle(op, receipt);
        else
          this.durability.confirm().then(
            () => this.settle(op, receipt),
            (err: unknown) => this.settle(op, err instanceof MqaError ? err : this.rejected(op, err)),
          );
      },
      (cause: unknown) => {
        this.release();
        this.settle(op, this.rejected(op, cause));
      },
    );
  }

  private rejected(op: PublishOp, cause: unknown): PublishRejectedError {
    return new PublishRejectedError(`XADD to ${op.stream} failed: ${(cause as Error).message}`, { cause });
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

  /** The deadline passed before Redis answered. */
  private expire(op: PublishOp): void {
    this.settle(
      op,
      new PublishTimeoutError(
        `publish to ${op.topic} not confirmed by Redis within ${op.timeoutMs} ms; it may or may not be stored ` +
          "(raise publishTimeoutMs, or check the connection)",
        { details: { topic: op.topic, id: op.id, timeoutMs: op.timeoutMs } },
      ),
    );
  }

  private settle(op: PublishOp, outcome: PublishReceipt | MqaError): void {
    if (op.done) return;
    op.done = true;
    if (outcome instanceof MqaError) op.reject(outcome);
    else op.resolve(outcome);
    if (this.unsettled.end()) this.deadlines.clear(); // nothing left to expire: no timer holds the process
  }

  /** Stop accepting publishes and wait (up to `timeoutMs`) for the ones in flight to settle. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (!(await this.unsettled.drained(timeoutMs)))
      this.logger.warn({ pending: this.unsettled.size }, "closing with publishes unsettled");
  }
}
