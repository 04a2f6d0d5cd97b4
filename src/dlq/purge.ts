/** Purge: delete the dead letters a filter selects, for good. */
import type { DeadLetterQueues } from "../core/dead-letter-queues.js";
import { describeFilter, matchesFilter, type DeadLetterFilter } from "./filter.js";

export interface PurgeOptions {
  readonly filter?: DeadLetterFilter;
  /** Only count what would be removed. @defaultValue false */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly removed: number }) => void;
}

export interface PurgeSummary {
  readonly matched: number;
  readonly removed: number;
  readonly kept: number;
  readonly aborted: boolean;
  readonly dryRun: boolean;
  readonly filter: string;
}

/** Remove the matching dead letters of a group; the others stay as they were. */
export async function purgeDeadLetters(
  dlq: DeadLetterQueues,
  topic: string,
  group: string,
  options: PurgeOptions = {},
): Promise<PurgeSummary> {
  const filter = options.filter ?? {};
  const now = Date.now();
  let matched = 0;
  const result = await dlq.walkDeadLetters(
    topic,
    group,
    (entry) => {
      if (!matchesFilter(entry, filter, now)) return { action: "keep" };
      matched++;
      if (options.dryRun) return { action: "keep" };
      options.onProgress?.({ removed: matched });
      return { action: "remove" };
    },
    options.signal ? { signal: options.signal } : {},
  );
  return {
    matched,
    removed: result.removed,
    kept: result.kept,
    aborted: result.aborted,
    dryRun: options.dryRun === true,
    filter: describeFilter(filter),
  };
}
