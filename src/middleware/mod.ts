/** Middleware, one concern each. Order matters: see {@link defaultMiddleware}. */
import type { Middleware } from "../core/context.js";
import { correlation } from "./correlation.js";
import { deadLetter } from "./dead-letter.js";
import { logging } from "./logging.js";
import { retry } from "./retry.js";
import type { RetryMiddlewareOptions } from "./retry.js";

export { retry, RETRIES_EXHAUSTED, type RetryMiddlewareOptions } from "./retry.js";
export { deadLetter, deadLetterReasonFor } from "./dead-letter.js";
export { timeout } from "./timeout.js";
export {
  CircuitBreaker,
  circuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from "./circuit-breaker.js";
export { correlation, currentCorrelation, type Correlation } from "./correlation.js";
export { logging } from "./logging.js";
export {
  idempotency,
  MemoryIdempotencyStore,
  type IdempotencyOptions,
  type IdempotencyStore,
} from "./idempotency.js";

/**
 * The stack mqa recommends, outermost first: correlation → logging → dead-letter → retry.
 * Put a circuit breaker and a timeout after these (inside retry) when you use them.
 */
export function defaultMiddleware(options: { retry?: RetryMiddlewareOptions } = {}): Middleware[] {
  return [correlation(), logging(), deadLetter(), retry(options.retry)];
}
export { metrics, type MetricsOptions } from "./metrics.js";
