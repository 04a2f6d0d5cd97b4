/** Which dead letters a command acts on. Every condition given must hold; an empty filter matches everything. */
import { Headers } from "../core/message.js";
import type { DeadLetterEntry } from "../core/dead-letter-queues.js";

export interface DeadLetterFilter {
  /** The reason is one of these (`max-attempts`, `invalid-payload`, …). */
  readonly reasons?: readonly string[];
  /** The error name, code or message contains this text (case-insensitive). */
  readonly errorText?: string;
  /** Dead-lettered at least this long ago (ms). */
  readonly olderThanMs?: number;
  /** Dead-lettered at most this long ago (ms). */
  readonly newerThanMs?: number;
  /** The message id is one of these. */
  readonly ids?: readonly string[];
  /** Every one of these headers has exactly this value. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Whether `entry` passes `filter` at time `now`. */
export function matchesFilter(entry: DeadLetterEntry, filter: DeadLetterFilter, now = Date.now()): boolean {
  if (filter.reasons && filter.reasons.length > 0 && !filter.reasons.includes(entry.reason)) return false;
  if (filter.errorText !== undefined) {
    const needle = filter.errorText.toLowerCase();
    const h = entry.headers;
    const hay = [Headers.deadLetterErrorName, Headers.deadLetterErrorCode, Headers.deadLetterErrorMessage]
      .map((k) => h[k] ?? "")
      .join("\n")
      .toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  const age = now - entry.deadLetteredAt;
  if (filter.olderThanMs !== undefined && age < filter.olderThanMs) return false;
  if (filter.newerThanMs !== undefined && age > filter.newerThanMs) return false;
  if (filter.ids && filter.ids.length > 0 && !filter.ids.includes(entry.message.id)) return false;
  for (const [k, v] of Object.entries(filter.headers ?? {})) if (entry.headers[k] !== v) return false;
  return true;
}

/** The filter as one line (`reason=max-attempts error~"timeout"`), for the redrive header and summaries. */
export function describeFilter(filter: DeadLetterFilter): string {
  const parts: string[] = [];
  if (filter.reasons?.length) parts.push(`reason=${filter.reasons.join(",")}`);
  if (filter.errorText !== undefined) parts.push(`error~${JSON.stringify(filter.errorText)}`);
  if (filter.olderThanMs !== undefined) parts.push(`older-than=${filter.olderThanMs}ms`);
  if (filter.newerThanMs !== undefined) parts.push(`newer-than=${filter.newerThanMs}ms`);
  if (filter.ids?.length) parts.push(`id=${filter.ids.join(",")}`);
  for (const [k, v] of Object.entries(filter.headers ?? {})) parts.push(`header:${k}=${v}`);
  return parts.length === 0 ? "all" : parts.join(" ");
}
