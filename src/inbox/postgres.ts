/**
 * The inbox on PostgreSQL. One transaction per delivery: `INSERT … ON CONFLICT` of the message's key into
 * the inbox table, the handler's own writes on the same client, then COMMIT — before the router acks. So the
 * effects and the "processed" row commit together or not at all, whatever process dies when:
 * - before COMMIT: nothing was written; the message is redelivered and runs again;
 * - after COMMIT, before the ack: the redelivery finds the row and is acked without running the handler.
 * A copy delivered to another consumer while the first still runs blocks on the first transaction's
 * uncommitted row (the unique index), then sees it committed (duplicate) or rolled back (runs itself). It
 * waits at most `lockWaitMs`; then the delivery is deferred and offered again.
 *
 * With the outbox: call `enqueue(inbox.db(ctx), …)` in the handler and the follow-up message commits in the
 * same transaction, so consume → write → publish is effectively once end to end.
 */
import { z } from "zod";
import type { MessageContext, Middleware } from "../core/context.js";
import { MqaError } from "../core/errors.js";
import { parseOptions } from "../core/options.js";
import type { ConnectionPool, Queryable } from "../outbox/outbox.js";
import {
  InboxClosedError,
  inboxMiddleware,
  inboxWritesOf,
  type InboxKey,
  type InboxMiddlewareOptions,
  type InboxOutcome,
  type InboxStore,
} from "./inbox.js";

export interface PostgresInboxOptions {
  /** Where connections come from (`pg.Pool`); each delivery holds one for its transaction. */
  pool: ConnectionPool;
  /** @defaultValue "mqa_inbox" */
  table?: string;
  /**
   * How long a processed message is remembered, ms: a redelivery later than this runs again. Keep it longer
   * than any redelivery or redrive can come. @defaultValue 604800000 (7 days)
   */
  retentionMs?: number;
  /**
   * Longest a delivery waits for a copy of itself that another consumer is running, ms; then it is deferred
   * (`busy`). @defaultValue 5000
   */
  lockWaitMs?: number;
}

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
const shape = z.strictObject({
  pool: z.custom<ConnectionPool>(
    (v) => typeof v === "object" && v !== null && typeof (v as { connect?: unknown }).connect === "function",
    "expected a pool with connect() (a pg.Pool)",
  ),
  table: z
    .string()
    .regex(IDENT, "must be a lowercase SQL identifier, optionally schema-qualified")
    .optional(),
  retentionMs: z.number().int().min(1000).max(2_147_483_647_000).optional(),
  lockWaitMs: z.number().int().min(1).max(600_000).optional(),
});

/** PostgreSQL's "lock_not_available": the lock wait ran out. */
const LOCK_NOT_AVAILABLE = "55P03";

/** Durable idempotency on PostgreSQL, with the handler's writes in the same transaction. */
export class PostgresInbox implements InboxStore<Queryable> {
  readonly table: string;
  private readonly retentionMs: number;
  private readonly lockWaitMs: number;

  constructor(private readonly options: PostgresInboxOptions) {
    parseOptions(shape, options, "PostgresInbox options");
    this.table = options.table ?? "mqa_inbox";
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.lockWaitMs = options.lockWaitMs ?? 5000;
  }

  /** Create the inbox table and its expiry index if they do not exist (idempotent; run it in a migration). */
  async ensureTable(db?: Queryable): Promise<void> {
    const q = db ?? (await this.borrow());
    try {
      await q.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        message_key text PRIMARY KEY,
        group_name text NOT NULL,
        message_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
      await q.query(
        `CREATE INDEX IF NOT EXISTS ${this.table.replace(".", "_")}_expires ON ${this.table} (expires_at)`,
      );
    } finally {
      if (db === undefined) (q as Queryable & { release(): void }).release();
    }
  }

  /** The middleware to put in a route's `middleware`. */
  middleware(options: InboxMiddlewareOptions = {}): Middleware {
    return inboxMiddleware(this, this, options);
  }

