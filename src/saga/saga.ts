/**
 * Sagas: a business process of several steps, each with a compensation, that either completes or undoes
 * what it did — durably. The state of every instance lives in a PostgreSQL table and is written before and
 * after each step, so a coordinator that dies mid-way is resumed by another (or by itself on restart).
 *
 * Guarantees: each step runs at least once until it succeeds or exhausts its attempts (so steps must be
 * idempotent; the instance id is there to key them, e.g. as the message id of what they publish through
 * `mqa/outbox`); when a step fails for good, the compensations of the steps that completed run in reverse
 * order, each also at least once; a compensation that fails for good leaves the instance `failed`, with its
 * error, for a person to look at. One coordinator works on an instance at a time (a lease in the row).
 */
import type { Logger } from "pino";
import { backoffDelay } from "../core/backoff.js";
import { InvalidOptionsError, summarizeError } from "../core/errors.js";
import { sleep } from "../core/sleep.js";
import { silentLogger } from "../log/logger.js";
import type { Queryable } from "../outbox/outbox.js";
import { withActiveTraceHeaders } from "../tracing/current.js";
import { inSpan } from "../tracing/span.js";

/** What a step or compensation receives. */
export interface StepContext {
  /** The saga instance id (stable across retries and resumptions: key idempotent side effects with it). */
  readonly sagaId: string;
  readonly step: string;
  /** 1 on the first try of this step in this instance. */
  readonly attempt: number;
}

export interface SagaStep<D> {
  name: string;
  /** Do the step; may return changes to the saga's data (merged, persisted with the progress). */
  run(data: D, ctx: StepContext): Promise<Partial<D> | void>;
  /** Undo the step (called only if it completed). Omit for steps with nothing to undo. */
  compensate?(data: D, ctx: StepContext): Promise<void>;
  /** Tries before the step counts as failed. @defaultValue 3 */
  attempts?: number;
}

export interface SagaDefinition<D> {
  readonly name: string;
  readonly steps: readonly SagaStep<D>[];
}

/** Define a saga: a name and its steps in order (names unique). */
export function defineSaga<D extends object>(name: string, steps: readonly SagaStep<D>[]): SagaDefinition<D> {
  if (steps.length === 0) throw new InvalidOptionsError(`saga '${name}' needs at least one step`);
  const seen = new Set<string>();
  for (const s of steps) {
    if (seen.has(s.name)) throw new InvalidOptionsError(`saga '${name}' has two steps named '${s.name}'`);
    seen.add(s.name);
  }
  return { name, steps };
}

export type SagaStatus = "running" | "compensating" | "completed" | "compensated" | "failed";

export interface SagaState<D> {
  id: string;
  saga: string;
  status: SagaStatus;
  /** Running: the next step to run. Compensating: the next completed step to undo. */
  step: number;
  data: D;
  /** Why the saga is compensating or failed. */
  error: string | null;
}

export interface SagaRunnerOptions {
  /** A pool (`pg.Pool`); each state change is one short statement. */
  db: Queryable;
  /** @defaultValue "mqa_sagas" */
  table?: string;
  /** How long a coordinator owns an instance without renewing it (each step renews). @defaultValue 30000 */
  leaseMs?: number;
  /** Backoff between tries of a step. @defaultValue 200 ms doubling up to 10 s */
  retry?: { baseMs: number; maxMs: number };
  logger?: Logger;
}

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Create the saga table if it does not exist (run it in a migration). */
export async function ensureSagaTable(db: Queryable, table = "mqa_sagas"): Promise<void> {
  if (!IDENT.test(table))
    throw new InvalidOptionsError(`saga table name '${table}' must be a lowercase SQL identifier`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
    id text PRIMARY KEY,
    saga text NOT NULL,
    status text NOT NULL,
    step integer NOT NULL,
    data jsonb NOT NULL,
    error text,
    lease_owner text,
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    trace_context jsonb
  )`);
  // Tables made before sagas carried trace context (issue 15) get the column too.
  await db.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS trace_context jsonb`);
  await db.query(`CREATE INDEX IF NOT EXISTS ${table.replace(".", "_")}_open ON ${table} (saga, status)`);
}

