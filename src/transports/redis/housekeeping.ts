/**
 * The periodic work of one Redis subscription besides reading: reclaiming entries that dead or stuck
 * consumers left pending (XAUTOCLAIM past `claimIdleMs`, as much as the free capacity takes), removing
 * idle consumers with nothing pending (rarely), and moving due delayed retries onto the retry stream
 * (every `delayPollMs`). Each task runs on a timer of its own that is re-armed only after its run
 * finished; {@link Housekeeping.stop} clears them all.
 *
 * Entries this subscription still holds (a handler runs, or they wait in its buffer) have their idle time
 * reset every `claimIdleMs / 3` and before each reclaim round (`touch-held`, XCLAIM … JUSTID), so a slow
 * handler's entry is never reclaimed from its live consumer — by another consumer or by its own round — and
 * its delivery count is not raised. A hung handler is ended by the Router's handler timeout, not by this.
 */
import type { RedisClient } from "./client.js";
import type { Logger } from "pino";
import { summarizeError } from "../../core/errors.js";
import type { RawEntry } from "./fields.js";
import type { HeldEntries } from "./held-entries.js";
import type { PartitionKeys } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import { reclaimIdleEntries, removeIdleConsumers } from "./reclaim.js";
import { scripts } from "./scripts.js";
import type { RedisTransportStats } from "./stats.js";

/** What housekeeping needs from its subscription. */
export interface HousekeepingHost {
  readonly group: string;
  readonly consumer: string;
  readonly command: RedisClient;
  readonly options: ResolvedRedisOptions;
  readonly logger: Logger;
  readonly stats: RedisTransportStats;
  readonly held: HeldEntries;
  isPaused(): boolean;
  isClosing(): boolean;
  /** Keys of the partitions this consumer owns now. */
  ownedKeys(): PartitionKeys[];
  /** Buffer reserved, reclaimed entries with their delivery counts. */
  enqueueWithCounts(entries: RawEntry[], stream: string, keys: PartitionKeys): Promise<void>;
}

/** Reclaim, consumer cleanup and delayed-retry promotion for one subscription. */
export class Housekeeping {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private lastCleanup = 0;

  constructor(private readonly host: HousekeepingHost) {}

  /** Run a first reclaim round now (a restarted service should not wait an interval), then the timers. */
  start(): void {
    void this.round().catch((err: unknown) =>
      this.host.logger.warn({ err: summarizeError(err, 2) }, "first reclaim round failed"),
    );
    const o = this.host.options;
    this.every(o.claimIntervalMs, () => this.round());
    this.every(Math.max(10, Math.floor(o.claimIdleMs / 3)), () => this.refreshHeld());
    this.every(o.delayPollMs, () => this.promoteDue());
  }

  /** Clear every timer; no task starts after this. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const tick = (): void => {
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopped || this.host.isClosing()) return;
        fn()
          .catch((err: unknown) =>
            this.host.logger.warn({ err: summarizeError(err) }, "background step failed"),
          )
          .finally(tick);
      }, ms);
      this.timers.add(t);
    };
    tick();
  }

  /**
   * Claim entries of `keys`' streams idle for at least `minIdleMs` (0: all of them, for a partition just
   * taken over), as many as the subscription has room for.
   */
  async claim(keys: PartitionKeys, minIdleMs: number): Promise<void> {
    const host = this.host;
    for (const stream of [keys.stream, keys.retry]) {
      let cursor = "0-0";
      do {
        const room = host.held.capacity;
        if (room <= 0 || host.isClosing() || host.isPaused()) return;
        const res = await reclaimIdleEntries(
          host.command,
          stream,
          host.group,
          host.consumer,
          minIdleMs,
          room,
          cursor,
        );
        cursor = res.cursor;
        if (res.deleted.length > 0) {
          host.stats.deletedWhilePending += res.deleted.length;
          host.logger.warn(
            { stream, entries: res.deleted },
            "pending entries deleted from the stream; removed from the PEL",
          );
        }
        const live = res.entries.filter((e) => e[1] !== null);
        if (live.length === 0) continue;
        host.stats.reclaimed += live.length;
        host.logger.info({ stream, count: live.length }, "reclaimed idle pending entries");
        // Entries this consumer already holds (a slow handler's) are not delivered again.
        await host.enqueueWithCounts(
          live.filter((e) => host.held.reserve(stream, e[0].toString())),
          stream,
          keys,
        );
      } while (cursor !== "0-0");
    }
  }

  /** Reset the idle time of every entry this subscription holds (see the module comment). */
  private async refreshHeld(): Promise<void> {
    const host = this.host;
    if (host.held.size === 0) return;
    for (const [stream, ids] of host.held.byStream()) {
      const n = await scripts.touchHeld.run(host.command, [stream], [host.group, host.consumer, ...ids]);
      host.stats.refreshedHeld += Number(n);
    }
  }

  /** One round: reclaim idle entries; now and then remove idle consumers with nothing pending. */
  private async round(): Promise<void> {
    const host = this.host;
    // First, so this very round does not take (and count a delivery of) what our own handlers hold.
    await this.refreshHeld();
    if (host.isPaused()) return;
    const o = host.options;
    for (const keys of host.ownedKeys()) await this.claim(keys, o.claimIdleMs);
    // Consumer cleanup is rarer: at most every consumerIdleMs / 2 (and at most once a minute).
    const now = Date.now();
    if (now - this.lastCleanup < Math.min(60_000, o.consumerIdleMs / 2)) return;
    this.lastCleanup = now;
    // Never below a few BLOCK periods: a live consumer is "idle" while it waits in XREADGROUP.
    const idle = Math.max(o.consumerIdleMs, o.blockMs * 3);
    for (const keys of host.ownedKeys()) {
      for (const stream of [keys.stream, keys.retry]) {
        const removed = await removeIdleConsumers(host.command, stream, host.group, idle, host.consumer);
        if (removed.length > 0) {
          host.stats.removedConsumers += removed.length;
          host.logger.info({ stream, removed }, "removed idle consumers with nothing pending");
        }
      }
    }
  }

  private async promoteDue(): Promise<void> {
    for (const keys of this.host.ownedKeys()) {
      await scripts.promoteDue.run(this.host.command, [keys.delayed, keys.retry], [100]);
    }
  }
}
