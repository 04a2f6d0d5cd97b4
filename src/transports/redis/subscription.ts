/**
 * A consumer of one group: reads with XREADGROUP (BLOCK, COUNT) on its own connection, first its own
 * pending entries (ID 0, after every start and reconnect), then new ones (`>`); runs up to `prefetch`
 * handlers at once; reclaims idle entries of dead consumers; moves due delayed retries; and stops
 * gracefully.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { summarizeError } from "../../core/errors.js";
import { sleep } from "../../core/sleep.js";
import type { DeliveryHandler, Subscription } from "../../core/transport.js";
import { AckBatcher } from "./ack-batcher.js";
import { RedisDelivery, type DeliverySource } from "./delivery.js";
import { decodeEntry, type FieldMapping, type RawEntry } from "./fields.js";
import type { PartitionKeys, RedisKeyNames } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import { PartitionCoordinator, SinglePartition, type PartitionOwnership } from "./partitions.js";
import { firstReady } from "./connection.js";
import { deliveryCounts, reclaimIdleEntries, removeIdleConsumers } from "./reclaim.js";
import { scripts } from "./scripts.js";
import type { RedisTransportStats } from "./stats.js";

/** What a subscription needs from its transport. */
export interface SubscriptionContext {
  readonly command: Redis;
  readonly options: ResolvedRedisOptions;
  readonly names: RedisKeyNames;
  readonly logger: Logger;
  readonly stats: RedisTransportStats;
  createBlockingClient(consumer: string): Redis;
  /** Declare the group again (after NOGROUP: the server lost it). */
  redeclare(topic: string, group: string): Promise<void>;
}

/** One running handler; keyed in `inflight` by stream and entry id. */
interface Slot {
  delivery: RedisDelivery | undefined;
  stream: string;
  id: string;
  partition: number;
  done: Promise<void>;
}

interface Item {
  raw: RawEntry;
  stream: string;
  keys: PartitionKeys;
  deliveryCount: number;
}

/** Live consumer of a group on a topic. */
export class RedisSubscription implements Subscription {
  readonly consumer: string;
  private readonly blocking: Redis;
  private blockingId: number | undefined;
  private readonly acks: AckBatcher;
  private readonly partitions: number;
  /** The topic's field layout for entries another program wrote (`topics.<topic>.fields`). */
  private readonly mapping: FieldMapping | undefined;
  private readonly ownership: PartitionOwnership;
  private readonly inflight = new Map<string, Slot>();
  /** Keys (stream NUL id) of every buffered or in-flight entry. */
  private readonly heldKeys = new Set<string>();
  private buffered: Item[] = [];
  private paused = false;
  private closing = false;
  private drainPending = true;
  private wakeUp: (() => void) | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  /** The blocking read in progress (settles, never rejects). */
  private reading: Promise<void> | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private lastCleanup = 0;
  private readonly logger: Logger;

  constructor(
    readonly topic: string,
    readonly group: string,
    private readonly handler: DeliveryHandler,
    private readonly prefetch: number,
    private readonly ctx: SubscriptionContext,
  ) {
    this.consumer = `${ctx.options.consumerNamePrefix}-${randomBytes(4).toString("hex")}`;
    this.logger = ctx.logger.child({ topic, group, consumer: this.consumer });
    const settings = Object.hasOwn(ctx.options.topics, topic) ? ctx.options.topics[topic] : undefined;
    this.partitions = settings?.partitions ?? 1;
    this.mapping = settings?.fields;
    this.acks = new AckBatcher(ctx.command, group);
    this.blocking = ctx.createBlockingClient(this.consumer);
    this.blocking.on("ready", () => {
      // Replies lost in a disconnect left entries pending for us that `>` never returns: re-read them.
      this.drainPending = true;
      void this.blocking
        .client("ID")
        .then((id) => (this.blockingId = Number(id)))
        .catch(() => undefined);
    });
    this.ownership =
      this.partitions > 1
        ? new PartitionCoordinator(
            ctx.command,
            ctx.names,
            topic,
            group,
            this.consumer,
            this.partitions,
            ctx.options.partitionLeaseMs,
            {
              changed: () => this.interrupt(),
              drained: (p) => this.drained(p),
              acquired: (p) => void this.claimPartition(p),
            },
            this.logger,
          )
        : new SinglePartition();
  }

