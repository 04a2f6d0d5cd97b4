/**
 * Fail a handler that runs longer than `ms` with {@link HandlerTimeoutError} (retryable), and abort
 * `ctx.signal` so cooperative handlers stop their work. The handler's promise cannot be cancelled; the
 * timeout frees the delivery so a hung handler does not hold a message (or a broker consumer timeout) forever.
 *
 * The Router already enforces a handler timeout by default (`handlerTimeoutMs`, 60 s, around the terminal
 * step); this middleware is for a tighter bound on part of a chain, e.g. around middleware that does I/O.
 */
import type { Middleware } from "../core/context.js";
import { runWithTimeout } from "../core/context.js";
import { InvalidOptionsError } from "../core/errors.js";

/** Reject the handler after `ms` milliseconds. */
export function timeout(options: { ms: number }): Middleware {
  if (!Number.isInteger(options.ms) || options.ms <= 0) {
    throw new InvalidOptionsError(
      `timeout middleware: ms must be a positive integer, got ${String(options.ms)}`,
    );
  }
  return (next) => (ctx) =>
    runWithTimeout(ctx, options.ms, "raise timeout({ ms }) or make it faster", () => next(ctx));
}
