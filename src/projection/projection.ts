/**
 * Projections, the query side of CQRS: a read model in PostgreSQL fed by a topic's events. Each batch of
 * events is applied and the reader's checkpoint saved **in the same transaction**, so after a crash the
 * model and its position can never disagree: a batch is either in both or in neither, and the events are
 * applied exactly once to the table.
 *
 * A rebuild fills a new table from the topic's history (mqa/replay) while the old one keeps serving, then
 * swaps the two in one transaction. A rebuild killed half-way resumes from its own checkpoint. A live
 * projector that runs during the swap notices, because the checkpoint it saved is not there any more: it
 * rolls its batch back and goes on from the rebuilt model's position. So no event is lost between the
 * rebuild's end and the swap, and none is applied twice.
 */
import { InvalidOptionsError, MqaError } from "../core/errors.js";
import type { Message } from "../core/message.js";
import type { ConnectionPool, Queryable } from "../outbox/outbox.js";
import { withTransaction, type TransactionClient } from "../outbox/transaction.js";
import { PostgresCheckpointStore } from "../replay/checkpoint-postgres.js";
import { openReplay } from "../replay/open.js";
import type { ReplayOptions } from "../replay/options.js";
import type { ReplayReader } from "../replay/reader.js";

const IDENT = /^[a-z_][a-z0-9_]{0,40}$/;

/** What a read model is: its table, how to create it, how events change it. */
export interface ProjectionDefinition {
  /** Names the checkpoints (`projection:<name>`, `projection:<name>:rebuild`). */
  readonly name: string;
  /** The topic whose events feed it. */
  readonly topic: string;
  /** The live table (a lowercase SQL identifier). The rebuild fills `<table>__rebuild`. */
  readonly table: string;
  /** SQL that creates the model's table under the name given (the live name, or the rebuild's). */
  createTable(table: string): string | readonly string[];
  /**
   * Apply a batch of events, in order, to `table`, through `tx` (the open transaction the checkpoint is saved
   * in). Write only through `tx`. A batch is applied again only if its transaction rolled back.
   */
  apply(tx: Queryable, table: string, events: readonly Message[]): Promise<void>;
}

/** How far a catch-up or a rebuild has got. */
export interface ProjectionProgress {
  /** `reopened`: the model was swapped under this live projector, which goes on from the new position. */
  phase: "live" | "rebuild" | "swap" | "reopened";
  /** Events applied by this call so far. */
  applied: number;
  /** The reader's position after the last batch committed. */
  cursor: string | undefined;
  /** Events per second since this call began. */
  rate: number;
}

export interface ProjectionOptions {
  /** The broker the topic is on (`redis://…`, `amqp://…`: RabbitMQ reads the topic's history stream). */
  url: string;
  /** PostgreSQL (`pg.Pool`): one connection per batch, for its transaction. */
  pool: ConnectionPool & Queryable;
  /** Where checkpoints are kept. @defaultValue "mqa_replay_checkpoints" */
  checkpointTable?: string;
  /** Events per batch and transaction. @defaultValue 500 */
  batchSize?: number;
  /** How the topic is read: key prefix, topology, TLS (as `openReplay` takes them). */
  replay?: Pick<ReplayOptions, "keyPrefix" | "key" | "fields" | "topology" | "queue" | "tls">;
  /** Told after every committed batch. */
  onProgress?: (progress: ProjectionProgress) => void;
}

type Tx = TransactionClient;

/** A projection's rows were swapped under a live projector: it reopens from the new position. */
class Moved extends Error {}

/** Runs one projection: catches up (once or following the topic) and rebuilds. */
export class Projection {
  private readonly store: PostgresCheckpointStore;
  private readonly live: string;
  private readonly rebuilding: string;
  private readonly rebuildTable: string;
  private readonly oldTable: string;
  private stopping = false;
  private reader: ReplayReader | undefined;

