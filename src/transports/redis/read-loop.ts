/**
 * The read loop of one Redis subscription, on its own blocking connection: XREADGROUP (BLOCK, COUNT)
 * of the owned partitions' streams, first the consumer's own pending entries (ID 0: after every start
 * and reconnect, and after a failed read), then new ones (`>`). It reads in batches (with work in hand
 * it waits until half the prefetch is free), sleeps while paused, full or owning nothing, and can be
 * woken early (capacity freed, resumed, ownership changed) or cut short (closing: CLIENT UNBLOCK).
 */
import type { RedisClient } from "./client.js";
import type { Logger } from "pino";
import type { RawEntry } from "./fields.js";
import type { HeldEntries, HeldItem } from "./held-entries.js";
import type { PartitionKeys } from "./naming.js";
import type { ResolvedRedisOptions } from "./options.js";
import { firstReady } from "./connection.js";
import { isReplyError } from "./reply-error.js";

/** What the read loop needs from its subscription. */
export interface ReadLoopHost {
  readonly group: string;
  readonly consumer: string;
  readonly command: RedisClient;
  readonly options: ResolvedRedisOptions;
  readonly logger: Logger;
  readonly held: HeldEntries;
  isPaused(): boolean;
  isClosing(): boolean;
  /** Keys of the partitions this consumer owns now, in partition order. */
  ownedKeys(): PartitionKeys[];
  /** Whether partition `p` is still this consumer's. */
  owns(partition: number): boolean;
  /** Buffer a reserved entry and start handlers. */
  enqueue(item: HeldItem): void;
  /** Buffer reserved entries of an ID-0 re-read, with their delivery counts. */
  enqueueWithCounts(entries: RawEntry[], stream: string, keys: PartitionKeys): Promise<void>;
  /** Declare the group again (after NOGROUP: the server lost it). */
  redeclare(): Promise<void>;
}

/** What a subscription's reading needs to do; one {@link ReadLoop}, or one per partition on a cluster. */
export interface Reader {
  connect(): Promise<void>;
  begin(): void;
  settled(): Promise<void>;
  ended(): Promise<void>;
  wake(): void;
  interrupt(): void;
  stop(): void;
  disconnect(): void;
}

/** How a read loop shares its subscription. */
export interface ReadLoopSharing {
  /**
   * Cut a blocked read short with CLIENT UNBLOCK (by the client id of the blocking connection). Only where
   * the blocking read and the UNBLOCK reach the same server: not on a cluster. @defaultValue true
   */
  readonly unblock: boolean;
  /** Loops sharing the prefetch: each reads at most its share of the free capacity. @defaultValue 1 */
  readonly loops: () => number;
}

/** Reads entries for one subscription; see the module comment. */
export class ReadLoop implements Reader {
  private blockingId: number | undefined;
  private drainPending = true;
  private wakeUp: (() => void) | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  /** The backoff after a failed read, ended early by {@link stop}. */
  private backoff: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private loop: Promise<void> | undefined;
  /** The blocking read in progress (settles, never rejects). */
  private reading: Promise<void> | undefined;

  constructor(
    private readonly blocking: RedisClient,
    private readonly host: ReadLoopHost,
    private readonly sharing: ReadLoopSharing = { unblock: true, loops: () => 1 },
  ) {
    blocking.on("ready", () => {
      // Replies lost in a disconnect left entries pending for us that `>` never returns: re-read them.
      this.drainPending = true;
      if (!sharing.unblock) return;
      void blocking
        .client("ID")
        .then((id) => (this.blockingId = Number(id)))
        .catch(() => undefined);
    });
  }

  /** Connect the blocking connection (a cut while connecting costs a retry, not the subscription). */
  async connect(): Promise<void> {
    await firstReady(this.blocking, this.host.options.initialConnectTimeoutMs);
    if (this.sharing.unblock) this.blockingId = Number(await this.blocking.client("ID"));
  }