  /** Connect, take partitions, start reading and the housekeeping timers. */
  async start(): Promise<void> {
    // A connection cut while this reader connects costs a retry, not the subscription.
    await firstReady(this.blocking, this.ctx.options.initialConnectTimeoutMs);
    this.blockingId = Number(await this.blocking.client("ID"));
    await this.ownership.start();
    this.loop = this.run();
    // Look for abandoned entries at once: a restarted service should not wait a claim interval.
    void this.housekeeping().catch((err: unknown) =>
      this.logger.warn({ err: summarizeError(err, 2) }, "first reclaim round failed"),
    );
    const o = this.ctx.options;
    this.every(o.claimIntervalMs, () => this.housekeeping());
    this.every(o.delayPollMs, () => this.promoteDue());
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const tick = (): void => {
      const t = setTimeout(() => {
        if (this.closing) return;
        fn()
          .catch((err: unknown) => this.logger.warn({ err: summarizeError(err) }, "background step failed"))
          .finally(() => {
            const i = this.timers.indexOf(t);
            if (i >= 0) this.timers.splice(i, 1);
            tick();
          });
      }, ms);
      this.timers.push(t);
    };
    tick();
  }

  private ownedKeys(): PartitionKeys[] {
    return [...this.ownership.owned]
      .sort((a, b) => a - b)
      .map((p) => this.ctx.names.partition(this.topic, this.group, p, this.partitions));
  }

  private get capacity(): number {
    return this.prefetch - this.inflight.size - this.buffered.length;
  }

