/**
 * Durations in specs are written the way people say them (`500ms`, `1s`, `5m`, `2h`, `7d`) or as plain
 * milliseconds. The schema only checks the shape; this module turns them into milliseconds.
 */

/** The accepted text form, shared with the schema so both agree. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as written in a spec: milliseconds or `<number><unit>`. */
export type Duration = number | string;

/** Milliseconds of a spec duration. Throws on a shape the schema would have rejected. */
export function durationMs(value: Duration): number {
  if (typeof value === "number") return value;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) throw new RangeError(`not a duration: ${JSON.stringify(value)} (write e.g. 500ms, 1s, 5m, 2h)`);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? "ms"] ?? 1));
}

/** The shortest exact text form of a millisecond count: 60000 → `1m`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
