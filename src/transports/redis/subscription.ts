/**
 * A consumer of one group: a {@link ReadLoop} reads entries on its own connection into the
 * {@link HeldEntries}; up to `prefetch` handlers run at once; {@link Housekeeping} reclaims idle entries
 * of dead consumers and moves due delayed retries; partitions are owned through a lease
 * (`partitions.ts`); and close stops gracefully, giving back what it will not finish.
 */
import { randomBytes } from "node:crypto";
import { isCluster, type RedisClient } from "./client.js";
import type { Logger } from "pino";
import { summarizeError } from "../../core/errors.js";
import { sleep } from "../../core/sleep.js";
import type { DeliveryHandler, Subscription } from "../../core/transport.js";
import { drainWithin } from "../drain.js";
import { AckBatcher } from "./ack-batcher.js";
import { RedisDelivery, type DeliverySource } from "./delivery.js";
import { decodeEntry, type FieldMapping, type RawEntry } from "./fields.js";
import { HeldEntries, type HandlerSlot, type HeldItem } from "./held-entries.js";
import { Housekeeping, type HousekeepingHost } from "./housekeeping.js";
import type { PartitionKeys, RedisKeyNames } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import { PartitionCoordinator, SinglePartition, type PartitionOwnership } from "./partitions.js";
import { PartitionReaders } from "./partition-readers.js";
import { ReadLoop, type Reader, type ReadLoopHost } from "./read-loop.js";
import { deliveryCounts } from "./reclaim.js";
import { scripts } from "./scripts.js";
import type { RedisTransportStats } from "./stats.js";

/** How soon a partition takeover tries again to claim what the previous owner left pending, ms. */
const TAKE_OVER_RETRY_MS = 25;

/** The least time a close gives Redis to take back entries and acks, whatever its `timeoutMs`. */
const MIN_LEAVE_MS = 1_000;

/** What a subscription needs from its transport. */
export interface SubscriptionContext {
  readonly command: RedisClient;
  readonly options: ResolvedRedisOptions;
  readonly names: RedisKeyNames;
  readonly logger: Logger;
  readonly stats: RedisTransportStats;
  createBlockingClient(consumer: string): RedisClient;
  /** Declare the group again (after NOGROUP: the server lost it). */
  redeclare(topic: string, group: string): Promise<void>;
}

/** Live consumer of a group on a topic. */
export class RedisSubscription implements Subscription {
  readonly consumer: string;
  private readonly acks: AckBatcher;
  private readonly partitions: number;
  /** The topic's field layout for entries another program wrote (`topics.<topic>.fields`). */
  private readonly mapping: FieldMapping | undefined;
  private readonly ownership: PartitionOwnership;
  private readonly held: HeldEntries;
  private readonly reader: Reader;
  private readonly housekeeping: Housekeeping;
  private paused = false;
  private closing = false;
  /** See {@link sourceOf}; at most two per owned partition (its stream and its retry stream). */
  private readonly sources = new Map<string, DeliverySource>();
  private readonly logger: Logger;

