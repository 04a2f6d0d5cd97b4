/**
 * Spreads a partitioned group's partitions evenly over the processes consuming it, without a plugin or a
 * coordinator. Every member of the group binds an exclusive queue to `amq.direct` (which every vhost has)
 * under the group's membership key and publishes a small heartbeat there; so every member sees the same set
 * of members, and each computes the same assignment from it: the members sorted by id, partition `p` going to
 * member `p mod count`. A member consumes only the partitions assigned to it.
 *
 * Views differ for a moment when a member joins or leaves. Single active consumer on each partition queue
 * keeps that harmless: two members that both think they own a partition get one active consumer, and a
 * member that gives a partition away hands it over in order (AmqpSubscription.release). A member that
 * leaves says so; one that crashes is dropped after `memberTimeoutMs`, and its partitions have no consumer
 * until then (their messages wait in the queue).
 */
import { randomBytes } from "node:crypto";
import type { Channel, ConsumeMessage } from "amqplib";
import type { Logger } from "pino";
import { summarizeError } from "../../core/errors.js";
import { closeQuietly } from "./close-quietly.js";
import type { ConnectionManager, LiveConnection } from "./connection-manager.js";

/** Settings of balanced partition assignment (transport option `partitionBalance`). */
export interface PartitionBalanceSettings {
  /** How often a member says it is alive. */
  heartbeatMs: number;
  /** A member not heard from for this long is dropped and its partitions go to the others. */
  memberTimeoutMs: number;
}

/** What the balancer drives: one partition queue's subscription. */
export interface BalancedPartition {
  acquire(): Promise<void>;
  release(): Promise<void>;
}

/** The exchange the heartbeats travel through: present in every vhost, routes by exact key. */
export const MEMBERSHIP_EXCHANGE = "amq.direct";
/** Heartbeats larger than this are not ours: ignored. */
const MAX_BEAT_BYTES = 512;

interface Beat {
  /** Member id. */
  m: string;
  /** A joiner asks everyone to answer at once. */
  hello?: boolean;
  /** A member that leaves. */
  leave?: boolean;
}

/** Which partitions of `count` the member `self` owns among `members` (sorted ids, round robin). */
export function assignedPartitions(self: string, members: Iterable<string>, count: number): Set<number> {
  const sorted = [...new Set([...members, self])].sort();
  const index = sorted.indexOf(self);
  const owned = new Set<number>();
  for (let p = index; p < count; p += sorted.length) owned.add(p);
  return owned;
}

/** Balanced assignment of one partitioned group's queues inside one transport. */
export class PartitionBalancer {
  /** This member's id: random, new for every subscription. */
  readonly id = randomBytes(8).toString("hex");
  /** Other members and when each was last heard from (local clock). */
  private readonly members = new Map<string, number>();
  /** The partitions this member consumes now. */
  private owned = new Set<number>();
  /** Acquire/release steps, one at a time per balancer, in order. */
  private steps: Promise<void> = Promise.resolve();
  private channel: Channel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Paused by the user: the assignment is kept up to date, but nothing is acquired. */
  private suspended = false;
  readonly stats = { rebalances: 0, beatsSent: 0, beatsReceived: 0 };
  private readonly onReady = (live: LiveConnection): void => void this.join(live);

  constructor(
    /** The group's base queue (`T.G`): names the membership key. */
    private readonly queue: string,
    private readonly partitions: readonly BalancedPartition[],
    private readonly connections: ConnectionManager,
    private readonly settings: PartitionBalanceSettings,
    private readonly log: Logger,
  ) {}

  /** Routing key of the group's heartbeats on {@link MEMBERSHIP_EXCHANGE}. */
  get membershipKey(): string {
    return `mqa.members.${this.queue}`;
  }

  /** The ids this member currently counts as members, itself included, sorted. */
  get view(): string[] {
    return [...this.members.keys(), this.id].sort();
  }

