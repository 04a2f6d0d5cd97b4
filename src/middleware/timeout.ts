/**
 * Fail a handler that runs longer than `ms` with {@link HandlerTimeoutError} (retryable), and abort
 * `ctx.signal` so cooperative handlers stop their work. The handler's promise cannot be cancelled; the
 * timeout frees the delivery so a hung handler does not hold a message (or a broker consumer timeout) forever.
 */
import type { Middleware } from "../core/context.js";
import { HandlerTimeoutError, InvalidOptionsError } from "../core/errors.js";

/** Reject the handler after `ms` milliseconds. */
export function timeout(options: { ms: number }): Middleware {
  if (!Number.isInteger(options.ms) || options.ms <= 0) {
    throw new InvalidOptionsError(
      `timeout middleware: ms must be a positive integer, got ${String(options.ms)}`,
    );
  }
  return (next) => async (ctx) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new HandlerTimeoutError(
          `handler for ${ctx.message.topic} took longer than ${options.ms} ms; raise timeout({ ms }) or make it faster`,
        );
        ctx.abort(err);
        reject(err);
      }, options.ms);
    });
    try {
      await Promise.race([next(ctx), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
