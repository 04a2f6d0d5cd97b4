/**
 * Transactional outbox on PostgreSQL: a service writes its business rows and the messages they cause in one
 * database transaction ({@link enqueue}), so either both happen or neither; a relay ({@link OutboxRelay})
 * then publishes the stored messages with confirms and deletes them only after the broker confirmed.
 *
 * Guarantees: a committed message is published at least once, with the message id it was given, so
 * consumers deduplicate with the idempotency middleware; a rolled-back one never is. One relay works at a
 * time (a transaction-scoped advisory lock), publishing in insertion order; other relays stand by and take
 * over when it dies. A publish that fails is retried with exponential backoff, its error kept in the row,
 * and later messages with the same key wait for it (per-key order; a message that never goes through holds
 * its key back, visibly, in `last_error`).
 *
 * mqa does not depend on a PostgreSQL driver: anything with node-postgres's `query(text, values)` works
 * (a `pg` Client or PoolClient inside your transaction for enqueue, a `pg.Pool` for the relay).
 */
import type { Logger } from "pino";
import { backoffDelay } from "../core/backoff.js";
import { InvalidOptionsError, summarizeError } from "../core/errors.js";
import { newMessageId } from "../core/ids.js";
import type { OutgoingMessage } from "../core/message.js";
import type { Transport } from "../core/transport.js";
import { silentLogger } from "../log/logger.js";
import { withActiveTraceHeaders } from "../tracing/current.js";

/** The part of a node-postgres client the outbox uses. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>;
}

/** A pool the relay borrows one connection at a time from (`pg.Pool`). */
export interface ConnectionPool {
  connect(): Promise<Queryable & { release(err?: Error | boolean): void }>;
}

/** @defaultValue "mqa_outbox" */
const DEFAULT_TABLE = "mqa_outbox";

function tableName(table: string | undefined): string {
  const t = table ?? DEFAULT_TABLE;
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(t))
    throw new InvalidOptionsError(
      `outbox table name '${t}' must be a lowercase SQL identifier, optionally schema-qualified`,
    );
  return t;
}

/** Create the outbox table and its index if they do not exist (idempotent; run it in a migration). */
export async function ensureOutboxTable(db: Queryable, table?: string): Promise<void> {
  const t = tableName(table);
  await db.query(`CREATE TABLE IF NOT EXISTS ${t} (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    message_id text NOT NULL,
    key text,
    content_type text NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    correlation_id text,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text
  )`);
  const base = t.replace(".", "_");
  await db.query(`CREATE INDEX IF NOT EXISTS ${base}_due ON ${t} (next_attempt_at, id)`);
  await db.query(`CREATE INDEX IF NOT EXISTS ${base}_key ON ${t} (topic, key, id) WHERE key IS NOT NULL`);
}

/**
 * Store `message` for `topic` in the outbox, inside the caller's transaction (`db` is the client that runs
 * it). Returns the message id the relay will publish it with. When an OpenTelemetry span is active (and the
 * message carries no `traceparent` of its own), its W3C trace context is stored in the headers, so the
 * relay's publish, whenever it happens, continues the caller's trace.
 */
