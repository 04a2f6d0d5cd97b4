/**
 * A subscription to a partitioned group: one {@link AmqpSubscription} per partition queue `<queue>.p<n>`,
 * handled by the same handler, paused, resumed and closed together. Each partition queue has
 * `x-single-active-consumer`, so the broker delivers a partition to one consumer of the group at a time.
 * With a {@link PartitionBalancer} (the default) this process consumes only the partitions assigned to it,
 * so the group's members share the partitions evenly; without one it consumes every partition and the
 * broker picks the active consumer (the earliest attached: one process takes all, the others stand by).
 */
import type { Subscription } from "../../core/transport.js";
import type { PartitionBalancer } from "./partition-balancer.js";
import type { AmqpSubscription } from "./subscription.js";

export class PartitionedSubscription implements Subscription {
  private paused = false;

  constructor(
    readonly topic: string,
    readonly group: string,
    /** One per partition, in partition order. */
    readonly partitions: readonly AmqpSubscription[],
    /** Balanced assignment; absent: every partition consumed (failover only). */
    readonly balancer?: PartitionBalancer,
  ) {}

  async pause(): Promise<void> {
    this.paused = true;
    this.balancer?.suspend();
    await Promise.all(this.partitions.map((p) => p.pause()));
  }

  async resume(): Promise<void> {
    this.paused = false;
    if (!this.balancer) {
      await Promise.all(this.partitions.map((p) => p.resume()));
      return;
    }
    await this.balancer.unsuspend();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  async close(options?: { timeoutMs?: number }): Promise<void> {
    // Leave first: the others take this member's partitions over while it hands them back in order.
    await this.balancer?.stop();
    await Promise.all(this.partitions.map((p) => p.close(options)));
  }
}
