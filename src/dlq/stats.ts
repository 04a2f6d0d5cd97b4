/** Dead letters grouped by reason and by error, with counts and first/last seen. */
import { Headers } from "../core/message.js";
import type { DeadLetterEntry } from "../core/dead-letter-queues.js";

/** One group of dead letters. */
export interface DeadLetterGroupStats {
  /** The reason, or `<error name>: <error message>` (first line, at most 200 characters). */
  readonly key: string;
  readonly count: number;
  /** ISO times of the oldest and newest dead letter in the group. */
  readonly firstSeen: string;
  readonly lastSeen: string;
}

export interface DeadLetterStats {
  readonly total: number;
  readonly byReason: readonly DeadLetterGroupStats[];
  readonly byError: readonly DeadLetterGroupStats[];
}

/** The error an entry died of, as one short line; `(no error)` when it has none. */
export function errorKey(entry: DeadLetterEntry): string {
  const name = entry.headers[Headers.deadLetterErrorName];
  const message = entry.headers[Headers.deadLetterErrorMessage]?.split("\n")[0];
  if (name === undefined && message === undefined) return "(no error)";
  return `${name ?? "Error"}: ${message ?? ""}`.slice(0, 200);
}

/** Group `entries` by reason and by error, largest group first. */
export function deadLetterStats(entries: readonly DeadLetterEntry[]): DeadLetterStats {
  return {
    total: entries.length,
    byReason: groupBy(entries, (e) => e.reason),
    byError: groupBy(entries, errorKey),
  };
}

function groupBy(
  entries: readonly DeadLetterEntry[],
  keyOf: (e: DeadLetterEntry) => string,
): DeadLetterGroupStats[] {
  const groups = new Map<string, { count: number; first: number; last: number }>();
  for (const e of entries) {
    const k = keyOf(e);
    const g = groups.get(k);
    if (!g) groups.set(k, { count: 1, first: e.deadLetteredAt, last: e.deadLetteredAt });
    else {
      g.count++;
      g.first = Math.min(g.first, e.deadLetteredAt);
      g.last = Math.max(g.last, e.deadLetteredAt);
    }
  }
  return [...groups]
    .map(([key, g]) => ({
      key,
      count: g.count,
      firstSeen: new Date(g.first).toISOString(),
      lastSeen: new Date(g.last).toISOString(),
    }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
