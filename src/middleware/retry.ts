/**
 * Retry with exponential backoff and full jitter. The wait is handed to the transport
 * (`delivery.retry({ delayMs })`), so it happens broker-side where the transport can, and a consumer
 * restart does not forget it. Errors that retrying cannot fix (`invalid-payload`, `unrecoverable`) and
 * attempts past the limit are passed on to the dead-letter middleware.
 */
import { z } from "zod";
import type { Middleware } from "../core/context.js";
import { backoffDelay } from "../core/backoff.js";
import { MqaError } from "../core/errors.js";
import { Headers } from "../core/message.js";
import { parseOptions } from "../core/options.js";

export interface RetryMiddlewareOptions {
  /** Total attempts including the first. @defaultValue 5 */
  attempts?: number;
  /** Ceiling of the first delay, ms. @defaultValue 1000 */
  baseMs?: number;
  /** @defaultValue 2 */
  multiplier?: number;
  /** Ceiling of any delay, ms. @defaultValue 300000 (5 min) */
  maxMs?: number;
  /** @defaultValue "full" */
  jitter?: "full" | "none";
  /** Decide per error whether retrying can help. @defaultValue everything except invalid-payload and unrecoverable */
  retryable?: (err: unknown) => boolean;
  /** Random source in [0,1), injectable for tests. */
  random?: () => number;
}

const schema = z.strictObject({
  attempts: z.number().int().min(1).max(1000).default(5),
  baseMs: z.number().int().min(0).default(1000),
  multiplier: z.number().min(1).default(2),
  maxMs: z.number().int().min(0).default(300_000),
  jitter: z.enum(["full", "none"]).default("full"),
  retryable: z.function().optional(),
  random: z.function().optional(),
});

/** Key in `ctx.state` set when the retry budget is spent, so the dead-letter reason says `max-attempts`. */
export const RETRIES_EXHAUSTED = "retriesExhausted";

const NOT_RETRYABLE = new Set(["invalid-payload", "unrecoverable"]);

function defaultRetryable(err: unknown): boolean {
  return !(err instanceof MqaError && NOT_RETRYABLE.has(err.code));
}

/** Retry failed handlers with exponential backoff and full jitter, broker-side. */
export function retry(options: RetryMiddlewareOptions = {}): Middleware {
  const o = parseOptions(schema, options, "retry middleware options");
  const retryable = (options.retryable ?? defaultRetryable) as (err: unknown) => boolean;
  const random = (options.random ?? Math.random) as () => number;
  return (next) => async (ctx) => {
    try {
      await next(ctx);
    } catch (err) {
      if (ctx.delivery.settled || !retryable(err)) throw err;
      const attempt = ctx.message.attempt;
      if (attempt >= o.attempts) {
        ctx.state[RETRIES_EXHAUSTED] = true;
        throw err;
      }
      const delayMs = backoffDelay(o, attempt - 1, random);
      const now = new Date().toISOString();
      ctx.logger.warn(
        { err, attempt, nextAttemptInMs: delayMs, messageId: ctx.message.id },
        "handler failed; retrying with backoff",
      );
      await ctx.delivery.retry({
        delayMs,
        headers: {
          [Headers.firstFailureAt]: ctx.message.headers[Headers.firstFailureAt] ?? now,
          [Headers.lastFailureAt]: now,
        },
      });
    }
  };
}