export async function enqueue(
  db: Queryable,
  topic: string,
  message: OutgoingMessage,
  options: { table?: string } = {},
): Promise<{ id: string }> {
  const id = message.id ?? newMessageId();
  const headers = await withActiveTraceHeaders(message.headers);
  await db.query(
    `INSERT INTO ${tableName(options.table)} (topic, message_id, key, content_type, headers, correlation_id, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      topic,
      id,
      message.key ?? null,
      message.contentType ?? "application/octet-stream",
      JSON.stringify(headers ?? {}),
      message.correlationId ?? null,
      Buffer.from(message.payload),
    ],
  );
  return { id };
}

export interface OutboxRelayOptions {
  pool: ConnectionPool;
  transport: Transport;
  /** @defaultValue "mqa_outbox" */
  table?: string;
  /** Rows published per transaction. @defaultValue 100 */
  batchSize?: number;
  /** Wait between polls when the outbox was empty. @defaultValue 200 */
  pollMs?: number;
  /**
   * Backoff after a failed publish: the ceiling doubles from `baseMs` up to `maxMs`; with `jitter: "full"`
   * (the default) each delay is uniform in [0, ceiling], so relays do not retry in lockstep.
   * @defaultValue `{ baseMs: 1000, maxMs: 300_000, jitter: "full" }`
   */
  retry?: { baseMs: number; maxMs: number; jitter?: "full" | "none" };
  logger?: Logger;
}

interface Row {
  id: string;
  topic: string;
  message_id: string;
  key: string | null;
  content_type: string;
  headers: Record<string, string>;
  correlation_id: string | null;
  payload: Buffer;
  attempts: number;
}

/** Counters for diagnostics and tests. */
export interface RelayStats {
  published: number;
  failed: number;
  batches: number;
}

/** Publishes what committed transactions left in the outbox. */
export class OutboxRelay {
  readonly stats: RelayStats = { published: 0, failed: 0, batches: 0 };
  private readonly table: string;
  private readonly lockKey: string;
  private readonly log: Logger;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.table = tableName(options.table);
    this.lockKey = `mqa-outbox:${this.table}`;
    this.log = (options.logger ?? silentLogger()).child({ outbox: this.table });
  }

  /**
   * One relay pass: if no other relay holds the table, publish up to `batchSize` due rows in id order and
   * delete the confirmed ones, in one transaction. Returns how many were published (0 when another relay
   * is active or nothing is due).
   */
  async relayOnce(): Promise<number> {
    const db = await this.options.pool.connect();
    let broken: Error | undefined;
    try {
      await db.query("BEGIN");
      const lock = (await db.query("SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok", [this.lockKey]))
        .rows[0] as { ok: boolean };
      if (!lock.ok) {
        await db.query("COMMIT");
        return 0;
      }
      const rows = (
        await db.query(
          // A keyed row waits while an earlier row of its key waits for a retry: per-key order.
          `SELECT o.id, o.topic, o.message_id, o.key, o.content_type, o.headers, o.correlation_id, o.payload, o.attempts
           FROM ${this.table} AS o
           WHERE o.next_attempt_at <= now()
             AND (o.key IS NULL OR NOT EXISTS (
               SELECT 1 FROM ${this.table} AS e
               WHERE e.topic = o.topic AND e.key = o.key AND e.id < o.id AND e.next_attempt_at > now()))
           ORDER BY o.id LIMIT $1 FOR UPDATE OF o`,
          [this.options.batchSize ?? 100],
        )
      ).rows as Row[];
      const done: string[] = [];
      const failed: { row: Row; error: string }[] = [];
      // Rows are published concurrently (the transport pipelines them, in call order), except that rows of
      // one key go one after the other, and a failed one holds back the rest of its key: per-key order.
      const chains = new Map<string, Promise<void>>();
      const blockedKeys = new Set<string>();
      const publishRow = async (row: Row, keyOf: string | undefined): Promise<void> => {
        if (keyOf !== undefined && blockedKeys.has(keyOf)) return;
        try {
          await this.options.transport.publish(row.topic, {
            id: row.message_id,
            payload: new Uint8Array(row.payload),
            contentType: row.content_type,
            headers: row.headers,
            ...(row.key !== null ? { key: row.key } : {}),
            ...(row.correlation_id !== null ? { correlationId: row.correlation_id } : {}),
          });
          done.push(row.id);
        } catch (err) {
          if (keyOf !== undefined) blockedKeys.add(keyOf);
          failed.push({ row, error: summarizeError(err).message });
        }
      };
      await Promise.all(
        rows.map((row) => {
          const keyOf = row.key === null ? undefined : `${row.topic}\u0000${row.key}`;
          const before = keyOf === undefined ? undefined : chains.get(keyOf);
          const task = before ? before.then(() => publishRow(row, keyOf)) : publishRow(row, keyOf);
          if (keyOf !== undefined) chains.set(keyOf, task);
          return task;
        }),
      );
      const retry = { baseMs: 1000, maxMs: 300_000, jitter: "full" as const, ...this.options.retry };
      for (const { row, error } of failed) {
        this.stats.failed++;
        const delayMs = backoffDelay({ ...retry, multiplier: 2 }, row.attempts);
        this.log.warn(
          { messageId: row.message_id, topic: row.topic, err: error },
          "outbox publish failed; will retry",
        );
        await db.query(
          `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2,
           next_attempt_at = now() + ($3::int * interval '1 millisecond') WHERE id = $1`,
          [row.id, error.slice(0, 2000), Math.round(delayMs)],
        );
      }
      if (done.length > 0) await db.query(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [done]);
      await db.query("COMMIT");
      this.stats.published += done.length;
      this.stats.batches++;
      return done.length;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      // Published rows stay in the table and are published again: at least once, never lost.
      await db.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      db.release(broken);
    }
  }

  /** Relay until {@link stop}: back to back while there is work, every `pollMs` when idle. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = (async () => {
      let failures = 0;
      while (!this.stopped) {
        let published = 0;
        try {
          published = await this.relayOnce();
          failures = 0;
        } catch (err) {
          failures++;
          this.log.warn({ err: summarizeError(err).message, failures }, "outbox relay pass failed");
        }
        if (published === 0 && !this.stopped) {
          const waitMs =
            failures > 0
              ? Math.min(30_000, (this.options.pollMs ?? 200) * 2 ** failures)
              : (this.options.pollMs ?? 200);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = undefined;
        }
      }
    })();
  }

  /** Finish the pass under way, then stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}
