/**
 * One PostgreSQL transaction on a client borrowed from a pool: BEGIN, the caller's work, COMMIT; ROLLBACK on
 * any error, and the client goes back to the pool (destroyed after an unexpected error, since its
 * connection may be in an unknown state). Shared by the features that keep state in PostgreSQL
 * (message-driven sagas, projections).
 */
import type { ConnectionPool, Queryable } from "./outbox.js";

/** A pool client inside one transaction. */
export type TransactionClient = Queryable & { release(err?: Error | boolean): void };

/**
 * Run `fn` in a transaction on a client of `pool`. `expected(err)` says which errors are part of the
 * caller's protocol (e.g. "retry from another position"): those roll back but keep the client.
 */
export async function withTransaction<T>(
  pool: ConnectionPool,
  fn: (tx: TransactionClient) => Promise<T>,
  expected: (err: unknown) => boolean = () => false,
): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query("BEGIN");
    const out = await fn(tx);
    await tx.query("COMMIT");
    tx.release();
    return out;
  } catch (err) {
    await tx.query("ROLLBACK").catch(() => undefined);
    tx.release(expected(err) ? undefined : err instanceof Error ? err : true);
    throw err;
  }
}