  constructor(
    readonly definition: ProjectionDefinition,
    private readonly options: ProjectionOptions,
  ) {
    if (!IDENT.test(definition.table))
      throw new InvalidOptionsError(
        `projection '${definition.name}': table '${definition.table}' must be a lowercase SQL identifier of at most 41 characters`,
      );
    if (definition.name.length === 0 || definition.name.length > 150)
      throw new InvalidOptionsError("a projection's name is 1 to 150 characters");
    this.store = new PostgresCheckpointStore({
      db: options.pool,
      ...(options.checkpointTable !== undefined ? { table: options.checkpointTable } : {}),
    });
    this.live = `projection:${definition.name}`;
    this.rebuilding = `projection:${definition.name}:rebuild`;
    this.rebuildTable = `${definition.table}__rebuild`;
    this.oldTable = `${definition.table}__old`;
  }

  /** Create the live table if it does not exist yet. */
  async ensureTable(): Promise<void> {
    await this.inTransaction(async (tx) => {
      if (await tableExists(tx, this.definition.table)) return;
      for (const sql of statements(this.definition.createTable(this.definition.table))) await tx.query(sql);
    });
  }

  /**
   * Apply every event not applied yet to the live table. With `follow`, keep applying new ones until
   * {@link stop}. Resolves with the number of events applied.
   */
  async catchUp(options: { follow?: boolean } = {}): Promise<number> {
    await this.ensureTable();
    await this.store.ensureTable();
    this.stopping = false;
    let applied = 0;
    const began = Date.now();
    for (;;) {
      try {
        applied += await this.feed(
          "live",
          this.live,
          this.definition.table,
          options.follow ?? false,
          began,
          applied,
        );
        return applied;
      } catch (err) {
        if (!(err instanceof Moved)) throw err;
        // Rebuilt and swapped under us: go on from the new model's position.
        this.options.onProgress?.({
          phase: "reopened",
          applied,
          cursor: await this.store.load(this.live),
          rate: rate(applied, began),
        });
      }
    }
  }

  /**
   * Rebuild the model from the start of the topic's history into a new table while the live one serves,
   * then swap them. Resumes a rebuild that was interrupted. Resolves with the events applied by this call.
   */
  async rebuild(): Promise<number> {
    await this.store.ensureTable();
    const resumeFrom = await this.store.load(this.rebuilding);
    await this.inTransaction(async (tx) => {
      const exists = await tableExists(tx, this.rebuildTable);
      if (resumeFrom !== undefined && exists) return; // resume: the table holds what the checkpoint says
      await tx.query(`DROP TABLE IF EXISTS ${this.rebuildTable}`);
      for (const sql of statements(this.definition.createTable(this.rebuildTable))) await tx.query(sql);
      await tx.query(`DELETE FROM ${this.store.table} WHERE name = $1`, [this.rebuilding]);
    });
    this.stopping = false;
    const began = Date.now();
    const applied = await this.feed("rebuild", this.rebuilding, this.rebuildTable, false, began, 0);
    if (this.stopping) return applied;
    await this.swap();
    this.options.onProgress?.({
      phase: "swap",
      applied,
      cursor: await this.store.load(this.live),
      rate: rate(applied, began),
    });
    return applied;
  }

  /** Stop a following catch-up (or a rebuild) after the batch under way; the promise it returned resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.reader?.close();
  }

  /** Swap the rebuilt table in, with its checkpoint, in one transaction. */
  private async swap(): Promise<void> {
    const { table } = this.definition;
    await this.inTransaction(async (tx) => {
      // Writing the live checkpoint first takes its row lock: a live projector's batch (which locks it first
      // thing) finishes before, or waits until after, the swap; then it sees the new position and reopens.
      const position = await this.store.load(this.rebuilding, tx);
      if (position === undefined)
        await tx.query(`DELETE FROM ${this.store.table} WHERE name = $1`, [this.live]);
      else await this.store.save(this.live, position, tx);
      await tx.query(`DROP TABLE IF EXISTS ${this.oldTable}`);
      if (await tableExists(tx, table)) await tx.query(`ALTER TABLE ${table} RENAME TO ${this.oldTable}`);
      await tx.query(`ALTER TABLE ${this.rebuildTable} RENAME TO ${table}`);
      await tx.query(`DROP TABLE IF EXISTS ${this.oldTable}`);
      await tx.query(`DELETE FROM ${this.store.table} WHERE name = $1`, [this.rebuilding]);
    });
  }

