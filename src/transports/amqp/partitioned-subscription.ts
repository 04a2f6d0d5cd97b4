/**
 * A subscription to a partitioned group: one {@link AmqpSubscription} per partition queue `<queue>.p<n>`,
 * handled by the same handler, paused, resumed and closed together. Each partition queue has
 * `x-single-active-consumer`, so the broker delivers a partition to one consumer of the group at a time and
 * hands it to a standby when that one leaves; which consumer is active on which partition is the broker's
 * choice (the earliest still attached), not a balanced spread (docs/ordering.md).
 */
import type { Subscription } from "../../core/transport.js";
import type { AmqpSubscription } from "./subscription.js";

export class PartitionedSubscription implements Subscription {
  constructor(
    readonly topic: string,
    readonly group: string,
    /** One per partition, in partition order. */
    readonly partitions: readonly AmqpSubscription[],
  ) {}

  async pause(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.pause()));
  }

  async resume(): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.resume()));
  }

  async close(options?: { timeoutMs?: number }): Promise<void> {
    await Promise.all(this.partitions.map((p) => p.close(options)));
  }
}
