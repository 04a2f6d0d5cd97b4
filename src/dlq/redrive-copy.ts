/**
 * The message a redrive publishes: the dead letter's id, payload, key, content type, times and user headers,
 * a fresh attempt count, the dead-letter headers of this death moved into a bounded history, and headers
 * saying it was redriven (how often, when, by which filter). If it fails again it is dead-lettered with its
 * new reason on top and this history below.
 */
import { outgoingOf, RedriveHeaders, type DeadLetterEntry } from "../core/dead-letter-queues.js";
import { Headers, type OutgoingMessage } from "../core/message.js";

/** Earlier deaths kept in the history header, newest kept when there are more. */
export const MAX_HISTORY = 10;

/** One earlier death, as kept in `x-mqa-redrive-history`. */
export interface DeathRecord {
  readonly reason: string;
  readonly attempts: number;
  readonly deadLetteredAt?: string;
  readonly firstFailureAt?: string;
  readonly lastFailureAt?: string;
  readonly error?: { readonly name?: string; readonly code?: string; readonly message?: string };
  readonly redrivenAt: string;
}

/** Headers of one death, removed from the copy (the next death writes its own). */
const DEATH_HEADERS: readonly string[] = [
  Headers.deadLetterReason,
  Headers.deadLetterErrorName,
  Headers.deadLetterErrorCode,
  Headers.deadLetterErrorMessage,
  Headers.deadLetterErrorStack,
  Headers.deadLetterDetails,
  Headers.deadLetteredAt,
  Headers.firstFailureAt,
  Headers.lastFailureAt,
  Headers.originalDestination,
  Headers.originalGroup,
];

/** Broker bookkeeping of the previous trip (RabbitMQ): must not follow the copy. */
function isBrokerDeathHeader(name: string): boolean {
  return name === "x-death" || /^x-(first|last)-death-/.test(name) || name === "x-delivery-count";
}

/** The earlier deaths recorded on a message (empty when none or unreadable). */
export function historyOf(headers: Readonly<Record<string, string>>): DeathRecord[] {
  const raw = headers[RedriveHeaders.history];
  if (raw === undefined) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as DeathRecord[]) : [];
  } catch {
    return [];
  }
}

/** Build the redriven copy of `entry` (see the file comment). */
export function redriveCopy(entry: DeadLetterEntry, filter: string, now = new Date()): OutgoingMessage {
  const base = outgoingOf(entry.message);
  const h = entry.headers;
  const opt = (k: string): string | undefined => h[k];
  const error =
    (opt(Headers.deadLetterErrorName) ?? opt(Headers.deadLetterErrorMessage))
      ? {
          ...(opt(Headers.deadLetterErrorName) !== undefined
            ? { name: opt(Headers.deadLetterErrorName) }
            : {}),
          ...(opt(Headers.deadLetterErrorCode) !== undefined
            ? { code: opt(Headers.deadLetterErrorCode) }
            : {}),
          ...(opt(Headers.deadLetterErrorMessage) !== undefined
            ? { message: opt(Headers.deadLetterErrorMessage)!.slice(0, 256) }
            : {}),
        }
      : undefined;
  const record: DeathRecord = {
    reason: entry.reason,
    attempts: entry.message.attempt,
    ...(opt(Headers.deadLetteredAt) !== undefined ? { deadLetteredAt: opt(Headers.deadLetteredAt) } : {}),
    ...(opt(Headers.firstFailureAt) !== undefined ? { firstFailureAt: opt(Headers.firstFailureAt) } : {}),
    ...(opt(Headers.lastFailureAt) !== undefined ? { lastFailureAt: opt(Headers.lastFailureAt) } : {}),
    ...(error ? { error } : {}),
    redrivenAt: now.toISOString(),
  };
  // Built from entries, so a user header named `__proto__` stays an own property and is redriven too.
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(base.headers ?? {}).filter(([k]) => !DEATH_HEADERS.includes(k) && !isBrokerDeathHeader(k)),
  );
  const previous = Number.parseInt(h[RedriveHeaders.count] ?? "0", 10);
  headers[RedriveHeaders.count] = String(Number.isFinite(previous) && previous > 0 ? previous + 1 : 1);
  headers[RedriveHeaders.at] = now.toISOString();
  headers[RedriveHeaders.filter] = filter.slice(0, 512);
  headers[RedriveHeaders.history] = JSON.stringify([...historyOf(h), record].slice(-MAX_HISTORY));
  headers[Headers.attempt] = "1";
  return { ...base, headers };
}
