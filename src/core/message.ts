/**
 * The message model shared by every transport. Payloads are bytes; codecs turn them into values.
 */

/** Header names mqa itself reads and writes. Transports map them onto their wire format. */
export const Headers = {
  /** Number of the attempt this delivery is (1 for the first). Incremented by retries. */
  attempt: "x-mqa-attempt",
  /** ISO time of the first failed attempt. */
  firstFailureAt: "x-mqa-first-failure-at",
  /** ISO time of the latest failed attempt. */
  lastFailureAt: "x-mqa-last-failure-at",
  /** Why a message was dead-lettered: `invalid-payload`, `max-attempts`, `unrecoverable`, ... */
  deadLetterReason: "x-mqa-dead-letter-reason",
  deadLetterErrorName: "x-mqa-error-name",
  deadLetterErrorCode: "x-mqa-error-code",
  deadLetterErrorMessage: "x-mqa-error-message",
  deadLetterErrorStack: "x-mqa-error-stack",
  /** JSON with details such as validation issues. */
  deadLetterDetails: "x-mqa-dead-letter-details",
  deadLetteredAt: "x-mqa-dead-lettered-at",
  /** Topic (and group) the message was consumed from before it was dead-lettered. */
  originalDestination: "x-mqa-original-destination",
  originalGroup: "x-mqa-original-group",
} as const;

/** A message as delivered to a consumer. */
export interface Message {
  /** Unique id set by the publisher; the key for deduplication. */
  readonly id: string;
  /** Topic (exchange, stream) the message was published to. */
  readonly topic: string;
  /** Routing / partition key; messages with the same key keep their order where the transport says so. */
  readonly key: string | undefined;
  /** Raw payload bytes. */
  readonly payload: Uint8Array;
  /**
   * MIME type naming the codec (`application/json`, `text/plain`, `application/octet-stream`), as the
   * publisher set it; `undefined` when it set none (common for services in other languages). The router
   * then decodes with the route's codec, JSON unless the route says otherwise: never forced to raw bytes.
   */
  readonly contentType: string | undefined;
  /** String headers, including mqa's own `x-mqa-*` ones. */
  readonly headers: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch when the message was first published. */
  readonly timestamp: number;
  readonly correlationId: string | undefined;
  readonly causationId: string | undefined;
  /**
   * Which attempt this delivery is, starting at 1. Counts retries (mqa's header) and broker
   * redeliveries (delivery counts), so a message that crashed its consumer still gets counted.
   */
  readonly attempt: number;
}

/** What a caller hands to `publish`. Only `payload` is required. */
export interface OutgoingMessage {
  id?: string;
  key?: string;
  payload: Uint8Array;
  /** Sent as the message's content type; none is sent when absent. */
  contentType?: string;
  headers?: Record<string, string>;
  timestamp?: number;
  correlationId?: string;
  causationId?: string;
}

/** Why a message is being dead-lettered. Stored as `x-mqa-*` headers on the dead letter. */
export interface DeadLetterReason {
  /** Short machine-readable reason: `invalid-payload`, `max-attempts`, `unrecoverable`, `handler-error`. */
  reason: string;
  error?: { name: string; code?: string; message: string; stack?: string };
  /** Extra facts, e.g. validation issues. Serialised as JSON. */
  details?: unknown;
  firstFailureAt?: Date;
  lastFailureAt?: Date;
}

/** Build the header set a dead letter carries. Transports call this so every broker stores the same. */
export function deadLetterHeaders(
  message: Message,
  group: string,
  reason: DeadLetterReason,
  now = new Date(),
): Record<string, string> {
  const h: Record<string, string> = {
    ...message.headers,
    [Headers.deadLetterReason]: reason.reason,
    [Headers.deadLetteredAt]: now.toISOString(),
    [Headers.originalDestination]: message.topic,
    [Headers.originalGroup]: group,
    [Headers.attempt]: String(message.attempt),
  };
  if (reason.error) {
    h[Headers.deadLetterErrorName] = reason.error.name;
    h[Headers.deadLetterErrorMessage] = reason.error.message.slice(0, 1024);
    if (reason.error.code !== undefined) h[Headers.deadLetterErrorCode] = reason.error.code;
    if (reason.error.stack !== undefined) h[Headers.deadLetterErrorStack] = reason.error.stack.slice(0, 2048);
  }
  if (reason.details !== undefined)
    h[Headers.deadLetterDetails] = JSON.stringify(reason.details).slice(0, 8192);
  if (reason.firstFailureAt) h[Headers.firstFailureAt] = reason.firstFailureAt.toISOString();
  if (reason.lastFailureAt ?? reason.firstFailureAt)
    h[Headers.lastFailureAt] = (reason.lastFailureAt ?? reason.firstFailureAt ?? now).toISOString();
  return h;
}

/** Parse the attempt header; anything missing or malformed counts as attempt 1. */
export function attemptFromHeaders(headers: Readonly<Record<string, string>>): number {
  const raw = headers[Headers.attempt];
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) && n >= 1 ? n : 1;
}
