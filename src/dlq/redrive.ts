/**
 * Redrive: move the dead letters a filter selects back to their group (or another one), at a bounded rate.
 * Each copy is confirmed by the broker before its dead letter is removed, so a run stopped at any point
 * (Ctrl-C, a crash) loses nothing, and a second run picks up exactly what is left.
 */
import type { DeadLetterEntry, DeadLetterQueues } from "../core/dead-letter-queues.js";
import { sleep } from "../core/sleep.js";
import { describeFilter, matchesFilter, type DeadLetterFilter } from "./filter.js";
import { redriveCopy } from "./redrive-copy.js";

export interface RedriveOptions {
  readonly topic: string;
  readonly group: string;
  /** Where to send them. @defaultValue the same topic and group */
  readonly to?: { readonly topic: string; readonly group: string };
  readonly filter?: DeadLetterFilter;
  /** Only count what would be redriven; change nothing. @defaultValue false */
  readonly dryRun?: boolean;
  /** At most this many redrives per second. @defaultValue no limit */
  readonly ratePerSecond?: number;
  /** Redrive at most this many. @defaultValue no limit */
  readonly limit?: number;
  /** Stops the run cleanly after the message in hand. */
  readonly signal?: AbortSignal;
  /**
   * Called for each message taken for redrive, before its copy is confirmed (the copy is confirmed, then the
   * dead letter removed); `redriven` counts those taken so far. The summary counts only confirmed ones.
   */
  readonly onProgress?: (progress: { readonly redriven: number; readonly id: string }) => void;
}

export interface RedriveSummary {
  /** Dead letters that matched the filter (in a dry run: would be redriven). */
  readonly matched: number;
  readonly redriven: number;
  /** Dead letters looked at and left where they are. */
  readonly kept: number;
  /** Stopped by the signal before the end. */
  readonly aborted: boolean;
  readonly dryRun: boolean;
  /** The filter as recorded in `x-mqa-redrive-filter`. */
  readonly filter: string;
  /** Ids of the redriven (dry run: matching) messages. */
  readonly ids: readonly string[];
}

/** Redrive the matching dead letters of a group (see the file comment). */
export async function redriveDeadLetters(
  dlq: DeadLetterQueues,
  options: RedriveOptions,
): Promise<RedriveSummary> {
  const filter = options.filter ?? {};
  const filterText = describeFilter(filter);
  const to = options.to ?? { topic: options.topic, group: options.group };
  const gapMs =
    options.ratePerSecond !== undefined && options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const ids: string[] = [];
  let matched = 0;
  let redriven = 0;
  let nextAt = 0;
  const now = Date.now();
  const result = await dlq.walkDeadLetters(
    options.topic,
    options.group,
    async (entry: DeadLetterEntry) => {
      if (ids.length >= limit || !matchesFilter(entry, filter, now)) return { action: "keep" };
      matched++;
      if (options.dryRun) {
        ids.push(entry.message.id);
        return { action: "keep" };
      }
      if (gapMs > 0) {
        const wait = nextAt - Date.now();
        if (wait > 0) {
          try {
            await sleep(wait, options.signal);
          } catch {
            return { action: "keep" }; // aborted while waiting: this one stays, the walk stops next
          }
        }
        nextAt = Math.max(nextAt, Date.now()) + gapMs;
      }
      ids.push(entry.message.id);
      redriven++;
      options.onProgress?.({ redriven, id: entry.message.id });
      return { action: "redrive", topic: to.topic, group: to.group, message: redriveCopy(entry, filterText) };
    },
    options.signal ? { signal: options.signal } : {},
  );
  return {
    matched,
    redriven: result.redriven,
    kept: result.kept,
    aborted: result.aborted || options.signal?.aborted === true,
    dryRun: options.dryRun === true,
    filter: filterText,
    ids,
  };
}
