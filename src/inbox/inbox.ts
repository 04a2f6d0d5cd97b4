/**
 * The inbox: durable idempotency. A store records "this message was processed by this group" in the same
 * atomic step as the handler's own effects, so a message redelivered after a crash, to another process or
 * while the first copy still runs, has its effects applied exactly once. The store decides what "the same
 * atomic step" covers: a PostgreSQL transaction ({@link PostgresInbox}) or one Redis script
 * ({@link RedisInbox}).
 *
 * Order of events for one delivery: claim the key (or find it done, or held by a running copy) → run the
 * handler inside the claim → commit the effects with the "processed" mark → ack. A crash before the commit
 * leaves nothing behind and the message is redelivered; a crash after it leaves the mark, and the
 * redelivery is acked without running the handler.
 */
import type { MessageContext, Middleware } from "../core/context.js";
import { MqaError } from "../core/errors.js";

/** The identity of one message for one group. */
export interface InboxKey {
  /** The stored key: `<group>:<message id>` unless {@link InboxMiddlewareOptions.key} says otherwise. */
  readonly key: string;
  readonly group: string;
  readonly messageId: string;
}

/** What became of one delivery in the store. */
export type InboxOutcome =
  /** The work ran and its effects were committed with the mark. */
  | "processed"
  /** The work ran but asked to roll back (it retried or dead-lettered the message itself). */
  | "rolled-back"
  /** Already processed: the work did not run. */
  | "duplicate"
  /** Another copy is running right now (and did not finish within the wait): the work did not run. */
  | "busy";

/**
 * A durable record of processed messages. `run` must keep these rules:
 * - `work` runs only if `key` is neither recorded nor held by a running copy;
 * - what `work` wrote through `writes` is committed atomically with the record, only if `work` resolves to
 *   true; it is discarded if `work` throws or resolves to false;
 * - two concurrent `run`s of one key never both run `work` to a commit.
 */
export interface InboxStore<W> {
  run(key: InboxKey, work: (writes: W) => Promise<boolean>): Promise<InboxOutcome>;
}

export interface InboxMiddlewareOptions {
  /** Stored key of a message. @defaultValue `<group>:<message id>` */
  key?: (message: { id: string; topic: string }, group: string) => string;
  /** Called for each duplicate acked without running the handler. */
  onDuplicate?: (messageId: string) => void;
  /**
   * When another copy is still running (`busy`), offer this delivery again after this long, without counting
   * an attempt. @defaultValue 1000
   */
  busyRetryDelayMs?: number;
}

/** Key in `ctx.state` under which a store puts the handle of the running unit of work. */
export const INBOX_WRITES = "mqa.inbox.writes";

/** The handle `store` gave the handler of `ctx` (its transaction client, its queued writes). */
export function inboxWritesOf<W>(ctx: MessageContext<unknown>, owner: object): W {
  const slot = ctx.state[INBOX_WRITES] as { owner: object; writes: W } | undefined;
  if (slot === undefined || slot.owner !== owner)
    throw new MqaError(
      "invalid-options",
      `no inbox is running for message ${ctx.message.id} of ${ctx.message.topic}/${ctx.delivery.group}: put this store's middleware() in the route's middleware, and call this inside the handler (not after it returned)`,
    );
  return slot.writes;
}

/**
 * Middleware running the rest of the chain inside `store`: duplicates are acked without running the
 * handler, a copy running elsewhere defers this one, and the handler's effects commit with the mark
 * before the router acks. Put it in the route's `middleware` (inside retry and dead-letter), so a failed
 * attempt rolls back before it is retried.
 */
export function inboxMiddleware<W>(
  store: InboxStore<W>,
  owner: object,
  options: InboxMiddlewareOptions = {},
): Middleware {
  const keyOf = options.key ?? ((m, group) => `${group}:${m.id}`);
  const busyDelay = options.busyRetryDelayMs ?? 1000;
  return (next) => async (ctx) => {
    const key: InboxKey = {
      key: keyOf(ctx.message, ctx.delivery.group),
      group: ctx.delivery.group,
      messageId: ctx.message.id,
    };
    const outcome = await store.run(key, async (writes) => {
      ctx.state[INBOX_WRITES] = { owner, writes };
      try {
        await next(ctx);
      } finally {
        delete ctx.state[INBOX_WRITES];
      }
      // Settled as retry or dead letter by something inside: this attempt did not succeed, keep nothing.
      return ctx.settledAs === undefined || ctx.settledAs === "ack";
    });
    if (outcome === "duplicate") {
      options.onDuplicate?.(ctx.message.id);
      ctx.logger.debug({ messageId: ctx.message.id }, "inbox: already processed; acked");
      await ctx.delivery.ack();
    } else if (outcome === "busy") {
      ctx.logger.debug({ messageId: ctx.message.id }, "inbox: a copy is running elsewhere; deferred");
      await ctx.delivery.retry({ delayMs: busyDelay, countAttempt: false });
    }
  };
}

/** The handler used its inbox handle after its unit of work ended (it kept running past a timeout). */
export class InboxClosedError extends MqaError {
  constructor(message: string) {
    super("closed", message);
  }
}
