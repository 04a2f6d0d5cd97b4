/**
 * Reading a partitioned topic on a Redis Cluster. One XREADGROUP over several partitions is refused there
 * (CROSSSLOT: each partition's stream and retry stream share one slot, different partitions hash to
 * different slots), and a blocking read holds its node's connection; so each owned partition gets its own
 * {@link ReadLoop} on its own cluster connection, started when the partition is first owned, idle while it is
 * not. The loops share the subscription's prefetch (each reads its share of the free capacity). A blocked
 * read cannot be cut short with CLIENT UNBLOCK here (the UNBLOCK would have to reach the very node and
 * connection the read waits on), so a pause, a handover or a close waits for it up to `blockMs`.
 */
import type { RedisClient } from "./client.js";
import { ReadLoop, type Reader, type ReadLoopHost } from "./read-loop.js";

/** The read loops of one subscription on a cluster, one per owned partition. */
export class PartitionReaders implements Reader {
  private readonly loops = new Map<number, ReadLoop>();
  private started = false;

  constructor(
    private readonly host: ReadLoopHost,
    private readonly createBlockingClient: () => RedisClient,
  ) {}

  /** Nothing to connect up front: each loop's connection connects on its first read. */
  async connect(): Promise<void> {}

  begin(): void {
    this.started = true;
    this.sync();
  }

  /** Start a loop for every owned partition that has none yet. */
  private sync(): void {
    if (!this.started || this.host.isClosing()) return;
    for (const keys of this.host.ownedKeys()) {
      const partition = keys.partition;
      if (this.loops.has(partition)) continue;
      const host = this.host;
      const laneHost: ReadLoopHost = {
        ...host,
        ownedKeys: () =>
          host.owns(partition) ? host.ownedKeys().filter((k) => k.partition === partition) : [],
      };
      const loop = new ReadLoop(this.createBlockingClient(), laneHost, {
        unblock: false,
        loops: () => Math.max(1, host.ownedKeys().length),
      });
      this.loops.set(partition, loop);
      loop.begin();
    }
  }

  settled(): Promise<void> {
    return Promise.all([...this.loops.values()].map((l) => l.settled())).then(() => undefined);
  }

  ended(): Promise<void> {
    return Promise.all([...this.loops.values()].map((l) => l.ended())).then(() => undefined);
  }

  wake(): void {
    for (const l of this.loops.values()) l.wake();
  }

  /** Ownership changed (or pause, close): start loops for new partitions, wake every loop. */
  interrupt(): void {
    this.sync();
    for (const l of this.loops.values()) l.interrupt();
  }

  stop(): void {
    for (const l of this.loops.values()) l.stop();
  }

  disconnect(): void {
    for (const l of this.loops.values()) l.disconnect();
  }
}