  /** Partitions owned now, ascending. */
  get ownedPartitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /** Join on `live`, announce, settle the first assignment; then follow reconnects and heartbeats. */
  async start(live: LiveConnection): Promise<void> {
    this.connections.on("ready", this.onReady);
    await this.join(live);
    this.timer = setInterval(() => this.tick(), this.settings.heartbeatMs);
    this.timer.unref();
    // Answers to the hello arrive within a round trip; a short wait spares a take-everything-then-give-back.
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, this.settings.heartbeatMs)));
    this.rebalance();
    await this.steps;
  }

  /** Leave the group: say so (the others take over at once), stop the heartbeat. Partitions are left as they are. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.connections.off("ready", this.onReady);
    if (this.timer) clearInterval(this.timer);
    this.send({ m: this.id, leave: true });
    await this.steps;
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await closeQuietly(channel);
  }

  /** The user paused the subscription: keep following the group, consume nothing. */
  suspend(): void {
    this.suspended = true;
  }

  /** Consume the owned partitions again. */
  async unsuspend(): Promise<void> {
    this.suspended = false;
    const owned = this.ownedPartitions;
    const run = this.steps.then(async () => {
      await Promise.all(owned.map((p) => this.partitions[p]!.acquire()));
    });
    this.steps = run.catch(() => undefined);
    await run;
  }

  /** (Re)declare this member's queue on `live` and say hello. Failures are logged and retried by the tick. */
  private async join(live: LiveConnection): Promise<void> {
    if (this.stopped) return;
    try {
      const channel = await live.model.createChannel();
      channel.on("error", () => undefined);
      channel.on("close", () => {
        if (this.channel === channel) this.channel = undefined;
      });
      const name = `mqa.member.${this.queue}.${this.id}`;
      // Exclusive: it lives and dies with this connection. Classic: exclusive queues cannot be quorum.
      await channel.assertQueue(name, {
        exclusive: true,
        autoDelete: true,
        durable: false,
        arguments: { "x-queue-type": "classic" },
      });
      await channel.bindQueue(name, MEMBERSHIP_EXCHANGE, this.membershipKey);
      await channel.consume(name, (msg) => this.onBeat(msg), { noAck: true });
      const previous = this.channel;
      this.channel = channel;
      if (previous) void closeQuietly(previous);
      this.send({ m: this.id, hello: true });
    } catch (err) {
      this.log.warn(
        { queue: this.queue, err: summarizeError(err).message },
        "partition balancing: could not join the group's membership; retrying with the next heartbeat",
      );
    }
  }

  private onBeat(msg: ConsumeMessage | null): void {
    if (!msg || msg.content.length > MAX_BEAT_BYTES) return;
    let beat: Beat;
    try {
      beat = JSON.parse(msg.content.toString("utf8")) as Beat;
    } catch {
      return;
    }
    if (typeof beat.m !== "string" || beat.m === this.id || beat.m.length > 64) return;
    this.stats.beatsReceived++;
    if (beat.leave === true) {
      if (this.members.delete(beat.m)) this.rebalance();
      return;
    }
    const known = this.members.has(beat.m);
    this.members.set(beat.m, Date.now());
    if (beat.hello === true) this.send({ m: this.id });
    if (!known) this.rebalance();
  }

  private tick(): void {
    if (this.stopped) return;
    if (!this.channel) {
      const live = this.connections.connection;
      if (live) void this.join(live);
    }
    this.send({ m: this.id });
    const oldest = Date.now() - this.settings.memberTimeoutMs;
    let dropped = false;
    for (const [member, seen] of this.members)
      if (seen < oldest) {
        this.members.delete(member);
        dropped = true;
      }
    if (dropped) this.rebalance();
  }

  private send(beat: Beat): void {
    const channel = this.channel;
    if (!channel) return;
    try {
      channel.publish(MEMBERSHIP_EXCHANGE, this.membershipKey, Buffer.from(JSON.stringify(beat)), {
        expiration: String(this.settings.memberTimeoutMs),
      });
      this.stats.beatsSent++;
    } catch {
      // The channel is closing: the next tick joins again.
    }
  }

  /** Compute the assignment from the current view and queue the acquires and releases it needs. */
  private rebalance(): void {
    if (this.stopped) return;
    const wanted = assignedPartitions(this.id, this.members.keys(), this.partitions.length);
    const release = [...this.owned].filter((p) => !wanted.has(p));
    const acquire = [...wanted].filter((p) => !this.owned.has(p));
    if (release.length === 0 && acquire.length === 0) return;
    this.owned = wanted;
    this.stats.rebalances++;
    this.log.info(
      { queue: this.queue, member: this.id, members: this.members.size + 1, owned: this.ownedPartitions },
      "partition balancing: assignment changed",
    );
    // Releases first: a partition given away is handed over while its new owner subscribes.
    this.steps = this.steps
      .then(async () => {
        await Promise.all(release.map((p) => this.partitions[p]!.release()));
        if (!this.suspended) await Promise.all(acquire.map((p) => this.partitions[p]!.acquire()));
      })
      .catch((err: unknown) => {
        this.log.warn(
          { queue: this.queue, err: summarizeError(err).message },
          "partition balancing: a hand-over step failed",
        );
      });
  }
}
