/**
 * Message-driven sagas: each step is a command sent to another service, and the saga moves on when that
 * service's reply arrives, or gives up when it does not come in time. Nothing waits in memory: the state of
 * every instance is a PostgreSQL row, the pending reply is a message on the broker, and the timeout is a
 * message too, held broker-side by mqa's retry delay until it falls due. A coordinator that dies between
 * sending a command and hearing the reply loses nothing: the reply waits on the broker for the next one.
 *
 * Exactly one coordinator acts on an instance at a time: every reply and every timeout is handled inside a
 * transaction that locks the instance's row (`SELECT … FOR UPDATE`), checks that the message answers the
 * step the instance waits for (a token per step and attempt), publishes what follows (confirmed by the
 * broker) and commits. A late reply (after its timeout), a duplicate, or a reply to a finished instance is
 * acknowledged and ignored. Messages this publishes have deterministic ids (`<saga id>/<step>/…`), so a
 * crash between publishing and committing only repeats them with the same id: services that consume
 * commands and compensations idempotently (mqa/inbox) act on each once.
 *
 * Wire protocol (so services in any language can take part), docs/saga.md:
 * - a command carries `correlationId` = the saga id, and headers `x-mqa-saga` (saga name),
 *   `x-mqa-saga-step` (step name), `x-mqa-saga-token` and `x-mqa-reply-to` (the topic to reply on);
 * - a reply goes to that topic with the same correlation id and token, payload
 *   `{"ok": true, "value": …}` or `{"ok": false, "error": "…"}` ({@link replyToSaga} does it).
 */
import type { Logger } from "pino";
import { jsonCodec } from "../core/codec.js";
import type { MessageContext } from "../core/context.js";
import { InvalidOptionsError, summarizeError, UnrecoverableError } from "../core/errors.js";
import type { OutgoingMessage } from "../core/message.js";
import type { Router } from "../core/router.js";
import type { Publisher } from "../core/transport.js";
import { silentLogger } from "../log/logger.js";
import type { ConnectionPool, Queryable } from "../outbox/outbox.js";
import { withTransaction, type TransactionClient } from "../outbox/transaction.js";

export const SAGA_HEADER = "x-mqa-saga";
export const SAGA_STEP_HEADER = "x-mqa-saga-step";
export const SAGA_TOKEN_HEADER = "x-mqa-saga-token";
export const SAGA_REPLY_TO_HEADER = "x-mqa-reply-to";

/** What a step's command builder and `onReply` see. */
export interface CommandStepContext {
  readonly sagaId: string;
  readonly step: string;
}

/** A command to another service: the topic it goes to and its payload (JSON). */
export interface SagaCommand<D> {
  topic: string;
  payload(data: D, ctx: CommandStepContext): unknown;
}

/** The reply to a step's command. */
export type SagaReply = { ok: true; value: unknown } | { ok: false; error: string };

export interface CommandStep<D> {
  name: string;
  /** What to ask, and of whom. */
  command: SagaCommand<D>;
  /** How long to wait for the reply before the step counts as failed. */
  timeoutMs: number;
  /**
   * A successful reply arrived: what it changes in the saga's data (merged and stored). Throw to fail the
   * step all the same (e.g. the reply says "declined" in its own words).
   */
  onReply?(value: unknown, data: D, ctx: CommandStepContext): Partial<D> | void;
  /**
   * How to undo the step once it completed and a later one failed: a command sent (confirmed, at least
   * once, with a deterministic id) and not waited for. Omit for steps with nothing to undo.
   */
  compensate?: SagaCommand<D>;
}

export interface MessageSagaDefinition<D> {
  readonly name: string;
  readonly steps: readonly CommandStep<D>[];
}

/** Define a message-driven saga: a name and its command steps in order (names unique). */
export function defineMessageSaga<D extends object>(
  name: string,
  steps: readonly CommandStep<D>[],
): MessageSagaDefinition<D> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new InvalidOptionsError(`saga name '${name}' may hold letters, digits, '.', '_' and '-' only`);
  if (steps.length === 0) throw new InvalidOptionsError(`saga '${name}' needs at least one step`);
  const seen = new Set<string>();
  for (const [i, s] of steps.entries()) {
    if (seen.has(s.name)) throw new InvalidOptionsError(`saga '${name}' has two steps named '${s.name}'`);
    seen.add(s.name);
    if (!Number.isInteger(s.timeoutMs) || s.timeoutMs < 1 || s.timeoutMs > 2_147_483_647)
      throw new InvalidOptionsError(
        `saga '${name}' step ${i} ('${s.name}'): timeoutMs must be a positive integer of milliseconds`,
      );
  }
  return { name, steps };
}

