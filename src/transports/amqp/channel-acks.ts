/**
 * Acks for one consumer channel. A delivery tag only means something on the channel it came from, so
 * every settlement goes through the tracker of that channel; once the channel is gone, settlements are
 * dropped and counted (the broker redelivers those messages), never sent on a new channel — sending
 * them would close the new channel with PRECONDITION_FAILED "unknown delivery tag".
 *
 * With batching, one `multiple` ack covers the longest run of finished deliveries from the oldest
 * outstanding tag, so a message whose handler is still running is never acked by accident.
 */
import type { Channel, ConsumeMessage } from "amqplib";

/** Counters shared by all channels of a subscription. */
export interface AckStats {
  acked: number;
  requeued: number;
  /** Rejected without requeue (a dead letter of a group without a dead-letter queue). */
  discarded: number;
  /** Settlements for deliveries whose channel had died: dropped, the broker redelivers. */
  staleSettlements: number;
}

/** Tracks and sends the acks of one channel. */
export class ChannelAcks {
  /** Delivered and not yet acked or nacked, in tag order (tags only grow on a channel). */
  private readonly outstanding = new Map<number, ConsumeMessage>();
  private readonly done = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private dead = false;

  constructor(
    private readonly channel: Channel,
    private readonly batch: { size: number; ms: number },
    private readonly stats: AckStats,
  ) {}

  /** True once the channel is gone; settlements are then dropped. */
  get closed(): boolean {
    return this.dead;
  }

  /** Deliveries received and not yet settled on the wire. */
  get pending(): number {
    return this.outstanding.size;
  }

  received(msg: ConsumeMessage): void {
    this.outstanding.set(msg.fields.deliveryTag, msg);
  }

  /** The handler finished with this delivery. Returns false if the ack was dropped (dead channel). */
  ack(msg: ConsumeMessage): boolean {
    if (this.dead) {
      this.stats.staleSettlements++;
      return false;
    }
    this.done.add(msg.fields.deliveryTag);
    if (this.batch.size <= 1 || this.done.size >= this.batch.size) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.batch.ms);
    return true;
  }

  /**
   * Give a failed delivery back to the broker. `basic.reject` (not `basic.nack`): since RabbitMQ 4.3
   * only reject counts as a failed delivery (`x-delivery-count`, the delivery limit); on older brokers
   * both count, so reject is right everywhere.
   */
  requeue(msg: ConsumeMessage): boolean {
    if (!this.reject(msg, true)) return false;
    this.stats.requeued++;
    return true;
  }

  /**
   * Reject without requeue: the broker hands the message to the queue's own `x-dead-letter-exchange`, or
   * drops it when the queue has none.
   */
  discard(msg: ConsumeMessage): boolean {
    if (!this.reject(msg, false)) return false;
    this.stats.discarded++;
    return true;
  }

  private reject(msg: ConsumeMessage, requeue: boolean): boolean {
    if (this.dead) {
      this.stats.staleSettlements++;
      return false;
    }
    const tag = msg.fields.deliveryTag;
    if (!this.outstanding.has(tag)) return false;
    this.outstanding.delete(tag);
    try {
      this.channel.reject(msg, requeue);
    } catch {
      this.markDead();
      return false;
    }
    return true;
  }

  /** Send every finished ack now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dead || this.done.size === 0) return;
    try {
      this.send();
    } catch {
      // amqplib throws once the channel is closing: the broker will redeliver what was not acked.
      this.markDead();
    }
  }

  private send(): void {
    let run: ConsumeMessage | undefined;
    let runLength = 0;
    for (const [tag, msg] of this.outstanding) {
      if (!this.done.has(tag)) break;
      run = msg;
      runLength++;
    }
    const singles: ConsumeMessage[] = [];
    for (const tag of this.done) {
      const msg = this.outstanding.get(tag);
      if (msg && (!run || tag > run.fields.deliveryTag)) singles.push(msg);
    }
    if (run) {
      this.channel.ack(run, runLength > 1);
      for (const [tag] of this.outstanding) {
        if (tag > run.fields.deliveryTag) break;
        this.outstanding.delete(tag);
        this.done.delete(tag);
      }
      this.stats.acked += runLength;
    }
    for (const msg of singles) {
      this.channel.ack(msg, false);
      this.outstanding.delete(msg.fields.deliveryTag);
      this.done.delete(msg.fields.deliveryTag);
      this.stats.acked++;
    }
  }

  /** The channel is gone: drop whatever was not sent (those messages come back from the broker). */
  markDead(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dead = true;
    this.stats.staleSettlements += this.done.size;
    this.done.clear();
    this.outstanding.clear();
  }
}
