/**
 * Publishes with XADD, pipelined: many XADDs are on the wire at once (ioredis writes each command as
 * it is issued), bounded by `maxInFlight`; further publishes wait for a slot. A publish resolves only
 * after the server replied with the entry id (and, when asked, after WAIT/WAITAOF confirmed it).
 * Publish timeouts are enforced by one deadline sweep (src/transports/deadlines.ts), not a timer each.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ClosedError, MqaError, PublishRejectedError, PublishTimeoutError } from "../../core/errors.js";
import { DeadlineSweep, Fifo, type Deadlined } from "../deadlines.js";
import type { OutgoingMessage } from "../../core/message.js";
import type { PublishOptions, PublishReceipt } from "../../core/transport.js";
import { checkPartitions } from "./declare.js";
import type { DurabilityWaiter } from "./durability.js";
import { encodeMessage } from "./fields.js";
import { partitionForKey, type RedisKeyNames } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import type { StreamTrimmer } from "./trimmer.js";

/** One publish from call to settlement. */
interface Op extends Deadlined {
  readonly topic: string;
  readonly id: string;
  readonly stream: string;
  readonly fields: (string | Buffer)[];
  readonly timeoutMs: number;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (err: unknown) => void;
  /** waiting: for a slot; sent: holds a slot (XADD issued, or about to be after the partition check). */
  state: "waiting" | "sent";
}

/** XADD publisher for one connection. */
export class StreamPublisher {
  /** XADDs written and not yet answered (slots in use). */
  private inFlight = 0;
  /** Publishes waiting for a slot, first come first served (expired ones skipped). */
  private readonly waiting = new Fifo<Op>();
  /** Live (not expired) publishes in `waiting`. */
  private queued = 0;
  /** Accepted publishes whose XADD (and durability wait) has not finished, for close(). */
  private unfinished = 0;
  private roundRobin = 0;
  private readonly partitionChecks = new Map<string, Promise<void>>();
  /** Topics whose partition check passed: their publishes skip the await. */
  private readonly checkedTopics = new Set<string>();
  private readonly deadlines = new DeadlineSweep<Op>((op) => this.expire(op));
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly names: RedisKeyNames,
    private readonly options: ResolvedRedisOptions,
    private readonly trimmer: StreamTrimmer,
    private readonly durability: DurabilityWaiter | undefined,
    private readonly logger: Logger,
  ) {}

  /** Verify once per topic that the server agrees on its partition count (see checkPartitions). */
  private checked(topic: string): Promise<void> {
    let check = this.partitionChecks.get(topic);
    if (!check) {
      check = checkPartitions(this.client, this.names, topic, this.partitions(topic));
      this.partitionChecks.set(topic, check);
      // A failed check (connection trouble) is asked again next time; a mismatch keeps failing anyway.
      check.catch(() => this.partitionChecks.delete(topic));
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

  /**
   * Publish one message. Per message: one promise (the caller's), one record and the XADD's own
   * promise; no timer or race (timeouts come from one {@link DeadlineSweep}), and no await when a slot
   * is free and the topic's partition count was already checked.
   */
  publish(topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.closed)
      return Promise.reject(new ClosedError("the Redis transport is closed; create a new one"));
    const timeoutMs = options?.timeoutMs ?? this.options.publishTimeoutMs;
    const { id, fields } = encodeMessage(message);
    const { stream } = this.streamFor(topic, message.key);
    return new Promise<PublishReceipt>((resolve, reject) => {
      if (this.inFlight >= this.options.maxInFlight && this.queued >= this.options.maxQueuedPublishes) {
        reject(
          new PublishRejectedError(
            `publish to ${topic} rejected: ${this.options.maxInFlight} publishes are in flight and ` +
              `${this.options.maxQueuedPublishes} more are waiting (is Redis reachable? raise maxQueuedPublishes ` +
              "or slow down)",
          ),
        );
        return;
      }
      const op: Op = {
        topic,
        id,
        stream,
        fields,
        timeoutMs,
        resolve,
        reject,
        deadline: Date.now() + timeoutMs,
        done: false,
        state: "waiting",
      };
      this.deadlines.add(op, timeoutMs);
      this.unfinished++;
      if (this.inFlight < this.options.maxInFlight && this.queued === 0) this.send(op);
      else {
        this.waiting.push(op);
        this.queued++;
      }
    });
  }

  /** Holds a slot: XADD now, or after the topic's partition check on its first publish. */
  private send(op: Op): void {
    op.state = "sent";
    this.inFlight++;
    if (this.checkedTopics.has(op.topic)) {
      this.xadd(op);
      return;
    }
    this.checked(op.topic).then(
      () => {
        this.checkedTopics.add(op.topic);
        // Timed out during the check: the caller was told "timeout", so never send it late.
        if (op.done) this.drop();
        else this.xadd(op);
      },
      (err: unknown) => this.failed(op, err),
    );
  }

  private xadd(op: Op): void {
    this.client.xadd(op.stream, "*", ...op.fields).then(
      (entryId) => this.added(op, entryId as string),
      (cause: unknown) => this.failed(op, cause),
    );
  }

  private added(op: Op, entryId: string): void {
    this.release();
    this.trimmer.touch(op.stream, this.options.topics[op.topic]?.trim);
    if (!this.durability) {
      this.settle(op, entryId, undefined);
      return;
    }
    this.durability.confirm().then(
      () => this.settle(op, entryId, undefined),
      (err: unknown) => this.settle(op, entryId, err),
    );
  }

  private failed(op: Op, cause: unknown): void {
    this.release();
    const err =
      cause instanceof MqaError
        ? cause
        : new PublishRejectedError(`XADD to ${op.stream} failed: ${(cause as Error).message}`, { cause });
    this.settle(op, undefined, err);
  }

  /** The XADD (and durability wait) finished; tell the caller unless its deadline already did. */
  private settle(op: Op, entryId: string | undefined, err: unknown): void {
    this.unfinished--;
    if (op.done) return;
    op.done = true;
    if (entryId !== undefined && err === undefined) op.resolve({ id: op.id, position: entryId });
    else op.reject(err);
  }

  /** Dropped without sending (it expired while its slot waited for the partition check). */
  private drop(): void {
    this.release();
    this.unfinished--;
  }

  /** Free a slot and hand it to the next live waiter. */
  private release(): void {
    this.inFlight--;
    while (this.queued > 0 && this.inFlight < this.options.maxInFlight) {
      const op = this.waiting.peek();
      if (!op) break;
      this.waiting.pop();
      if (op.done) continue; // timed out while waiting: already rejected, never sent late
      this.queued--;
      this.send(op);
    }
  }

  private expire(op: Op): void {
    op.done = true;
    if (op.state === "waiting") {
      // Never sent: it stays in the FIFO and is skipped there.
      this.queued--;
      this.unfinished--;
    }
    op.reject(
      new PublishTimeoutError(
        `publish to ${op.topic} not confirmed by Redis within ${op.timeoutMs} ms; it may or may not be stored ` +
          "(raise publishTimeoutMs, or check the connection)",
        { details: { topic: op.topic, id: op.id, timeoutMs: op.timeoutMs } },
      ),
    );
  }

  /** Stop accepting publishes and wait (up to `timeoutMs`) for the accepted ones to settle. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const until = Date.now() + timeoutMs;
    while (this.unfinished > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (this.unfinished > 0)
      this.logger.warn({ pending: this.unfinished }, "closing with publishes unsettled");
  }
}
