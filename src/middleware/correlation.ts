/**
 * Correlation id propagation: every log line of a handler carries the conversation's correlation id,
 * and `currentCorrelation()` returns it anywhere down the async call chain (AsyncLocalStorage), so
 * code that publishes without the context can still stamp it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Middleware } from "../core/context.js";

export interface Correlation {
  correlationId: string;
  /** The message being handled: the cause of anything published now. */
  causationId: string;
}

const storage = new AsyncLocalStorage<Correlation>();

/** The correlation of the message being handled, if any. */
export function currentCorrelation(): Correlation | undefined {
  return storage.getStore();
}

/** Bind the correlation id to logs and to {@link currentCorrelation} for the handler's duration. */
export function correlation(): Middleware {
  return (next) => (ctx) => {
    const c: Correlation = { correlationId: ctx.correlationId, causationId: ctx.message.id };
    ctx.logger = ctx.logger.child({ correlationId: c.correlationId, messageId: ctx.message.id });
    return storage.run(c, () => next(ctx));
  };
}
