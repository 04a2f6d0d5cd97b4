/**
 * Dead-letter queues as an optional ability of a transport (Watermill style: its own interface, found with
 * {@link hasDeadLetterQueues}). The broker-agnostic tooling on top (filters, stats, redrive, purge,
 * export/import) lives in `src/dlq/`; a transport only walks its DLQs and applies one decision per entry.
 */
import type { Message, OutgoingMessage } from "./message.js";
import type { DeadLetter, Transport } from "./transport.js";

/** Headers a redriven message carries. */
export const RedriveHeaders = {
  /** How many times this message was redriven out of a dead-letter queue so far. */
  count: "x-mqa-redriven-count",
  /** ISO time of the latest redrive. */
  at: "x-mqa-redriven-at",
  /** The filter the latest redrive selected it with, as `mqa dlq` prints it. */
  filter: "x-mqa-redrive-filter",
  /** JSON array of the earlier deaths (reason, error, attempts, times), oldest first, bounded. */
  history: "x-mqa-redrive-history",
} as const;

/** A dead letter as a walk over its queue sees it. */
export interface DeadLetterEntry extends DeadLetter {
  /**
   * Where the entry sits: the stream entry id on Redis (`<partition>/<entry id>`), a sequence number in
   * memory, the ordinal within this walk on RabbitMQ. Stable for as long as the entry stays (Redis, memory).
   */
  readonly ref: string;
  /** When it was dead-lettered (ms since the epoch): its header, else the broker's own time of the entry. */
  readonly deadLetteredAt: number;
  /**
   * How often the broker handed this dead letter out and took it back (RabbitMQ's `x-delivery-count` on the
   * DLQ); 0 where reading never counts (Redis, memory). Looking through mqa never raises it.
   */
  readonly brokerRedeliveries: number;
}

/** What to do with one dead letter. */
export type DeadLetterDecision =
  | { readonly action: "keep" }
  | { readonly action: "remove" }
  | {
      readonly action: "redrive";
      /** Target topic and group: the message goes to that group's queue only, not to the topic's other groups. */
      readonly topic: string;
      readonly group: string;
      /** The copy to deliver (built by `src/dlq/redrive-copy.ts`: fresh attempt count, same id). */
      readonly message: OutgoingMessage;
    };

export interface DeadLetterWalkOptions {
  /** Stop before the next entry once aborted; the entry being decided is finished first. */
  readonly signal?: AbortSignal;
  /** Visit at most this many entries. @defaultValue every entry present when the walk starts */
  readonly limit?: number;
}

/** What a walk did. */
export interface DeadLetterWalkResult {
  readonly visited: number;
  readonly kept: number;
  readonly removed: number;
  readonly redriven: number;
  /** The signal stopped the walk before it reached the end. */
  readonly aborted: boolean;
}

/** Size of one group's dead-letter queue. */
export interface DeadLetterCount {
  readonly count: number;
  /** Dead-lettering time of the oldest and newest entry (ms since the epoch); absent when empty. */
  readonly oldestAt?: number;
  readonly newestAt?: number;
}

/** Decides about one entry of a walk. */
export type DeadLetterVisitor = (entry: DeadLetterEntry) => DeadLetterDecision | Promise<DeadLetterDecision>;

/**
 * Dead-letter queues of a transport's groups.
 *
 * Rules every implementation keeps:
 * - `walkDeadLetters` visits entries oldest first, one at a time, each entry present when the walk starts at
 *   most once; entries dead-lettered during the walk may or may not be visited.
 * - `keep` leaves the dead letter as it was: payload, headers and message id unchanged, and no broker delivery
 *   count grows (RabbitMQ: the entry is re-queued as an exact copy at the tail, see
 *   docs/decisions/0090-dead-letter-tooling.md; a full walk keeps the order).
 * - `redrive` publishes the decision's message to the target group's queue and waits for the broker's confirm;
 *   only then is the dead letter removed. A crash in between leaves a duplicate, never a loss.
 * - `remove` deletes the dead letter for good.
 * - A visitor that throws stops the walk; the entry it was deciding about is kept.
 * - A group that does not exist on the broker (never declared, or a misspelt topic or group) rejects every
 *   method with `not-found` (`ResourceNotFoundError`), never reads as an empty queue; a group that exists
 *   but has no dead-letter queue (RabbitMQ `deadLetter: false`, a stream queue) rejects with `unsupported`.
 */
export interface DeadLetterQueues {
  walkDeadLetters(
    topic: string,
    group: string,
    visit: DeadLetterVisitor,
    options?: DeadLetterWalkOptions,
  ): Promise<DeadLetterWalkResult>;
  /** How many dead letters the group holds, and the oldest and newest dead-lettering time. */
  countDeadLetters(topic: string, group: string): Promise<DeadLetterCount>;
  /**
   * Add a dead letter to the group's queue as given (import): `message.headers` become the dead letter's
   * headers, `x-mqa-attempt` its attempt. Resolves after the broker's confirm.
   */
  appendDeadLetter(topic: string, group: string, message: OutgoingMessage): Promise<void>;
}

/** Whether a transport offers {@link DeadLetterQueues}. */
export function hasDeadLetterQueues(transport: Transport): transport is Transport & DeadLetterQueues {
  const t = transport as Partial<DeadLetterQueues>;
  return (
    typeof t.walkDeadLetters === "function" &&
    typeof t.countDeadLetters === "function" &&
    typeof t.appendDeadLetter === "function"
  );
}

/** The outgoing form of a delivered message, every field kept (for re-publishing an exact copy). */
export function outgoingOf(message: Message): OutgoingMessage {
  return {
    id: message.id,
    payload: message.payload,
    headers: { ...message.headers },
    timestamp: message.timestamp,
    ...(message.contentType !== undefined ? { contentType: message.contentType } : {}),
    ...(message.key !== undefined ? { key: message.key } : {}),
    ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
    ...(message.causationId !== undefined ? { causationId: message.causationId } : {}),
  };
}

/** Dead-lettering time of a message from its header, else `fallback`. */
export function deadLetteredAtOf(headers: Readonly<Record<string, string>>, fallback: number): number {
  const raw = headers["x-mqa-dead-lettered-at"];
  const t = raw === undefined ? NaN : Date.parse(raw);
  return Number.isFinite(t) ? t : fallback;
}
