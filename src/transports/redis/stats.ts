/** Counters of the PEL housekeeping, for logs, tests and the monitor. */
export interface RedisTransportStats {
  /** Pending entries found deleted or trimmed from their stream, removed from the PEL. */
  deletedWhilePending: number;
  /** Entries taken over from idle consumers (XAUTOCLAIM). */
  reclaimed: number;
  /** Entries moved to a dead-letter stream by the transport itself (too many deliveries). */
  deadLettered: number;
  /** Idle consumers with nothing pending removed from their group. */
  removedConsumers: number;
  /** Entries trimmed from topic streams. */
  trimmed: number;
  /**
   * Publishes whose XADD was on the wire when its connection was lost and was sent again (by ioredis, or
   * by mqa after ioredis gave up on a half-answered pipeline): each may have stored its message twice
   * (consumers deduplicate by message id). An upper bound: some had not reached Redis the first time.
   */
  resentPublishes: number;
  /** Idle-time refreshes of entries this process's handlers still run (so no reclaim takes them). */
  refreshedHeld: number;
}

export function newStats(): RedisTransportStats {
  return {
    deletedWhilePending: 0,
    reclaimed: 0,
    deadLettered: 0,
    removedConsumers: 0,
    trimmed: 0,
    resentPublishes: 0,
    refreshedHeld: 0,
  };
}
