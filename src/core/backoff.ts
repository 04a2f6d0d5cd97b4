/** Exponential backoff with full jitter (AWS architecture blog): uniform in [0, min(max, base·mult^n)]. */
export interface BackoffOptions {
  /** First delay ceiling, ms. */
  baseMs: number;
  multiplier: number;
  /** Ceiling for any delay, ms. */
  maxMs: number;
  /** `full` spreads each delay over [0, ceiling]; `none` uses the ceiling. */
  jitter: "full" | "none";
}

/** Delay before retry number `retry` (0-based). `random` is injectable for tests. */
export function backoffDelay(
  options: BackoffOptions,
  retry: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * options.multiplier ** Math.max(0, retry));
  const delay = options.jitter === "full" ? random() * ceiling : ceiling;
  return Math.max(0, Math.round(delay));
}
