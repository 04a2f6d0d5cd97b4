/** A dead letter as `mqa dlq show` prints it: reason, error, trimmed stack, attempts, times, payload preview. */
import { Headers } from "../core/message.js";
import type { DeadLetterEntry } from "../core/dead-letter-queues.js";
import { historyOf, type DeathRecord } from "./redrive-copy.js";
import { RedriveHeaders } from "../core/dead-letter-queues.js";

export interface DeadLetterView {
  readonly id: string;
  readonly ref: string;
  readonly reason: string;
  readonly error?: { readonly name?: string; readonly code?: string; readonly message?: string };
  /** The first lines of the stack. */
  readonly stack?: string;
  readonly attempts: number;
  /** Times the broker handed it out and took it back (RabbitMQ only; see DeadLetterEntry). */
  readonly brokerRedeliveries: number;
  readonly deadLetteredAt: string;
  readonly firstFailureAt?: string;
  readonly lastFailureAt?: string;
  readonly redrivenCount: number;
  readonly history: readonly DeathRecord[];
  readonly contentType?: string;
  readonly payloadBytes: number;
  /** UTF-8 text when the payload is text, else `base64:` and the start of its base64. */
  readonly payloadPreview: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Stack lines kept in a view. @defaultValue 6 */
const STACK_LINES = 6;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The printable view of one dead letter; `previewBytes` bounds the payload preview. */
export function viewDeadLetter(entry: DeadLetterEntry, previewBytes = 200): DeadLetterView {
  const h = entry.headers;
  const payload = entry.message.payload;
  const head = payload.subarray(0, previewBytes);
  let preview: string;
  try {
    preview = strictUtf8.decode(head);
  } catch {
    preview = `base64:${Buffer.from(head).toString("base64")}`;
  }
  if (payload.byteLength > previewBytes) preview += "…";
  const error = {
    ...(h[Headers.deadLetterErrorName] !== undefined ? { name: h[Headers.deadLetterErrorName] } : {}),
    ...(h[Headers.deadLetterErrorCode] !== undefined ? { code: h[Headers.deadLetterErrorCode] } : {}),
    ...(h[Headers.deadLetterErrorMessage] !== undefined
      ? { message: h[Headers.deadLetterErrorMessage] }
      : {}),
  };
  const stack = h[Headers.deadLetterErrorStack]?.split("\n").slice(0, STACK_LINES).join("\n");
  return {
    id: entry.message.id,
    ref: entry.ref,
    reason: entry.reason,
    ...(Object.keys(error).length > 0 ? { error } : {}),
    ...(stack !== undefined ? { stack } : {}),
    attempts: entry.message.attempt,
    brokerRedeliveries: entry.brokerRedeliveries,
    deadLetteredAt: new Date(entry.deadLetteredAt).toISOString(),
    ...(h[Headers.firstFailureAt] !== undefined ? { firstFailureAt: h[Headers.firstFailureAt] } : {}),
    ...(h[Headers.lastFailureAt] !== undefined ? { lastFailureAt: h[Headers.lastFailureAt] } : {}),
    redrivenCount: Number.parseInt(h[RedriveHeaders.count] ?? "0", 10) || 0,
    history: historyOf(h),
    ...(entry.message.contentType !== undefined ? { contentType: entry.message.contentType } : {}),
    payloadBytes: payload.byteLength,
    payloadPreview: preview,
    headers: h,
  };
}