export type MessageSagaStatus = "waiting" | "completed" | "compensated";

export interface MessageSagaState<D> {
  id: string;
  saga: string;
  status: MessageSagaStatus;
  /** Waiting: the step whose reply is awaited. Finished: how far it got. */
  step: number;
  data: D;
  /** Why it compensated. */
  error: string | null;
  /** Waiting: when the step times out. */
  deadline: Date | null;
}

/** What a coordinator did, for logs, metrics and tests. */
export type SagaEvent =
  | { type: "command-sent"; sagaId: string; step: string }
  | { type: "step-completed"; sagaId: string; step: string }
  | { type: "step-failed"; sagaId: string; step: string; error: string; timedOut: boolean }
  | { type: "compensation-sent"; sagaId: string; step: string }
  | { type: "completed" | "compensated"; sagaId: string }
  | { type: "ignored"; sagaId: string; why: string };

export interface SagaCoordinatorOptions {
  /** Where commands, compensations and timeouts are published (a transport). */
  publisher: Publisher;
  /** PostgreSQL (`pg.Pool`): one connection per reply or timeout, for its transaction. */
  pool: ConnectionPool;
  /** @defaultValue "mqa_message_sagas" */
  table?: string;
  /** The topic replies come back on. @defaultValue `<saga name>.replies` */
  replyTopic?: string;
  /** The topic of the saga's own timeouts. @defaultValue `<saga name>.timeouts` */
  timeoutTopic?: string;
  /** The coordinators' consumer group on both. @defaultValue "saga-coordinator" */
  group?: string;
  /**
   * A reply for an instance not (yet) in the table is tried this many times, a second apart, then
   * dead-lettered: it may have overtaken the commit of its own command. @defaultValue 10
   */
  unknownReplyAttempts?: number;
  logger?: Logger;
  onEvent?: (event: SagaEvent) => void;
}

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Create the table of message-driven saga instances if it does not exist (run it in a migration). */
export async function ensureMessageSagaTable(db: Queryable, table = "mqa_message_sagas"): Promise<void> {
  if (!IDENT.test(table))
    throw new InvalidOptionsError(`saga table name '${table}' must be a lowercase SQL identifier`);
  await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
    id text PRIMARY KEY,
    saga text NOT NULL,
    status text NOT NULL,
    step integer NOT NULL,
    data jsonb NOT NULL,
    error text,
    token text,
    deadline timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`);
}

/** A stored instance: its state and the token of the reply it waits for. */
interface Row<D> extends MessageSagaState<D> {
  token: string | null;
}

interface TimeoutPayload {
  sagaId: string;
  token: string;
  due: number;
}

type Tx = TransactionClient;

/** Starts instances of one message-driven saga and moves them on as replies and timeouts arrive. */
export class SagaCoordinator<D extends object> {
  private readonly table: string;
  readonly replyTopic: string;
  readonly timeoutTopic: string;
  private readonly group: string;
  private readonly log: Logger;

  constructor(
    readonly saga: MessageSagaDefinition<D>,
    private readonly options: SagaCoordinatorOptions,
  ) {
    this.table = options.table ?? "mqa_message_sagas";
    if (!IDENT.test(this.table))
      throw new InvalidOptionsError(`saga table name '${this.table}' must be a lowercase SQL identifier`);
    this.replyTopic = options.replyTopic ?? `${saga.name}.replies`;
    this.timeoutTopic = options.timeoutTopic ?? `${saga.name}.timeouts`;
    this.group = options.group ?? "saga-coordinator";
    this.log = (options.logger ?? silentLogger()).child({ saga: saga.name });
  }

  /**
   * Register the coordinator's two routes (replies, timeouts) on `router`; start the router afterwards.
   * Run as many coordinators as you like: the row lock lets one act on an instance at a time.
   */
  routes(router: Router): this {
    router.handle({
      topic: this.replyTopic,
      group: this.group,
      handler: (_payload, ctx) => this.onReply(ctx),
    });
    router.handle({
      topic: this.timeoutTopic,
      group: this.group,
      handler: (_payload, ctx) => this.onTimeout(ctx),
    });
    return this;
  }

  /**
   * Start instance `id` with `data`: store it and send the first step's command and its timeout. Resolves
   * when all three are durable (the row committed, both messages confirmed by the broker). Starting an id
   * that exists changes nothing and returns its state.
   */
  async start(id: string, data: D): Promise<MessageSagaState<D>> {
    if (id.length === 0 || id.length > 200) throw new InvalidOptionsError("a saga id is 1 to 200 characters");
    return this.inTransaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO ${this.table} (id, saga, status, step, data) VALUES ($1, $2, 'waiting', 0, $3)
         ON CONFLICT (id) DO NOTHING`,
        [id, this.saga.name, JSON.stringify(data)],
      );
      const row = await this.lock(tx, id);
      if (row === undefined) throw new Error(`saga instance '${id}' vanished while starting`);
      if (inserted.rowCount === 0) return stateOf(row);
      return stateOf(await this.sendStep(tx, row, 0, data));
    });
  }

  /** The stored state of an instance. */
  async state(id: string): Promise<MessageSagaState<D> | undefined> {
    const client = await this.options.pool.connect();
    try {
      const rows = (
        await client.query(
          `SELECT id, saga, status, step, data, error, token, deadline FROM ${this.table} WHERE id = $1`,
          [id],
        )
      ).rows as Row<D>[];
      return rows[0] && stateOf(rows[0]);
    } finally {
      client.release();
    }
  }

  private emit(event: SagaEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (err) {
      this.log.warn({ err: summarizeError(err, 2) }, "a saga event listener threw");
    }
  }

  private inTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withTransaction(this.options.pool, fn);
  }

  private async lock(tx: Tx, id: string): Promise<Row<D> | undefined> {
    const rows = (
      await tx.query(
        `SELECT id, saga, status, step, data, error, token, deadline FROM ${this.table} WHERE id = $1 FOR UPDATE`,
        [id],
      )
    ).rows as Row<D>[];
    return rows[0];
  }

  private publish(topic: string, message: OutgoingMessage): Promise<unknown> {
    return this.options.publisher.publish(topic, message);
  }

  /** Send step `index`'s command and its timeout; store that the instance waits for it. */
  private async sendStep(tx: Tx, row: Row<D>, index: number, data: D): Promise<Row<D>> {
    const step = this.saga.steps[index]!;
    // One token per step of an instance: a reply must carry it, so replies to anything else are told apart.
    const token = `${row.id}/${index}/${step.name}`;
    const ctx = { sagaId: row.id, step: step.name };
    const due = Date.now() + step.timeoutMs;
    await this.publish(step.command.topic, {
      id: `${token}/command`,
      payload: jsonCodec.encode(step.command.payload(data, ctx)),
      contentType: jsonCodec.contentType,
      correlationId: row.id,
      headers: {
        [SAGA_HEADER]: this.saga.name,
        [SAGA_STEP_HEADER]: step.name,
        [SAGA_TOKEN_HEADER]: token,
        [SAGA_REPLY_TO_HEADER]: this.replyTopic,
      },
    });
    const timeout: TimeoutPayload = { sagaId: row.id, token, due };
    await this.publish(this.timeoutTopic, {
      id: `${token}/timeout`,
      payload: jsonCodec.encode(timeout),
      contentType: jsonCodec.contentType,
      correlationId: row.id,
    });
    await tx.query(
      `UPDATE ${this.table} SET status = 'waiting', step = $2, data = $3, token = $4, deadline = $5,
         error = NULL, updated_at = now() WHERE id = $1`,
      [row.id, index, JSON.stringify(data), token, new Date(due)],
    );
    this.emit({ type: "command-sent", sagaId: row.id, step: step.name });
    return { ...row, status: "waiting", step: index, data, token, deadline: new Date(due), error: null };
  }

  private async finish(tx: Tx, row: Row<D>, status: "completed" | "compensated", error: string | null) {
    await tx.query(
      `UPDATE ${this.table} SET status = $2, error = $3, token = NULL, deadline = NULL, data = $4,
         step = $5, updated_at = now() WHERE id = $1`,
      [row.id, status, error, JSON.stringify(row.data), row.step],
    );
    this.emit({ type: status, sagaId: row.id });
  }

  /** The step at `row.step` failed: send the compensations of the steps before it, newest first. */
  private async compensate(tx: Tx, row: Row<D>, error: string): Promise<void> {
    for (let i = row.step - 1; i >= 0; i--) {
      const step = this.saga.steps[i]!;
      if (step.compensate === undefined) continue;
      await this.publish(step.compensate.topic, {
        id: `${row.id}/${i}/${step.name}/compensate`,
        payload: jsonCodec.encode(step.compensate.payload(row.data, { sagaId: row.id, step: step.name })),
        contentType: jsonCodec.contentType,
        correlationId: row.id,
        headers: { [SAGA_HEADER]: this.saga.name, [SAGA_STEP_HEADER]: step.name },
      });
      this.emit({ type: "compensation-sent", sagaId: row.id, step: step.name });
    }
    await this.finish(tx, row, "compensated", error);
  }

  private async onReply(ctx: MessageContext<unknown>): Promise<void> {
    const m = ctx.message;
    const sagaId = m.correlationId;
    const token = m.headers[SAGA_TOKEN_HEADER];
    if (sagaId === undefined || token === undefined)
      throw new UnrecoverableError(
        `a reply on ${this.replyTopic} needs a correlation id (the saga id) and the ${SAGA_TOKEN_HEADER} header of its command`,
      );
    const reply = parseReply(ctx.payload);
    const known = await this.inTransaction(async (tx) => {
      const row = await this.lock(tx, sagaId);
      if (row === undefined) return false;
      if (row.saga !== this.saga.name || row.status !== "waiting" || row.token !== token) {
        this.emit({ type: "ignored", sagaId, why: `reply for ${token} while ${row.status} at ${row.token}` });
        return true;
      }
      const step = this.saga.steps[row.step]!;
      const stepCtx = { sagaId, step: step.name };
      let failure: string | undefined;
      let data = row.data;
      if (reply.ok) {
        try {
          const changes = step.onReply?.(reply.value, row.data, stepCtx);
          if (changes) data = { ...row.data, ...changes };
        } catch (err) {
          failure = summarizeError(err).message;
        }
      } else failure = reply.error;
      if (failure !== undefined) {
        this.emit({ type: "step-failed", sagaId, step: step.name, error: failure, timedOut: false });
        await this.compensate(tx, row, `${step.name}: ${failure}`);
        return true;
      }
      this.emit({ type: "step-completed", sagaId, step: step.name });
      const next = row.step + 1;
      if (next < this.saga.steps.length) await this.sendStep(tx, row, next, data);
      else await this.finish(tx, { ...row, data, step: next }, "completed", null);
      return true;
    });
    if (!known) {
      // Its command's transaction may not have committed yet; after a while it is a stranger.
      if (m.attempt < (this.options.unknownReplyAttempts ?? 10)) {
        await ctx.delivery.retry({ delayMs: 1000 });
        return;
      }
      throw new UnrecoverableError(`a reply for saga instance '${sagaId}', which does not exist`);
    }
  }

  private async onTimeout(ctx: MessageContext<unknown>): Promise<void> {
    const t = ctx.payload as Partial<TimeoutPayload> | undefined;
    if (typeof t?.sagaId !== "string" || typeof t.token !== "string" || typeof t.due !== "number")
      throw new UnrecoverableError(`a timeout on ${this.timeoutTopic} needs sagaId, token and due`);
    const wait = t.due - Date.now();
    if (wait > 0) {
      // Not due yet: back to the broker until it is (a delay, not an attempt).
      await ctx.delivery.retry({ delayMs: wait, countAttempt: false });
      return;
    }
    const { sagaId, token } = t;
    await this.inTransaction(async (tx) => {
      const row = await this.lock(tx, sagaId);
      if (row === undefined || row.status !== "waiting" || row.token !== token) return; // answered in time
      const step = this.saga.steps[row.step]!;
      const error = `no reply within ${step.timeoutMs} ms`;
      this.emit({ type: "step-failed", sagaId, step: step.name, error, timedOut: true });
      await this.compensate(tx, row, `${step.name}: ${error}`);
    });
  }
}

