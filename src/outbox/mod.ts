/** `mqa/outbox`: the transactional outbox on PostgreSQL (docs/outbox.md). */
export { enqueue, ensureOutboxTable, OutboxRelay } from "./outbox.js";
export type { ConnectionPool, OutboxRelayOptions, Queryable, RelayStats } from "./outbox.js";
