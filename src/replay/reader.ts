/**
 * The replay reader: hands a source's messages over in batches, in order, with back-pressure (the next batch
 * is read only when the caller asks for it) and keeps its checkpoint. A batch counts as handed over when the
 * caller asks for the next one (or its `run` handler resolved); only then is its cursor saved and, on
 * RabbitMQ, are its deliveries acknowledged. So after a crash a reader resumes after the last saved batch
 * and repeats at most the batch it had in hand.
 */
import { ClosedError } from "../core/errors.js";
import type { ReplayCheckpoint } from "./options.js";
import type { ReplayBatch, ReplaySource } from "./types.js";

/** A reader on one topic. Iterate it (`for await (const batch of reader)`) or `run` a handler; then `close`. */
export class ReplayReader implements AsyncIterable<ReplayBatch> {
  private inHand: ReplayBatch | undefined;
  private savedCursor: string | undefined;
  private ended = false;
  private closed = false;
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: ReplaySource,
    private readonly batchSize: number,
    private readonly checkpoint: ReplayCheckpoint | undefined,
    /** The cursor the reader resumed after (loaded from the checkpoint), if any. */
    readonly resumedAfter: string | undefined,
  ) {
    this.savedCursor = resumedAfter;
  }

  /** How the topic is read (which stream queue or keys, and how). */
  get method(): string {
    return this.source.method;
  }

  /** The cursor after the last batch handed over (what the checkpoint holds, or would). */
  get cursor(): string | undefined {
    return this.savedCursor;
  }

  /**
   * The next batch, or undefined at the end (`to`, or the end at open time without `follow`). Calling it
   * hands the previous batch over: its checkpoint is saved first. `max` makes this batch smaller than the
   * reader's batch size (a caller that wants exactly N more messages).
   */
  next(max?: number): Promise<ReplayBatch | undefined> {
    // One read at a time, in call order.
    const run = this.reading.then(() => this.read(max));
    this.reading = run.catch(() => undefined);
    return run;
  }

  /**
   * Hand the batch in hand over without reading another: save its checkpoint (unless saving is manual) and
   * release it. For a caller that stops after a batch (a limit reached) and wants it kept.
   */
  commit(): Promise<void> {
    const run = this.reading.then(() => this.handOver());
    this.reading = run.catch(() => undefined);
    return run;
  }

  private async read(max?: number): Promise<ReplayBatch | undefined> {
    if (this.closed) throw new ClosedError("the replay reader is closed");
    await this.handOver();
    if (this.ended) return undefined;
    const size = max === undefined ? this.batchSize : Math.max(1, Math.min(this.batchSize, Math.floor(max)));
    const messages = await this.source.next(size);
    if (messages === undefined) {
      this.ended = true;
      return undefined;
    }
    const cursor = this.source.cursor() ?? "";
    this.inHand = { messages, cursor };
    return this.inHand;
  }

  /** The batch in hand is done with: save its cursor (unless saving is manual), then let the source go on. */
  private async handOver(): Promise<void> {
    const batch = this.inHand;
    if (!batch) return;
    if (this.checkpoint && (this.checkpoint.save ?? "batch") === "batch")
      await this.checkpoint.store.save(this.checkpoint.name, batch.cursor);
    this.savedCursor = batch.cursor;
    this.inHand = undefined;
    await this.source.handedOver();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReplayBatch> {
    for (;;) {
      const batch = await this.next();
      if (!batch) return;
      yield batch;
    }
  }

  /**
   * Call `handler` with each batch until the end (or for ever with `follow`, until `close`); the checkpoint is
   * saved after each batch the handler resolved. A handler that throws stops the run (that batch is not saved).
   * Resolves with the number of messages handled.
   */
  async run(handler: (batch: ReplayBatch) => Promise<void> | void): Promise<number> {
    let count = 0;
    for (;;) {
      let batch: ReplayBatch | undefined;
      try {
        batch = await this.next();
      } catch (err) {
        if (this.closed && err instanceof ClosedError) return count;
        throw err;
      }
      if (!batch) return count;
      await handler(batch);
      count += batch.messages.length;
    }
  }

  /**
   * Stop reading and disconnect. The batch in hand is not saved (it may not be done with): call `next()` once
   * more first, or save `batch.cursor` yourself, to keep it. A pending `next()` (following) ends with `closed`.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}
