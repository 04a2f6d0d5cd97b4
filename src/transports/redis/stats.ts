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
}

export function newStats(): RedisTransportStats {
  return { deletedWhilePending: 0, reclaimed: 0, deadLettered: 0, removedConsumers: 0, trimmed: 0 };
}
