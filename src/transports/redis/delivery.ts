/** One delivery of a stream entry: ack, retry or dead-letter it, exactly once. */
import type { RedisClient } from "./client.js";
import type { Logger } from "pino";
import { deadLetterHeaders, type DeadLetterReason, type Message } from "../../core/message.js";
import type { Delivery, RetryOptions } from "../../core/transport.js";
import type { AckBatcher } from "./ack-batcher.js";
import { deadLetterFields, withAttempt, type DecodedEntry } from "./fields.js";
import type { PartitionKeys } from "./naming.js";
import { RedisScriptError, scripts, ScriptFailure } from "./scripts.js";
import { randomUUID } from "node:crypto";

/** What settling twice (or after the entry was given back) returns: nothing to wait for. */
const SETTLED: Promise<void> = Promise.resolve();

/** Where a delivery came from and who holds it. */
export interface DeliverySource {
  readonly client: RedisClient;
  readonly acks: AckBatcher;
  readonly group: string;
  readonly consumer: string;
  readonly keys: PartitionKeys;
  /** The stream the entry was read from: `keys.stream` or `keys.retry`. */
  readonly stream: string;
  readonly deadLetterMaxLen: number;
  readonly logger: Logger;
}

/** A delivery backed by a pending stream entry. */
export class RedisDelivery implements Delivery {
  private done = false;
  /** Set when the subscription gave the entry back (close timeout, abort): settling is then ignored. */
  abandoned = false;

  constructor(
    readonly message: Message,
    private readonly entry: DecodedEntry,
    private readonly source: DeliverySource,
  ) {}

  get group(): string {
    return this.source.group;
  }
  get settled(): boolean {
    return this.done;
  }
  get entryId(): string {
    return this.entry.entryId;
  }

  private get fromRetry(): boolean {
    return this.source.stream === this.source.keys.retry;
  }

  private take(): boolean {
    if (this.done || this.abandoned) return false;
    this.done = true;
    return true;
  }

  ack(): Promise<void> {
    if (!this.take()) return SETTLED;
    // The batch's promise itself (shared by every ack in it): no promise of its own per message.
    return this.source.acks.ack(this.source.stream, this.entry.entryId, this.fromRetry);
  }

  async retry(options: RetryOptions = {}): Promise<void> {
    if (!this.take()) return;
    const attempt = this.message.attempt + (options.countAttempt === false ? 0 : 1);
    const { client, keys, group, consumer, stream } = this.source;
    await this.owned(() =>
      scripts.retryEntry.run(
        client,
        [stream, keys.retry, keys.delayed],
        [
          group,
          consumer,
          this.entry.entryId,
          Math.max(0, Math.round(options.delayMs ?? 0)),
          randomUUID(),
          this.fromRetry ? "1" : "0",
          ...withAttempt(this.entry, attempt, options.headers),
        ],
      ),
    );
  }

  async deadLetter(reason: DeadLetterReason): Promise<void> {
    if (!this.take()) return;
    const { client, keys, group, consumer, stream } = this.source;
    const headers = deadLetterHeaders(this.message, group, reason);
    await this.owned(() =>
      scripts.deadLetterEntry.run(
        client,
        [stream, keys.dlq],
        [
          group,
          consumer,
          this.entry.entryId,
          this.fromRetry ? "1" : "0",
          this.source.deadLetterMaxLen,
          ...deadLetterFields(this.message, headers, group, this.entry.entryId),
        ],
      ),
    );
  }

  /** Run a settle script; NOT_OWNER means another consumer holds the entry now, so ours is moot. */
  private async owned(run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (err instanceof RedisScriptError && err.failure === ScriptFailure.NotOwner) {
        this.source.logger.warn(
          { stream: this.source.stream, entry: this.entry.entryId, consumer: this.source.consumer },
          "entry was reclaimed by another consumer before it was settled here; this settlement is dropped",
        );
        return;
      }
      throw err;
    }
  }
}