  /** Sleep until woken (capacity freed, resumed, ownership changed, closing) or blockMs passed. */
  private wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.waitTimer = setTimeout(() => this.wake(), this.ctx.options.blockMs);
      this.waitTimer.unref();
    });
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    clearTimeout(this.waitTimer);
    w?.();
  }

  /** Wake the loop and cut a blocking read short (ownership changed, closing). */
  private interrupt(): void {
    this.wake();
    if (this.blockingId !== undefined) {
      void this.ctx.command.client("UNBLOCK", this.blockingId).catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closing) {
      try {
        // Read in batches: with work in hand, wait until at least half the prefetch is free, so a
        // busy consumer does not turn into one XREADGROUP round trip per message.
        const busy = this.inflight.size + this.buffered.length > 0;
        if (this.paused || this.capacity <= 0 || (busy && this.capacity < Math.ceil(this.prefetch / 2))) {
          await this.wait();
          continue;
        }
        const owned = this.ownedKeys();
        if (owned.length === 0) {
          await this.wait();
          continue;
        }
        if (this.drainPending) {
          this.drainPending = false;
          await this.readOwnPending(owned);
          continue;
        }
        const streams = owned.flatMap((k) => [k.stream, k.retry]);
        const byStream = new Map(owned.flatMap((k) => [[k.stream, k] as const, [k.retry, k] as const]));
        const read = this.blocking.xreadgroupBuffer(
          "GROUP",
          this.group,
          this.consumer,
          "COUNT",
          this.capacity,
          "BLOCK",
          this.ctx.options.blockMs,
          "STREAMS",
          ...streams,
          ...streams.map(() => ">"),
        ) as Promise<[Buffer, RawEntry[]][] | null>;
        this.reading = read.then(
          () => undefined,
          () => undefined,
        );
        const reply = await read;
        failures = 0;
        for (const [streamBuf, entries] of reply ?? []) {
          const stream = streamBuf.toString();
          const keys = byStream.get(stream)!;
          // A partition handed over while this read was blocked: leave its entries pending for the
          // new owner (it claims them on taking the partition) instead of handling them here.
          if (!this.ownership.owned.has(keys.partition)) continue;
          for (const raw of entries) {
            if (this.reserve(stream, raw[0].toString()))
              this.enqueue({ raw, stream, keys, deliveryCount: 1 });
          }
        }
      } catch (err) {
        if (this.closing) break;
        failures++;
        const message = err instanceof Error ? err.message : String(err);
        this.logger.warn({ err: message, failures }, "read failed; retrying");
        if (message.startsWith("NOGROUP")) {
          await this.ctx.redeclare(this.topic, this.group).catch(() => undefined);
        }
        this.drainPending = true;
        await sleep(Math.min(this.ctx.options.reconnect.maxMs, 50 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Re-read this consumer's own pending entries (ID 0) that are not being handled right now. */
  private async readOwnPending(owned: PartitionKeys[]): Promise<void> {
    for (const keys of owned) {
      for (const stream of [keys.stream, keys.retry]) {
        let cursor = "0";
        for (;;) {
          const reply = (await this.ctx.command.xreadgroupBuffer(
            "GROUP",
            this.group,
            this.consumer,
            "COUNT",
            200,
            "STREAMS",
            stream,
            cursor,
          )) as [Buffer, RawEntry[]][] | null;
          // Reserved as the reply arrives (not after the XPENDING below): an entry this consumer is
          // handling, or handled and acked meanwhile, must not be delivered a second time.
          const entries = (reply?.[0]?.[1] ?? []).filter((e) => this.reserve(stream, e[0].toString()));
          const last = reply?.[0]?.[1]?.at(-1);
          if (!last) break;
          cursor = last[0].toString();
          await this.enqueueWithCounts(entries, stream, keys);
        }
      }
    }
  }

  /**
   * Mark an entry as held here (buffered, being handled, or on its way to the buffer); false when it
   * already is, so a re-read or a reclaim never delivers twice what this consumer has in hand.
   */
  private reserve(stream: string, id: string): boolean {
    const key = `${stream}\u0000${id}`;
    if (this.heldKeys.has(key)) return false;
    this.heldKeys.add(key);
    return true;
  }

  /** Buffer an entry reserved with {@link reserve}. */
  private enqueue(item: Item): void {
    this.buffered.push(item);
    this.pump();
  }

  /** Buffer reserved entries of an ID-0 re-read or a reclaim, with their delivery counts (XPENDING). */
  private async enqueueWithCounts(entries: RawEntry[], stream: string, keys: PartitionKeys): Promise<void> {
    if (entries.length === 0) return;
    let counts: Map<string, number>;
    try {
      counts = await deliveryCounts(
        this.ctx.command,
        stream,
        this.group,
        this.consumer,
        entries.map((e) => e[0].toString()),
      );
    } catch (err) {
      // Not handed out: they stay pending for us, for the next re-read or reclaim.
      for (const e of entries) this.heldKeys.delete(`${stream}\u0000${e[0].toString()}`);
      throw err;
    }
    for (const raw of entries) {
      this.enqueue({ raw, stream, keys, deliveryCount: counts.get(raw[0].toString()) ?? 2 });
    }
  }

  private pump(): void {
    while (!this.closing && !this.paused && this.buffered.length > 0 && this.inflight.size < this.prefetch) {
      const item = this.buffered.shift()!;
      const key = `${item.stream}\u0000${item.raw[0].toString()}`;
      const slot: Slot = {
        delivery: undefined,
        stream: item.stream,
        id: item.raw[0].toString(),
        partition: item.keys.partition,
        done: Promise.resolve(),
      };
      this.inflight.set(key, slot);
      slot.done = this.handle(item, slot).finally(() => {
        this.inflight.delete(key);
        this.heldKeys.delete(key);
        this.pump();
        this.wake();
      });
    }
  }

  private async handle(item: Item, slot: { delivery: RedisDelivery | undefined }): Promise<void> {
    const source: DeliverySource = {
      client: this.ctx.command,
      acks: this.acks,
      group: this.group,
      consumer: this.consumer,
      keys: item.keys,
      stream: item.stream,
      deadLetterMaxLen: this.ctx.options.deadLetterMaxLen,
      logger: this.logger,
    };
    const id = item.raw[0].toString();
    const decoded = decodeEntry(item.raw, this.mapping);
    try {
      if (!decoded) {
        // Deleted or trimmed while pending: nothing to deliver; take it out of the PEL and count it.
        await this.acks.ack(item.stream, id, false);
        this.ctx.stats.deletedWhilePending++;
        this.logger.warn(
          { stream: item.stream, entry: id },
          "pending entry was deleted from the stream; removed from the PEL",
        );
        return;
      }
      const attempt = decoded.storedAttempt + Math.max(0, item.deliveryCount - 1);
      const delivery = new RedisDelivery(decoded.toMessage(this.topic, attempt), decoded, source);
      slot.delivery = delivery;
      if (attempt > this.ctx.options.maxDeliveries) {
        await delivery.deadLetter({
          reason: "max-deliveries",
          details: {
            attempt,
            deliveryCount: item.deliveryCount,
            maxDeliveries: this.ctx.options.maxDeliveries,
          },
        });
        this.ctx.stats.deadLettered++;
        return;
      }
      try {
        await this.handler(delivery);
      } catch (err) {
        this.logger.warn(
          { entry: id, err: summarizeError(err, 3) },
          "handler threw without settling; retrying",
        );
      }
      if (!delivery.settled && !delivery.abandoned) await delivery.retry();
    } catch (err) {
      // Settling failed (connection lost): the entry stays pending for us and is re-read or reclaimed.
      this.logger.warn(
        { entry: id, err: summarizeError(err, 3) },
        "settling failed; the entry stays pending",
      );
    }
  }

  /** Forget buffered items (they stay pending in Redis, for a reclaim or the next owner). */
  private dropBuffered(which: (item: Item) => boolean): void {
    const keep: Item[] = [];
    for (const item of this.buffered) {
      if (which(item)) this.heldKeys.delete(`${item.stream}\u0000${item.raw[0].toString()}`);
      else keep.push(item);
    }
    this.buffered = keep;
  }

  private async drained(partition: number): Promise<void> {
    // Let a blocked read that may return this partition's entries finish first.
    this.interrupt();
    await this.reading;
    this.dropBuffered((i) => i.keys.partition === partition);
    const running = [...this.inflight.values()].filter((s) => s.partition === partition).map((s) => s.done);
    await Promise.allSettled(running);
    await this.acks.drain();
  }

  /** A partition just became ours: whatever its previous owner left pending is ours now. */
  private async claimPartition(p: number): Promise<void> {
    const keys = this.ctx.names.partition(this.topic, this.group, p, this.partitions);
    await this.claim(keys, 0).catch((err: unknown) =>
      this.logger.warn(
        { partition: p, err: summarizeError(err, 2) },
        "claiming a new partition's entries failed",
      ),
    );
  }

  private async claim(keys: PartitionKeys, minIdleMs: number): Promise<void> {
    for (const stream of [keys.stream, keys.retry]) {
      let cursor = "0-0";
      do {
        const room = this.capacity;
        if (room <= 0 || this.closing || this.paused) return;
        const res = await reclaimIdleEntries(
          this.ctx.command,
          stream,
          this.group,
          this.consumer,
          minIdleMs,
          room,
          cursor,
        );
        cursor = res.cursor;
        if (res.deleted.length > 0) {
          this.ctx.stats.deletedWhilePending += res.deleted.length;
          this.logger.warn(
            { stream, entries: res.deleted },
            "pending entries deleted from the stream; removed from the PEL",
          );
        }
        const live = res.entries.filter((e) => e[1] !== null);
        if (live.length === 0) continue;
        this.ctx.stats.reclaimed += live.length;
        this.logger.info({ stream, count: live.length }, "reclaimed idle pending entries");
        // Entries this consumer already holds (a slow handler's) are not delivered again.
        await this.enqueueWithCounts(
          live.filter((e) => this.reserve(stream, e[0].toString())),
          stream,
          keys,
        );
      } while (cursor !== "0-0");
    }
  }

  private async housekeeping(): Promise<void> {
    if (this.paused) return;
    const o = this.ctx.options;
    for (const keys of this.ownedKeys()) await this.claim(keys, o.claimIdleMs);
    // Consumer cleanup is rarer: at most every consumerIdleMs / 2 (and at most once a minute).
    const now = Date.now();
    if (now - this.lastCleanup < Math.min(60_000, o.consumerIdleMs / 2)) return;
    this.lastCleanup = now;
    // Never below a few BLOCK periods: a live consumer is "idle" while it waits in XREADGROUP.
    const idle = Math.max(o.consumerIdleMs, o.blockMs * 3);
    for (const keys of this.ownedKeys()) {
      for (const stream of [keys.stream, keys.retry]) {
        const removed = await removeIdleConsumers(this.ctx.command, stream, this.group, idle, this.consumer);
        if (removed.length > 0) {
          this.ctx.stats.removedConsumers += removed.length;
          this.logger.info({ stream, removed }, "removed idle consumers with nothing pending");
        }
      }
    }
  }

  private async promoteDue(): Promise<void> {
    for (const keys of this.ownedKeys()) {
      await scripts.promoteDue.run(this.ctx.command, [keys.delayed, keys.retry], [100]);
    }
  }

  async pause(): Promise<void> {
    this.paused = true;
    this.interrupt();
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.pump();
    this.wake();
  }

  /** Graceful stop; see {@link Subscription.close}. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.loop?.then(() => undefined);
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    this.interrupt();
    const timeoutMs = options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight.values()].map((s) => s.done)),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
    await this.giveBack();
    await this.acks.drain();
    await Promise.race([this.loop, sleep(this.ctx.options.blockMs + 500)]);
    await this.ownership
      .stop()
      .catch((err: unknown) => this.logger.warn({ err: String(err) }, "leaving partitions failed"));
    // Leave the group's consumer list tidy; only removed when nothing is pending for us.
    for (const keys of this.ownedKeys().length
      ? this.ownedKeys()
      : this.ctx.names.group(this.topic, this.group, this.partitions)) {
      for (const stream of [keys.stream, keys.retry]) {
        await scripts.removeIdleConsumer
          .run(this.ctx.command, [stream], [this.group, this.consumer, -1])
          .catch(() => undefined);
      }
    }
    this.blocking.disconnect();
  }

  /**
   * Hand back what we hold but will not finish (close timeout): mark the entries long idle so the
   * next reclaim round of any other consumer takes them at once, without waiting claimIdleMs.
   */
  private async giveBack(): Promise<void> {
    const back = new Map<string, string[]>();
    for (const slot of this.inflight.values()) {
      if (slot.delivery) slot.delivery.abandoned = true;
      back.set(slot.stream, [...(back.get(slot.stream) ?? []), slot.id]);
    }
    for (const item of this.buffered)
      back.set(item.stream, [...(back.get(item.stream) ?? []), item.raw[0].toString()]);
    this.dropBuffered(() => true);
    const idle = Math.max(this.ctx.options.claimIdleMs * 10, 86_400_000);
    for (const [stream, ids] of back) {
      await this.ctx.command
        .xclaim(stream, this.group, this.consumer, 0, ...ids, "IDLE", idle, "JUSTID")
        .catch((err: unknown) => this.logger.warn({ err: String(err) }, "giving entries back failed"));
    }
  }

  /** Drop everything at once, as a crash would: nothing acked, the entries stay pending and are reclaimed. */
  abort(): void {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    for (const slot of this.inflight.values()) if (slot.delivery) slot.delivery.abandoned = true;
    this.dropBuffered(() => true);
    if (this.ownership instanceof PartitionCoordinator) this.ownership.abandon();
    this.blocking.disconnect();
    this.wake();
  }
}