function parseReply(payload: unknown): SagaReply {
  const p = payload as { ok?: unknown; value?: unknown; error?: unknown } | null | undefined;
  if (p !== null && typeof p === "object" && p.ok === true) return { ok: true, value: p.value };
  if (p !== null && typeof p === "object" && p.ok === false)
    return { ok: false, error: typeof p.error === "string" ? p.error : JSON.stringify(p.error ?? "failed") };
  throw new UnrecoverableError(`a saga reply is {"ok": true, "value": …} or {"ok": false, "error": "…"}`);
}

function stateOf<D>(row: Row<D>): MessageSagaState<D> {
  return {
    id: row.id,
    saga: row.saga,
    status: row.status,
    step: row.step,
    data: row.data,
    error: row.error,
    deadline: row.deadline,
  };
}

/**
 * Answer a saga's command from the service that handled it: publishes the reply to the topic the command
 * names, with its correlation id and token. `ctx` is the command's handler context.
 */
export async function replyToSaga(ctx: MessageContext<unknown>, reply: SagaReply): Promise<void> {
  const to = ctx.message.headers[SAGA_REPLY_TO_HEADER];
  const token = ctx.message.headers[SAGA_TOKEN_HEADER];
  if (to === undefined || token === undefined)
    throw new InvalidOptionsError(
      `replyToSaga: message ${ctx.message.id} is not a saga command (no ${SAGA_REPLY_TO_HEADER} or ${SAGA_TOKEN_HEADER} header)`,
    );
  await ctx.publish(to, reply, {
    id: `${token}/reply`,
    headers: { [SAGA_TOKEN_HEADER]: token },
  });
}
