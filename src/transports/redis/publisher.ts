/**
 * Publishes with XADD, pipelined: many XADDs are on the wire at once (ioredis writes each command as
 * it is issued), bounded by `maxInFlight`; further publishes wait for a slot. A publish resolves only
 * after the server replied with the entry id (and, when asked, after WAIT/WAITAOF confirmed it).
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ClosedError, MqaError, PublishRejectedError, PublishTimeoutError } from "../../core/errors.js";
import type { OutgoingMessage } from "../../core/message.js";
import type { PublishOptions, PublishReceipt } from "../../core/transport.js";
import { checkPartitions } from "./declare.js";
import type { DurabilityWaiter } from "./durability.js";
import { encodeMessage } from "./fields.js";
import { partitionForKey, type RedisKeyNames } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import type { StreamTrimmer } from "./trimmer.js";

/** Counts slots for in-flight commands; waiters are served first come, first served. */
class Slots {
  private used = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
  ) {}
  /** Take a slot, waiting in line; false when the line is full. */
  acquire(): Promise<boolean> {
    if (this.used < this.max) {
      this.used++;
      return Promise.resolve(true);
    }
    if (this.waiters.length >= this.maxWaiting) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push(() => resolve(true)));
  }
  /** Free a slot, handing it straight to the next waiter if there is one. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
  get inUse(): number {
    return this.used;
  }
}

/** XADD publisher for one connection. */
export class StreamPublisher {
  private readonly slots: Slots;
  private readonly pending = new Set<Promise<unknown>>();
  private roundRobin = 0;
  private readonly partitionChecks = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly names: RedisKeyNames,
    private readonly options: ResolvedRedisOptions,
    private readonly trimmer: StreamTrimmer,
    private readonly durability: DurabilityWaiter | undefined,
    private readonly logger: Logger,
  ) {
    this.slots = new Slots(options.maxInFlight, options.maxQueuedPublishes);
  }

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

  publish(topic: string, message: OutgoingMessage, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.closed)
      return Promise.reject(new ClosedError("the Redis transport is closed; create a new one"));
    const timeoutMs = options?.timeoutMs ?? this.options.publishTimeoutMs;
    const { id, fields } = encodeMessage(message);
    const { stream } = this.streamFor(topic, message.key);
    const state = { timedOut: false };
    const work = this.send(stream, fields, topic, state);
    this.pending.add(work);
    void work.catch(() => undefined).finally(() => this.pending.delete(work));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        state.timedOut = true;
        reject(
          new PublishTimeoutError(
            `publish to ${topic} not confirmed by Redis within ${timeoutMs} ms; it may or may not be stored ` +
              "(raise publishTimeoutMs, or check the connection)",
            { details: { topic, id, timeoutMs } },
          ),
        );
      }, timeoutMs);
    });
    return Promise.race([work, timeout])
      .then((position) => ({ id, position }))
      .finally(() => clearTimeout(timer));
  }

  private async send(
    stream: string,
    fields: (string | Buffer)[],
    topic: string,
    state: { timedOut: boolean },
  ): Promise<string> {
    if (!(await this.slots.acquire())) {
      throw new PublishRejectedError(
        `publish to ${topic} rejected: ${this.options.maxInFlight} publishes are in flight and ` +
          `${this.options.maxQueuedPublishes} more are waiting (is Redis reachable? raise maxQueuedPublishes ` +
          "or slow down)",
      );
    }
    if (state.timedOut) {
      // The caller was already told "timeout" while this waited for a slot: never send it late.
      this.slots.release();
      throw new PublishTimeoutError(`publish to ${topic} timed out before it was sent`);
    }
    let entryId: string;
    try {
      await this.checked(topic);
      entryId = (await this.client.xadd(stream, "*", ...fields)) as string;
    } catch (cause) {
      if (cause instanceof MqaError) throw cause;
      throw new PublishRejectedError(`XADD to ${stream} failed: ${(cause as Error).message}`, { cause });
    } finally {
      this.slots.release();
    }
    this.trimmer.touch(stream, this.options.topics[topic]?.trim);
    if (this.durability) await this.durability.confirm();
    return entryId;
  }

  /** Stop accepting publishes and wait (up to `timeoutMs`) for the ones in flight to settle. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    const all = Promise.allSettled([...this.pending]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    if (this.pending.size > 0)
      this.logger.warn({ pending: this.pending.size }, "closing with publishes unsettled");
  }
}