/** Runs saga instances and resumes unfinished ones. */
export class SagaRunner {
  private readonly table: string;
  private readonly owner = `runner-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private readonly log: Logger;
  /** Trace context stored with each instance this runner holds (from `trace_context`). */
  private readonly traceOf = new Map<string, Record<string, string>>();

  constructor(private readonly options: SagaRunnerOptions) {
    this.table = options.table ?? "mqa_sagas";
    if (!IDENT.test(this.table))
      throw new InvalidOptionsError(`saga table name '${this.table}' must be a lowercase SQL identifier`);
    this.log = (options.logger ?? silentLogger()).child({ sagaTable: this.table });
  }

  /**
   * Start instance `id` of `saga` with `data` and drive it to an end. Starting an id that exists already
   * does not start it again: it resumes it if unfinished (and not owned by another coordinator) and
   * returns its state.
   */
  async start<D extends object>(saga: SagaDefinition<D>, id: string, data: D): Promise<SagaState<D>> {
    // The caller's trace context, kept with the instance: every step (also after a resume elsewhere) is a
    // span of that trace, and what the steps publish carries it.
    const trace = await withActiveTraceHeaders(undefined);
    await this.options.db.query(
      `INSERT INTO ${this.table} (id, saga, status, step, data, trace_context) VALUES ($1, $2, 'running', 0, $3, $4) ON CONFLICT (id) DO NOTHING`,
      [id, saga.name, JSON.stringify(data), trace === undefined ? null : JSON.stringify(trace)],
    );
    return this.drive(saga, id);
  }

  /** Drive every unfinished instance of `saga` that no live coordinator owns (after a crash or restart). */
  async resume<D extends object>(saga: SagaDefinition<D>): Promise<SagaState<D>[]> {
    const rows = (
      await this.options.db.query(
        `SELECT id FROM ${this.table} WHERE saga = $1 AND status IN ('running', 'compensating')
         AND (lease_until IS NULL OR lease_until < now()) ORDER BY created_at`,
        [saga.name],
      )
    ).rows as { id: string }[];
    const out: SagaState<D>[] = [];
    for (const { id } of rows) out.push(await this.drive(saga, id));
    return out;
  }

  /**
   * Call {@link resume} for `saga` every `everyMs` (default: half the lease), so instances a dead
   * coordinator left are finished without anyone calling `resume` by hand. Passes never overlap; a
   * failed pass is logged and the next one tries again. The timer does not keep the process alive.
   * Returns a function that stops it (and waits for a pass under way).
   */
  keepResuming<D extends object>(
    saga: SagaDefinition<D>,
    options: { everyMs?: number } = {},
  ): () => Promise<void> {
    const everyMs = options.everyMs ?? Math.max(100, Math.floor((this.options.leaseMs ?? 30_000) / 2));
    let pass: Promise<void> = Promise.resolve();
    let stopped = false;
    const tick = (): void => {
      pass = this.resume(saga).then(
        (done) => {
          if (done.length > 0)
            this.log.info({ saga: saga.name, resumed: done.map((s) => s.id) }, "resumed abandoned sagas");
        },
        (err: unknown) =>
          this.log.warn(
            { saga: saga.name, err: summarizeError(err, 2) },
            "resuming sagas failed; will retry",
          ),
      );
      void pass.finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs).unref();
      });
    };
    let timer = setTimeout(tick, everyMs).unref();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await pass;
    };
  }

  /** The stored state of an instance. */
  async state<D>(id: string): Promise<SagaState<D> | undefined> {
    const rows = (
      await this.options.db.query(
        `SELECT id, saga, status, step, data, error FROM ${this.table} WHERE id = $1`,
        [id],
      )
    ).rows as SagaState<D>[];
    return rows[0];
  }

  private async drive<D extends object>(saga: SagaDefinition<D>, id: string): Promise<SagaState<D>> {
    let state = await this.claim<D>(id);
    if (!state) {
      // Finished, or another coordinator holds it: report what is stored.
      const stored = await this.state<D>(id);
      if (!stored) throw new InvalidOptionsError(`no saga instance '${id}'`);
      return stored;
    }
    if (state.saga !== saga.name)
      throw new InvalidOptionsError(
        `saga instance '${id}' belongs to saga '${state.saga}', not '${saga.name}'`,
      );
    try {
      while (state.status === "running" || state.status === "compensating") {
        state =
          state.status === "running" ? await this.forward(saga, state) : await this.backward(saga, state);
      }
      return state;
    } finally {
      this.traceOf.delete(id);
      await this.options.db.query(
        `UPDATE ${this.table} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`,
        [id, this.owner],
      );
    }
  }

  /** Take (or renew) the lease on an unfinished instance; undefined if finished or owned by another. */
  private async claim<D>(id: string): Promise<SagaState<D> | undefined> {
    const rows = (
      await this.options.db.query(
        `UPDATE ${this.table} SET lease_owner = $2, lease_until = now() + ($3::int * interval '1 millisecond')
         WHERE id = $1 AND status IN ('running', 'compensating')
           AND (lease_owner = $2 OR lease_until IS NULL OR lease_until < now())
         RETURNING id, saga, status, step, data, error, trace_context`,
        [id, this.owner, this.options.leaseMs ?? 30_000],
      )
    ).rows as (SagaState<D> & { trace_context?: Record<string, string> | null })[];
    const row = rows[0];
    if (row === undefined) return undefined;
    const { trace_context: trace, ...state } = row;
    if (trace) this.traceOf.set(id, trace);
    else this.traceOf.delete(id);
    return state;
  }

  /** Persist a transition, only while this coordinator still holds the lease. */
  private async save<D>(next: SagaState<D>): Promise<SagaState<D>> {
    const res = await this.options.db.query(
      `UPDATE ${this.table} SET status = $2, step = $3, data = $4, error = $5, updated_at = now(),
         lease_until = now() + ($7::int * interval '1 millisecond')
       WHERE id = $1 AND lease_owner = $6`,
      [
        next.id,
        next.status,
        next.step,
        JSON.stringify(next.data),
        next.error,
        this.owner,
        this.options.leaseMs ?? 30_000,
      ],
    );
    if (res.rowCount === 0)
      throw new Error(`lost the lease on saga instance '${next.id}' (another coordinator took it over)`);
    return next;
  }

  private async forward<D extends object>(saga: SagaDefinition<D>, s: SagaState<D>): Promise<SagaState<D>> {
    if (s.step >= saga.steps.length) return this.save({ ...s, status: "completed" });
    const step = saga.steps[s.step]!;
    const outcome = await this.attempt(s, step.name, step.attempts ?? 3, (ctx) => step.run(s.data, ctx));
    if (outcome.ok) {
      const data = outcome.value ? { ...s.data, ...outcome.value } : s.data;
      return this.save({ ...s, data, step: s.step + 1, error: null });
    }
    this.log.warn({ sagaId: s.id, step: step.name, err: outcome.error }, "saga step failed; compensating");
    // Undo the completed steps, the last one first (the failed one did not complete).
    return this.save({
      ...s,
      status: "compensating",
      step: s.step - 1,
      error: `${step.name}: ${outcome.error}`,
    });
  }

  private async backward<D extends object>(saga: SagaDefinition<D>, s: SagaState<D>): Promise<SagaState<D>> {
    if (s.step < 0) return this.save({ ...s, status: "compensated" });
    const step = saga.steps[s.step]!;
    if (!step.compensate) return this.save({ ...s, step: s.step - 1 });
    const compensate = step.compensate.bind(step);
    const outcome = await this.attempt(s, `compensate ${step.name}`, step.attempts ?? 3, (ctx) =>
      compensate(s.data, ctx),
    );
    if (outcome.ok) return this.save({ ...s, step: s.step - 1 });
    this.log.error(
      { sagaId: s.id, step: step.name, err: outcome.error },
      "saga compensation failed; needs a person",
    );
    return this.save({
      ...s,
      status: "failed",
      error: `${s.error ?? ""}; compensating ${step.name} failed: ${outcome.error}`.replace(/^; /, ""),
    });
  }

  private async attempt<T>(
    s: SagaState<unknown>,
    what: string,
    attempts: number,
    fn: (ctx: StepContext) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    const retry = this.options.retry ?? { baseMs: 200, maxMs: 10_000 };
    let error = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const ctx = { sagaId: s.id, step: what, attempt };
        const attributes = {
          "mqa.saga.name": s.saga,
          "mqa.saga.id": s.id,
          "mqa.saga.step": what,
          "mqa.attempt": attempt,
        };
        const value = await inSpan(`saga ${s.saga} ${what}`, this.traceOf.get(s.id), attributes, () =>
          fn(ctx),
        );
        return { ok: true, value };
      } catch (err) {
        error = summarizeError(err).message;
        if (attempt < attempts)
          await sleep(backoffDelay({ ...retry, multiplier: 2, jitter: "full" }, attempt - 1));
      }
    }
    return { ok: false, error };
  }
}