  /** Start reading. */
  begin(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the read in progress (if any) returned. */
  settled(): Promise<void> {
    return this.reading ?? Promise.resolve();
  }

  /** Resolves when the loop ended (after {@link stop} or a close). */
  ended(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Wake a sleeping loop (capacity freed, resumed). */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    clearTimeout(this.waitTimer);
    w?.();
  }

  /** Wake the loop and cut a blocking read short (ownership changed, paused, closing). */
  interrupt(): void {
    this.wake();
    if (this.blockingId !== undefined) {
      void this.host.command.client("UNBLOCK", this.blockingId).catch(() => undefined);
    }
  }

  /**
   * End a backoff sleep and wake the loop, so it sees `closing` at once; its timers are cleared. (A
   * blocked read is cut short by {@link interrupt}, or ends with its connection.)
   */
  stop(): void {
    if (this.backoff) {
      clearTimeout(this.backoff.timer);
      this.backoff.resolve();
      this.backoff = undefined;
    }
    this.wake();
  }

  /** Drop the blocking connection. */
  disconnect(): void {
    this.blocking.disconnect();
  }

  /** Sleep until woken (capacity freed, resumed, ownership changed, closing) or blockMs passed. */
  private wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.waitTimer = setTimeout(() => this.wake(), this.host.options.blockMs);
      this.waitTimer.unref();
    });
  }

  private sleepAfterFailure(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.backoff = undefined;
        resolve();
      }, ms);
      this.backoff = { timer, resolve };
    });
  }

  private async run(): Promise<void> {
    const host = this.host;
    const held = host.held;
    const prefetch = held.prefetch;
    let failures = 0;
    while (!host.isClosing()) {
      try {
        // Read in batches: with work in hand, wait until at least half the prefetch is free, so a
        // busy consumer does not turn into one XREADGROUP round trip per message.
        const busy = held.size > 0;
        if (host.isPaused() || held.capacity <= 0 || (busy && held.capacity < Math.ceil(prefetch / 2))) {
          await this.wait();
          continue;
        }
        const owned = host.ownedKeys();
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
          host.group,
          host.consumer,
          "COUNT",
          Math.max(1, Math.ceil(held.capacity / Math.max(1, this.sharing.loops()))),
          "BLOCK",
          host.options.blockMs,
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
          if (!host.owns(keys.partition)) continue;
          for (const raw of entries) {
            const id = raw[0].toString();
            if (held.reserve(stream, id)) host.enqueue({ raw, id, stream, keys, deliveryCount: 1 });
          }
        }
      } catch (err) {
        if (host.isClosing()) break;
        failures++;
        const message = err instanceof Error ? err.message : String(err);
        host.logger.warn({ err: message, failures }, "read failed; retrying");
        if (isReplyError(err, "NOGROUP")) await host.redeclare().catch(() => undefined);
        this.drainPending = true;
        await this.sleepAfterFailure(Math.min(host.options.reconnect.maxMs, 50 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Re-read this consumer's own pending entries (ID 0) that are not being handled right now. */
  private async readOwnPending(owned: PartitionKeys[]): Promise<void> {
    const host = this.host;
    for (const keys of owned) {
      for (const stream of [keys.stream, keys.retry]) {
        let cursor = "0";
        for (;;) {
          const reply = (await host.command.xreadgroupBuffer(
            "GROUP",
            host.group,
            host.consumer,
            "COUNT",
            200,
            "STREAMS",
            stream,
            cursor,
          )) as [Buffer, RawEntry[]][] | null;
          // Reserved as the reply arrives (not after the XPENDING below): an entry this consumer is
          // handling, or handled and acked meanwhile, must not be delivered a second time.
          const entries = (reply?.[0]?.[1] ?? []).filter((e) => host.held.reserve(stream, e[0].toString()));
          const last = reply?.[0]?.[1]?.at(-1);
          if (!last) break;
          cursor = last[0].toString();
          await host.enqueueWithCounts(entries, stream, keys);
        }
      }
    }
  }
}