  /** Read from `checkpoint`'s position and apply batch by batch into `table`, checkpoint in each transaction. */
  private async feed(
    phase: "live" | "rebuild",
    checkpoint: string,
    table: string,
    follow: boolean,
    began: number,
    before: number,
  ): Promise<number> {
    const reader = await openReplay(this.options.url, this.definition.topic, {
      ...this.options.replay,
      batchSize: this.options.batchSize ?? 500,
      follow,
      checkpoint: { name: checkpoint, store: this.store, save: "manual" },
    });
    this.reader = reader;
    // The position this projector last saw saved: another position there means the model was swapped.
    let expected = reader.resumedAfter;
    let applied = 0;
    // Following, a projector may wait long for its next event: meanwhile a check every second notices a
    // swap (its checkpoint moved) and wakes it to reopen from the new position.
    let moved = false;
    const watch = follow
      ? setInterval(() => {
          const want = expected;
          void this.store.load(checkpoint).then(
            async (saved) => {
              if (saved === want || want !== expected || moved) return;
              moved = true;
              await reader.close();
            },
            () => undefined, // the next batch's transaction will tell
          );
        }, 1000)
      : undefined;
    try {
      for (;;) {
        if (this.stopping) break;
        let batch;
        try {
          batch = await reader.next();
        } catch (err) {
          if (moved && MqaError.is(err, "closed")) throw new Moved();
          if (this.stopping && MqaError.is(err, "closed")) break;
          throw err;
        }
        if (moved) throw new Moved(); // closed by the watch, whichever way the reader ended
        if (batch === undefined) break;
        const { messages, cursor } = batch;
        await this.inTransaction(async (tx) => {
          const saved = await lockCheckpoint(tx, this.store.table, checkpoint);
          if (saved !== expected) throw new Moved();
          await this.definition.apply(
            tx,
            table,
            messages.map((m) => m.message),
          );
          await this.store.save(checkpoint, cursor, tx);
        });
        expected = cursor;
        applied += messages.length;
        this.options.onProgress?.({
          phase,
          applied: before + applied,
          cursor,
          rate: rate(before + applied, began),
        });
      }
      return applied;
    } finally {
      clearInterval(watch);
      this.reader = undefined;
      await reader.close();
    }
  }

  private inTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    // `Moved` is the projection's own signal (swapped under a live projector): the client is fine.
    return withTransaction(this.options.pool, fn, (err) => err instanceof Moved);
  }
}

const rate = (applied: number, began: number): number => (applied * 1000) / Math.max(1, Date.now() - began);

const statements = (sql: string | readonly string[]): readonly string[] =>
  typeof sql === "string" ? [sql] : sql;

async function tableExists(tx: Queryable, table: string): Promise<boolean> {
  const { rows } = await tx.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [table]);
  return (rows[0] as { exists?: boolean } | undefined)?.exists === true;
}

/** Lock checkpoint `name`'s row for this transaction and read it. */
async function lockCheckpoint(tx: Queryable, table: string, name: string): Promise<string | undefined> {
  const { rows } = await tx.query(`SELECT position FROM ${table} WHERE name = $1 FOR UPDATE`, [name]);
  const position = (rows[0] as { position?: unknown } | undefined)?.position;
  return typeof position === "string" ? position : undefined;
}
