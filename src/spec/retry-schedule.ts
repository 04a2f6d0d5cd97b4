/** A spec's `retry` block → the delay before each retry, in milliseconds. */
import { backoffDelay } from "../core/backoff.js";
import { durationMs } from "./duration.js";
import { BACKOFF_PATTERN } from "./schema/common.js";
import type { z } from "zod";
import type { retry as retrySchema } from "./schema/common.js";

export type RetrySpec = z.infer<typeof retrySchema>;

/** Used when a spec gives `retry.attempts` without `backoff`. */
export const DEFAULT_BACKOFF = "exponential 1s..5m";

interface Curve {
  baseMs: number;
  maxMs: number;
  multiplier: number;
}

function curveOf(backoff: NonNullable<RetrySpec["backoff"]>): Curve {
  if (typeof backoff === "string") {
    const m = BACKOFF_PATTERN.exec(backoff.trim());
    if (!m) throw new RangeError(`not a backoff: ${backoff}`);
    if (m[4] !== undefined) {
      const delay = durationMs(m[4]);
      return { baseMs: delay, maxMs: delay, multiplier: 1 };
    }
    return {
      baseMs: durationMs(m[1] ?? "1s"),
      maxMs: durationMs(m[2] ?? "5m"),
      multiplier: Number(m[3] ?? 2),
    };
  }
  if (backoff.type === "fixed") {
    const delay = durationMs(backoff.delay);
    return { baseMs: delay, maxMs: delay, multiplier: 1 };
  }
  return {
    baseMs: durationMs(backoff.min),
    maxMs: durationMs(backoff.max),
    multiplier: backoff.multiplier ?? 2,
  };
}

/**
 * Delay before retry 1, 2, … (`attempts - 1` values): the ceiling of the core's exponential backoff, without
 * jitter, because broker-side delay queues need fixed TTLs.
 */
export function retryDelaysMs(retry: RetrySpec): number[] {
  const curve = curveOf(retry.backoff ?? DEFAULT_BACKOFF);
  const delays: number[] = [];
  for (let n = 0; n < retry.attempts - 1; n++) {
    delays.push(backoffDelay({ ...curve, jitter: "none" }, n));
  }
  return delays;
}