  constructor(
    readonly topic: string,
    readonly group: string,
    private readonly handler: DeliveryHandler,
    prefetch: number,
    private readonly ctx: SubscriptionContext,
  ) {
    this.consumer = `${ctx.options.consumerNamePrefix}-${randomBytes(4).toString("hex")}`;
    this.logger = ctx.logger.child({ topic, group, consumer: this.consumer });
    const settings = Object.hasOwn(ctx.options.topics, topic) ? ctx.options.topics[topic] : undefined;
    this.partitions = settings?.partitions ?? 1;
    this.mapping = settings?.fields;
    this.held = new HeldEntries(prefetch);
    this.acks = new AckBatcher(ctx.command, group);
    const host = this.host();
    // On a cluster, partitions sit on different slots: one read loop each (see partition-readers.ts).
    this.reader = !isCluster(ctx.command)
      ? new ReadLoop(ctx.createBlockingClient(this.consumer), host)
      : this.partitions > 1
        ? new PartitionReaders(host, () => ctx.createBlockingClient(this.consumer))
        : new ReadLoop(ctx.createBlockingClient(this.consumer), host, { unblock: false, loops: () => 1 });
    this.housekeeping = new Housekeeping(host);
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
              changed: () => this.reader.interrupt(),
              drained: (p) => this.drained(p),
              acquired: (p) => void this.claimPartition(p),
            },
            this.logger,
          )
        : new SinglePartition();
  }

  /** The view of this subscription its read loop and housekeeping work with. */
  private host(): ReadLoopHost & HousekeepingHost {
    return {
      group: this.group,
      consumer: this.consumer,
      command: this.ctx.command,
      options: this.ctx.options,
      logger: this.logger,
      stats: this.ctx.stats,
      held: this.held,
      isPaused: () => this.paused,
      isClosing: () => this.closing,
      ownedKeys: () => this.readKeys(),
      owns: (partition) => this.ownership.owned.has(partition),
      enqueue: (item) => this.enqueue(item),
      enqueueWithCounts: (entries, stream, keys) => this.enqueueWithCounts(entries, stream, keys),
      redeclare: () => this.ctx.redeclare(this.topic, this.group),
    };
  }

  /** Connect, take partitions, start reading and the housekeeping timers. */
  async start(): Promise<void> {
    await this.reader.connect();
    await this.ownership.start();
    this.reader.begin();
    this.housekeeping.start();
  }

  /** Partitions owned but not read yet: what their previous owner left pending is being taken over first. */
  private readonly takingOver = new Set<number>();

  /** The partitions to read: owned, and not {@link takingOver} (that would let new entries overtake old ones). */
  private readKeys(): PartitionKeys[] {
    return this.ownedKeys().filter((k) => !this.takingOver.has(k.partition));
  }

  private ownedKeys(): PartitionKeys[] {
    return [...this.ownership.owned]
      .sort((a, b) => a - b)
      .map((p) => this.ctx.names.partition(this.topic, this.group, p, this.partitions));
  }

  /** Buffer an entry reserved with {@link HeldEntries.reserve}. */
  private enqueue(item: HeldItem): void {
    this.held.buffer(item);
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
      for (const e of entries) this.held.unreserve(stream, e[0].toString());
      throw err;
    }
    for (const raw of entries) {
      const id = raw[0].toString();
      this.enqueue({ raw, id, stream, keys, deliveryCount: counts.get(id) ?? 2 });
    }
  }

  /** Start handlers for buffered entries while there is room. */
  private pump(): void {
    while (
      !this.closing &&
      !this.paused &&
      this.held.buffered.length > 0 &&
      this.held.inFlight < this.held.prefetch
    ) {
      this.held.startNext(this.runHandler);
    }
  }

  /** Handle one entry, then free its slot and let the next ones in (one function for every entry). */
  private readonly runHandler = async (item: HeldItem, slot: HandlerSlot): Promise<void> => {
    try {
      await this.handle(item, slot);
    } finally {
      this.held.finish(slot);
      this.pump();
      this.reader.wake();
    }
  };

  /** Where deliveries read from `stream` come from: one object per stream, shared by its deliveries. */
  private sourceOf(stream: string, keys: PartitionKeys): DeliverySource {
    let source = this.sources.get(stream);
    // A stream's keys never change (its topic, group and partition name them), so the first ones hold.
    if (source === undefined) {
      source = {
        client: this.ctx.command,
        acks: this.acks,
        group: this.group,
        consumer: this.consumer,
        keys,
        stream,
        deadLetterMaxLen: this.ctx.options.deadLetterMaxLen,
        logger: this.logger,
      };
      this.sources.set(stream, source);
    }
    return source;
  }

  private async handle(item: HeldItem, slot: HandlerSlot): Promise<void> {
    const source = this.sourceOf(item.stream, item.keys);
    const id = item.id;
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

  private async drained(partition: number): Promise<void> {
    // Let a blocked read that may return this partition's entries finish first.
    this.reader.interrupt();
    await this.reader.settled();
    this.held.dropBuffered((i) => i.keys.partition === partition);
    const running = [...this.held.running()].filter((s) => s.partition === partition).map((s) => s.done);
    await Promise.allSettled(running);
    await this.acks.drain();
  }

  /** A partition just became ours: whatever its previous owner left pending is ours now. */
  /**
   * A partition just taken: claim every entry another consumer left pending on it (a graceful leaver's
   * unstarted ones, a dead one's) before reading its new entries, so a key's messages keep their order across
   * the handover. Claims only as far as free capacity goes, so it retries until nothing is left elsewhere.
   */
  private async claimPartition(p: number): Promise<void> {
    const keys = this.ctx.names.partition(this.topic, this.group, p, this.partitions);
    this.takingOver.add(p);
    try {
      while (this.ownership.owned.has(p) && !this.closing) {
        await this.housekeeping.claim(keys, 0);
        if (!(await this.pendingElsewhere(keys))) break;
        await sleep(TAKE_OVER_RETRY_MS);
      }
    } catch (err) {
      this.logger.warn(
        { partition: p, err: summarizeError(err, 2) },
        "claiming a new partition's entries failed",
      );
    } finally {
      this.takingOver.delete(p);
      this.reader.interrupt();
    }
  }

  /** Whether another consumer of the group still has entries of this partition pending. */
  private async pendingElsewhere(keys: PartitionKeys): Promise<boolean> {
    for (const stream of [keys.stream, keys.retry]) {
      const summary = (await this.ctx.command.xpending(stream, this.group).catch(() => undefined)) as
        [number, string | null, string | null, [string, string][] | null] | undefined;
      const consumers = summary?.[3] ?? [];
      if (consumers.some(([name, count]) => name !== this.consumer && Number(count) > 0)) return true;
    }
    return false;
  }

  async pause(): Promise<void> {
    this.paused = true;
    this.reader.interrupt();
  }

  async resume(): Promise<void> {
    this.paused = false;
    this.pump();
    this.reader.wake();
  }

  /**
   * Graceful stop; see {@link Subscription.close}. The Redis-side steps after the handlers (giving
   * entries back, the last acks, leaving partitions and the consumer list) are bounded too: with the
   * server unreachable their commands would wait in the offline queue for good, and what they leave
   * undone stays pending for a reclaim.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.reader.ended();
    this.closing = true;
    this.housekeeping.stop();
    this.reader.stop();
    this.reader.interrupt();
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (
      !(await drainWithin(
        [...this.held.running()].map((s) => s.done),
        timeoutMs,
      ))
    )
      this.logger.warn(
        { running: this.held.inFlight },
        "closing with handlers still running; their entries are given back",
      );
    if (!(await drainWithin([this.leave()], Math.max(timeoutMs, MIN_LEAVE_MS)))) {
      this.logger.warn("Redis did not answer while closing; what is left pending is reclaimed later");
      // Its leases expire by themselves; stop its timer now.
      if (this.ownership instanceof PartitionCoordinator) this.ownership.abandon();
    }
    this.reader.disconnect();
  }

  /** The Redis side of a close: give back, flush acks, stop reading, leave partitions and the group. */
  private async leave(): Promise<void> {
    await this.giveBack();
    await this.acks.drain();
    // A blocked read returns within BLOCK (it was also cut short with CLIENT UNBLOCK).
    await drainWithin([this.reader.ended()], this.ctx.options.blockMs + 500);
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
  }

  /**
   * Hand back what we hold but will not finish (close timeout): mark the entries long idle so the
   * next reclaim round of any other consumer takes them at once, without waiting claimIdleMs.
   */
  private async giveBack(): Promise<void> {
    for (const slot of this.held.running()) if (slot.delivery) slot.delivery.abandoned = true;
    const back = this.held.byStream();
    this.held.dropBuffered(() => true);
    const idle = Math.max(this.ctx.options.claimIdleMs * 10, 86_400_000);
    for (const [stream, ids] of back) {
      const client = this.ctx.command;
      // Narrowed per client type: TypeScript cannot pick an XCLAIM overload on the union.
      await (
        isCluster(client)
          ? client.xclaim(stream, this.group, this.consumer, 0, ...ids, "IDLE", idle, "JUSTID")
          : client.xclaim(stream, this.group, this.consumer, 0, ...ids, "IDLE", idle, "JUSTID")
      ).catch((err: unknown) => this.logger.warn({ err: String(err) }, "giving entries back failed"));
    }
  }

  /** Drop everything at once, as a crash would: nothing acked, the entries stay pending and are reclaimed. */
  abort(): void {
    this.closing = true;
    this.housekeeping.stop();
    for (const slot of this.held.running()) if (slot.delivery) slot.delivery.abandoned = true;
    this.held.dropBuffered(() => true);
    if (this.ownership instanceof PartitionCoordinator) this.ownership.abandon();
    this.reader.disconnect();
    this.reader.stop();
  }
}