  /**
   * The client of the transaction the handler of `ctx` runs in: write through it and the writes commit
   * with the "processed" row (and `enqueue` through it for the outbox). Valid only while the handler runs.
   */
  db(ctx: MessageContext<unknown>): Queryable {
    return inboxWritesOf<Queryable>(ctx, this);
  }

  /** Delete up to `limit` expired rows; returns how many. Run it now and then (see {@link keepCleaning}). */
  async deleteExpired(limit = 10_000): Promise<number> {
    const db = await this.borrow();
    try {
      const res = await db.query(
        `DELETE FROM ${this.table} WHERE message_key IN (
           SELECT message_key FROM ${this.table} WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)`,
        [limit],
      );
      return res.rowCount ?? 0;
    } finally {
      db.release();
    }
  }

  /**
   * Call {@link deleteExpired} every `everyMs` (default: one minute) until the returned function is called.
   * The timer does not keep the process alive; a failed pass is retried next time.
   */
  keepCleaning(options: { everyMs?: number; onError?: (err: unknown) => void } = {}): () => Promise<void> {
    let pass: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      pass = pass.then(() => this.deleteExpired()).catch((err: unknown) => options.onError?.(err));
    }, options.everyMs ?? 60_000).unref();
    return async () => {
      clearInterval(timer);
      await pass;
    };
  }

  /** See {@link InboxStore.run}. */
  async run(key: InboxKey, work: (db: Queryable) => Promise<boolean>): Promise<InboxOutcome> {
    const client = await this.options.pool.connect();
    let ended = false;
    let broken: Error | undefined;
    const guarded: Queryable = {
      query: (text, values) =>
        ended
          ? Promise.reject(
              new InboxClosedError(
                `the inbox transaction of message ${key.messageId} has ended (the handler ran past its timeout or settled); this write was not made`,
              ),
            )
          : client.query(text, values),
    };
    try {
      // One round trip: a simple query may hold several statements (no parameters here).
      await client.query(`BEGIN; SET LOCAL lock_timeout = ${this.lockWaitMs}`);
      let claimed: boolean;
      try {
        // A conflicting row of an uncommitted transaction blocks here until it commits or rolls back; an
        // expired row is taken over (its message runs again, as the retention promised nothing longer).
        const res = await client.query(
          `INSERT INTO ${this.table} AS i (message_key, group_name, message_id, processed_at, expires_at)
           VALUES ($1, $2, $3, now(), now() + ($4::bigint * interval '1 millisecond'))
           ON CONFLICT (message_key) DO UPDATE
             SET processed_at = EXCLUDED.processed_at, expires_at = EXCLUDED.expires_at, message_id = EXCLUDED.message_id
             WHERE i.expires_at < now()
           RETURNING 1`,
          [key.key, key.group, key.messageId, this.retentionMs],
        );
        claimed = (res.rowCount ?? res.rows.length) > 0;
      } catch (err) {
        if ((err as { code?: unknown }).code === LOCK_NOT_AVAILABLE) {
          ended = true;
          await client.query("ROLLBACK");
          return "busy";
        }
        throw err;
      }
      if (!claimed) {
        ended = true;
        await client.query("ROLLBACK");
        return "duplicate";
      }
      await client.query("SET LOCAL lock_timeout = DEFAULT");
      const commit = await work(guarded);
      ended = true;
      await client.query(commit ? "COMMIT" : "ROLLBACK");
      return commit ? "processed" : "rolled-back";
    } catch (err) {
      ended = true;
      await client.query("ROLLBACK").catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async borrow(): Promise<Queryable & { release(err?: Error | boolean): void }> {
    try {
      return await this.options.pool.connect();
    } catch (err) {
      throw new MqaError(
        "connection-closed",
        `the inbox could not get a PostgreSQL connection: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
}
