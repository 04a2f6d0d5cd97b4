/**
 * Replay checkpoints in a PostgreSQL table (`mqa_replay_checkpoints` by default, created on first use):
 * one row per reader name. `save` takes the caller's client too, so a read model can commit its rows and the
 * checkpoint in one transaction (then the model and the position can never disagree after a crash).
 * pg stays a devDependency: the caller hands in a pool or client.
 */
import { z } from "zod";
import { parseOptions } from "../core/options.js";
import type { Queryable } from "../outbox/outbox.js";
import { assertCheckpointName, type CheckpointStore } from "./checkpoint.js";

export interface PostgresCheckpointOptions {
  /** Where queries go when no transaction is given: a `pg.Pool` (or a client). */
  db: Queryable;
  /** @defaultValue "mqa_replay_checkpoints" */
  table?: string;
}

const shape = z.strictObject({
  db: z.custom<Queryable>(
    (v) => typeof v === "object" && v !== null && typeof (v as { query?: unknown }).query === "function",
    "expected a pg.Pool or client (an object with query())",
  ),
  table: z
    .string()
    .regex(
      /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/,
      "must be a lowercase SQL identifier, optionally schema-qualified",
    )
    .optional(),
});

/** PostgreSQL "duplicate_table" / "unique_violation": two processes created the table at once. */
const CREATE_RACE = new Set(["42P07", "23505"]);

/** Replay checkpoints on PostgreSQL. */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly table: string;
  private readonly db: Queryable;
  private ready: Promise<void> | undefined;

  constructor(options: PostgresCheckpointOptions) {
    parseOptions(shape, options, "PostgresCheckpointStore options");
    this.db = options.db;
    this.table = options.table ?? "mqa_replay_checkpoints";
  }

  /** Create the table if it does not exist (done on first use; call it from a migration to do it earlier). */
  ensureTable(): Promise<void> {
    this.ready ??= this.db
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
          name text PRIMARY KEY,
          position text NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
      )
      .then(
        () => undefined,
        (err: unknown) => {
          if (CREATE_RACE.has((err as { code?: string }).code ?? "")) return;
          this.ready = undefined;
          throw err;
        },
      );
    return this.ready;
  }

  /** The cursor saved under `name`; read through `db` (a transaction's client) when given. */
  async load(name: string, db?: Queryable): Promise<string | undefined> {
    assertCheckpointName(name);
    await this.ensureTable();
    const { rows } = await (db ?? this.db).query(`SELECT position FROM ${this.table} WHERE name = $1`, [
      name,
    ]);
    const row = rows[0] as { position?: unknown } | undefined;
    return typeof row?.position === "string" ? row.position : undefined;
  }

  /**
   * Save `position` under `name`. With `db` (the client of the caller's open transaction) the row is written
   * in that transaction and is durable when the caller commits; without it, it is durable on return.
   */
  async save(name: string, position: string, db?: Queryable): Promise<void> {
    assertCheckpointName(name);
    await this.ensureTable();
    await (db ?? this.db).query(
      `INSERT INTO ${this.table} (name, position, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [name, position],
    );
  }
}
