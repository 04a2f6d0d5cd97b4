/** Reading dead letters without changing them: a walk that keeps every entry. */
import type { DeadLetterEntry, DeadLetterQueues } from "../core/dead-letter-queues.js";
import { matchesFilter, type DeadLetterFilter } from "./filter.js";

export interface BrowseOptions {
  readonly filter?: DeadLetterFilter;
  /** Return at most this many matching entries. @defaultValue no limit */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

/** The dead letters of a group that match the filter, oldest first; every dead letter stays as it was. */
export async function browseDeadLetters(
  dlq: DeadLetterQueues,
  topic: string,
  group: string,
  options: BrowseOptions = {},
): Promise<DeadLetterEntry[]> {
  const out: DeadLetterEntry[] = [];
  const now = Date.now();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  await dlq.walkDeadLetters(
    topic,
    group,
    (entry) => {
      if (out.length < limit && matchesFilter(entry, options.filter ?? {}, now)) out.push(entry);
      return { action: "keep" };
    },
    options.signal ? { signal: options.signal } : {},
  );
  return out;
}
