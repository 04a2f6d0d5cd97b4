/**
 * Partition ownership for a group on a partitioned topic, so each partition is read by exactly one
 * consumer of the group at a time (that is what keeps per-key order) and the partitions spread over
 * the group's consumers as they come and go.
 *
 * Protocol (every consumer runs it every `leaseMs / 3`):
 * 1. Heartbeat: `ZADD members <now> <me>`, drop members silent for longer than `leaseMs`.
 * 2. Assignment: sort the live members by name; member i of m is assigned partitions p with p % m = i.
 *    Every consumer computes the same assignment from the same member set.
 * 3. Partitions no longer assigned to me: stop reading them, wait until my deliveries from them are
 *    settled, then release their lease (release-lease.lua, only if still mine).
 * 4. Partitions assigned to me: take or renew their lease (acquire-lease.lua). A partition whose
 *    lease another consumer still holds is taken once that one releases it (step 3) or its lease
 *    expires (it died). On taking a partition, its leftover pending entries are claimed at once.
 * The lease, not the assignment, decides who reads: during a handover a partition is briefly read
 * by nobody, never by two consumers. Limit: a consumer paused longer than `leaseMs` (GC, SIGSTOP)
 * loses its leases and may finish an entry that was already handed over (at-least-once).
 */
import type { RedisClient } from "./client.js";
import type { Logger } from "pino";
import type { RedisKeyNames } from "./naming.js";
import { scripts } from "./scripts.js";

export interface PartitionHooks {
  /** Ownership changed (read loop should pick up the new set). */
  changed(): void;
  /** Resolve when no delivery from partition `p` is in flight any more. */
  drained(p: number): Promise<void>;
  /** Partition `p` was just taken: claim its leftover pending entries. */
  acquired(p: number): void;
}

/** Partitions this consumer reads. */
export interface PartitionOwnership {
  readonly owned: ReadonlySet<number>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** An unpartitioned topic: the single partition is always ours (consumers compete on it). */
export class SinglePartition implements PartitionOwnership {
  readonly owned: ReadonlySet<number> = new Set([0]);
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** Lease-based ownership of N partitions (see the protocol above). */
export class PartitionCoordinator implements PartitionOwnership {
  private readonly ownedSet = new Set<number>();
  private readonly releasing = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly client: RedisClient,
    private readonly names: RedisKeyNames,
    private readonly topic: string,
    private readonly group: string,
    private readonly consumer: string,
    private readonly partitions: number,
    private readonly leaseMs: number,
    private readonly hooks: PartitionHooks,
    private readonly logger: Logger,
  ) {}

  get owned(): ReadonlySet<number> {
    return this.ownedSet;
  }

  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.ticking = this.tick()
          .catch((err: unknown) => this.logger.warn({ err: String(err) }, "partition heartbeat failed"))
          .finally(() => this.schedule());
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
  }

  private lease(p: number): string {
    return this.names.partition(this.topic, this.group, p, this.partitions).lease;
  }

  /** One round of the protocol. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const members = this.names.members(this.topic, this.group);
    const now = Date.now();
    const [, , [, live]] = (await this.client
      .multi()
      .zadd(members, now, this.consumer)
      .zremrangebyscore(members, "-inf", String(now - this.leaseMs))
      .zrange(members, "0", "-1")
      .pexpire(members, this.leaseMs * 3)
      .exec()) as [unknown, unknown, [unknown, string[]], unknown];
    const sorted = [...live].sort();
    const index = sorted.indexOf(this.consumer);
    const assigned = new Set<number>();
    for (let p = 0; p < this.partitions; p++) if (index >= 0 && p % sorted.length === index) assigned.add(p);
    let changed = false;
    for (const p of [...this.ownedSet]) {
      if (assigned.has(p)) continue;
      this.ownedSet.delete(p);
      changed = true;
      this.releasing.add(p);
      void this.hooks
        .drained(p)
        .then(() => scripts.releaseLease.run(this.client, [this.lease(p)], [this.consumer]))
        .catch((err: unknown) => this.logger.warn({ partition: p, err: String(err) }, "lease release failed"))
        .finally(() => this.releasing.delete(p));
    }
    for (const p of assigned) {
      if (this.releasing.has(p)) continue;
      const held = Number(
        await scripts.acquireLease.run(this.client, [this.lease(p)], [this.consumer, this.leaseMs]),
      );
      if (held === 1 && !this.ownedSet.has(p)) {
        this.ownedSet.add(p);
        changed = true;
        this.hooks.acquired(p);
      } else if (held === 0 && this.ownedSet.has(p)) {
        this.ownedSet.delete(p);
        changed = true;
      }
    }
    if (changed) {
      this.logger.info(
        { topic: this.topic, group: this.group, owned: [...this.ownedSet] },
        "partitions rebalanced",
      );
      this.hooks.changed();
    }
  }

  /** Leave the group: drop the heartbeat and release every lease (after in-flight work settled). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    const owned = [...this.ownedSet];
    this.ownedSet.clear();
    await Promise.all(owned.map((p) => this.hooks.drained(p)));
    await this.client.zrem(this.names.members(this.topic, this.group), this.consumer);
    for (const p of owned) await scripts.releaseLease.run(this.client, [this.lease(p)], [this.consumer]);
  }

  /** Stop heartbeating without releasing anything (a crash): leases expire after leaseMs. */
  abandon(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
