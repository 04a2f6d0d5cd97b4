/**
 * One structured log line per handled message: outcome and duration at debug, failures at warn.
 * Payloads are never logged (they may hold personal data); ids, topic, group and attempt are.
 */
import type { Middleware } from "../core/context.js";

/** Log each delivery's outcome and duration. */
export function logging(): Middleware {
  return (next) => async (ctx) => {
    const started = performance.now();
    const base = { messageId: ctx.message.id, topic: ctx.message.topic, attempt: ctx.message.attempt };
    try {
      await next(ctx);
      ctx.logger.debug({ ...base, ms: Math.round(performance.now() - started) }, "handled");
    } catch (err) {
      ctx.logger.warn({ ...base, err, ms: Math.round(performance.now() - started) }, "handler failed");
      throw err;
    }
  };
}
