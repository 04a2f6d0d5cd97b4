/**
 * Dead-letter what nothing else could handle, with the reason in headers: error name and code, message,
 * a trimmed stack, attempts, original destination (added by the transport), first and last failure times.
 * Reasons: `invalid-payload`, `unrecoverable`, `max-attempts`, `handler-error`.
 */
import type { MessageContext, Middleware } from "../core/context.js";
import { MqaError, summarizeError } from "../core/errors.js";
import { Headers } from "../core/message.js";
import { RETRIES_EXHAUSTED } from "./retry.js";

/** The reason string for an error that reached the dead-letter middleware. */
export function deadLetterReasonFor(err: unknown, ctx: MessageContext): string {
  if (MqaError.is(err, "invalid-payload")) return "invalid-payload";
  if (MqaError.is(err, "unrecoverable")) return "unrecoverable";
  if (ctx.state[RETRIES_EXHAUSTED] === true) return "max-attempts";
  return "handler-error";
}

/** Catch any error and move the message to its dead-letter queue with the reason. */
export function deadLetter(options: { stackLines?: number } = {}): Middleware {
  const stackLines = options.stackLines ?? 8;
  return (next) => async (ctx) => {
    try {
      await next(ctx);
    } catch (err) {
      if (ctx.delivery.settled) throw err;
      const reason = deadLetterReasonFor(err, ctx);
      const first = ctx.message.headers[Headers.firstFailureAt];
      const now = new Date();
      ctx.logger.error(
        { err, reason, attempt: ctx.message.attempt, messageId: ctx.message.id },
        "dead-lettering message",
      );
      await ctx.delivery.deadLetter({
        reason,
        error: summarizeError(err, stackLines),
        details: err instanceof MqaError ? err.details : undefined,
        firstFailureAt: first ? new Date(first) : now,
        lastFailureAt: now,
      });
    }
  };
}
