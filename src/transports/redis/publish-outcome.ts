/**
 * The one place a failed Redis publish gets its error, so that its code says truthfully whether the message
 * can be in Redis (docs/redis.md, "What a publish's outcome means"):
 *
 * - not sent at all (no connection yet, no slot, closed first): nothing is stored;
 * - Redis answered with an error reply (`OOM`, `WRONGTYPE`, `NOPERM`, …): Redis refused it, nothing stored
 *   (`publish-rejected`);
 * - written, but the connection was lost before the reply: it may or may not be stored. Such a publish is
 *   re-sent while its time lasts (at least once: a re-sent XADD can store it twice, since the XADD mqa sends
 *   carries no idempotency key Redis would check); when it cannot be (the transport was aborted, too many re-sends) it rejects with
 *   `connection-closed` and `details.sent: true`, never `publish-rejected`.
 *
 * Every error carries `details.sent`: false means the message is certainly not stored.
 */
import {
  ConnectionClosedError,
  PublishRejectedError,
  PublishTimeoutError,
  type MqaError,
} from "../../core/errors.js";
import { maskSecretsInText } from "../../core/redact.js";
import { replyErrorOf } from "./reply-error.js";

/** What the error of one publish names. */
export interface PublishFacts {
  readonly topic: string;
  readonly stream: string;
  /** The message id, when the topic's layout has one (else the entry id would have been it). */
  readonly id: string | undefined;
  readonly timeoutMs: number;
  /** Whether an XADD for it was ever handed to the connection. */
  readonly sent: boolean;
}

function details(op: PublishFacts): Record<string, unknown> {
  return { topic: op.topic, stream: op.stream, id: op.id, sent: op.sent };
}

function messageOf(cause: unknown): string {
  return maskSecretsInText(cause instanceof Error ? cause.message : String(cause));
}

/** True when `cause` is Redis's own error reply: the command was refused, so nothing was written. */
export function isRefusal(cause: unknown): boolean {
  return replyErrorOf(cause) !== undefined;
}

/** Redis answered the XADD (or the check before it) with an error reply: refused, not stored. */
export function refused(op: PublishFacts, cause: unknown): PublishRejectedError {
  return new PublishRejectedError(
    `Redis refused the publish to ${op.topic} (${op.stream}): ${messageOf(cause)}; the message is not stored`,
    { cause, details: { ...details(op), sent: false } },
  );
}

/** The publish's deadline passed: never sent (waiting for a connection or a slot), or sent and unanswered. */
export function timedOut(op: PublishFacts, target: string, everConnected: boolean): MqaError {
  if (!op.sent && !everConnected)
    return new ConnectionClosedError(
      `no connection to ${target} within ${op.timeoutMs} ms; the publish to ${op.topic} was not sent ` +
        "(check that Redis is reachable, or raise publishTimeoutMs)",
      { details: details(op) },
    );
  return new PublishTimeoutError(
    `publish to ${op.topic} not confirmed by Redis within ${op.timeoutMs} ms; ` +
      (op.sent
        ? "it may or may not be stored (publish again: consumers deduplicate by message id)"
        : "it was never sent (every maxInFlight slot stayed busy)") +
      ". Raise publishTimeoutMs, or check the connection",
    { details: details(op) },
  );
}

/** The connection was lost after the XADD was written and it could not be re-sent: outcome unknown. */
export function outcomeUnknown(op: PublishFacts, cause: unknown, why: string): ConnectionClosedError {
  return new ConnectionClosedError(
    `the connection to Redis was lost before it answered the publish to ${op.topic} (${messageOf(cause)}), ` +
      `and ${why}; the message may or may not be stored (publish again: consumers deduplicate by message id)`,
    { cause, details: { ...details(op), sent: true } },
  );
}

/** Not sent because the connection (or the check before the XADD) failed first: nothing stored. */
export function notSent(op: PublishFacts, cause: unknown): ConnectionClosedError {
  return new ConnectionClosedError(`the publish to ${op.topic} was not sent: ${messageOf(cause)}`, {
    cause,
    details: { ...details(op), sent: false },
  });
}

/** Too many publishes already held: rejected at once, nothing sent. */
export function overflow(
  topic: string,
  held: { inFlight: number; waiting: number },
  connected: boolean,
  target: string,
): MqaError {
  const what =
    `${held.inFlight} publishes are in flight and ${held.waiting} more are waiting ` +
    "(maxInFlight + maxQueuedPublishes); the message was not sent";
  const d = { details: { topic, sent: false, ...held } };
  // Connected: local back-pressure (Redis is slow, or the publisher too fast). Otherwise Redis is unreachable.
  return connected
    ? new PublishRejectedError(
        `publish to ${topic} rejected: ${what}. Slow down or raise maxQueuedPublishes`,
        d,
      )
    : new ConnectionClosedError(
        `publish to ${topic} rejected: no connection to ${target} and ${what}. Check that Redis is reachable, ` +
          "or raise maxQueuedPublishes",
        d,
      );
}
