/**
 * Every error mqa raises is an {@link MqaError} with a stable `code`. Callers branch on `code` or
 * `instanceof`, never on message text. Messages say what happened and what to do next.
 */

import { maskSecretsInText, redactValue } from "./redact.js";

/** Stable error codes. Adding a code is a minor change; renaming one is breaking. */
export type MqaErrorCode =
  | "unrecoverable"
  | "connection-closed"
  | "publish-timeout"
  | "publish-rejected"
  | "message-too-large"
  | "unroutable"
  | "invalid-payload"
  | "invalid-options"
  | "handler-timeout"
  | "circuit-open"
  | "precondition-failed"
  | "already-settled"
  | "closed"
  | "unsupported"
  | "durability-not-met"
  | "not-found";

export interface MqaErrorOptions {
  cause?: unknown;
  /** Machine-readable details (never secrets). */
  details?: Readonly<Record<string, unknown>>;
}

/** Base class of every mqa error. */
export class MqaError extends Error {
  readonly code: MqaErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: MqaErrorCode, message: string, options: MqaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }

  /** True when `err` is an MqaError, optionally with the given code. */
  static is(err: unknown, code?: MqaErrorCode): err is MqaError {
    return err instanceof MqaError && (code === undefined || err.code === code);
  }
}

/**
 * Thrown by a handler to say "retrying cannot help": the message goes straight to the dead-letter
 * queue, skipping the retry middleware.
 */
export class UnrecoverableError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("unrecoverable", message, options);
  }
}

/** The connection or channel a call needed is gone and could not be recovered in time. */
export class ConnectionClosedError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("connection-closed", message, options);
  }
}

/** The broker did not confirm a publish within `publishTimeoutMs`; the message may or may not be stored. */
export class PublishTimeoutError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("publish-timeout", message, options);
  }
}

/** The broker refused the message (negative ack, full queue with reject-publish, ...). */
export class PublishRejectedError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("publish-rejected", message, options);
  }
}

/**
 * The message is larger than the broker takes (the transport's `maxMessageBytes`, or the broker's own limit
 * when it refused it): it was not stored, and sending it again cannot help.
 */
export class MessageTooLargeError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("message-too-large", message, options);
  }
}

/** No queue or group is bound to receive the message, so the broker would have dropped it. */
export class UnroutableError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("unroutable", message, options);
  }
}

/** The payload could not be decoded or did not match the handler's schema. */
export class InvalidPayloadError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("invalid-payload", message, options);
  }
}

/** Options failed validation; `details.issues` lists every problem with its path. */
export class InvalidOptionsError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("invalid-options", message, options);
  }
}

/** A handler ran longer than its timeout. */
export class HandlerTimeoutError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("handler-timeout", message, options);
  }
}

/** The circuit breaker is open; the message was deferred without spending an attempt. */
export class CircuitOpenError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("circuit-open", message, options);
  }
}

/** A declaration conflicts with what already exists on the broker (e.g. other queue arguments). */
export class PreconditionFailedError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("precondition-failed", message, options);
  }
}

/** A resource mqa was told to use as it is (an existing queue, exchange, stream or group) does not exist. */
export class ResourceNotFoundError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("not-found", message, options);
  }
}

/** The object was closed; create a new one. */
export class ClosedError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("closed", message, options);
  }
}

/** The requested durability (replicas, fsync) was not confirmed by the broker. */
export class DurabilityNotMetError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("durability-not-met", message, options);
  }
}

/** Name, code, message and a trimmed stack of any thrown value, safe to put in headers. */
export interface ErrorSummary {
  name: string;
  code?: string;
  message: string;
  stack?: string;
}

/** Summarise any thrown value; the stack is trimmed to `stackLines` frames. */
export function summarizeError(err: unknown, stackLines = 8): ErrorSummary {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const summary: ErrorSummary = { name: err.name, message: maskSecretsInText(String(err.message)) };
    if (typeof code === "string" || typeof code === "number") summary.code = String(code);
    if (err.stack)
      summary.stack = err.stack
        .split("\n")
        .slice(0, stackLines + 1)
        .map(maskSecretsInText)
        .join("\n");
    return summary;
  }
  // A thrown non-Error (`throw null`, a string, a plain object) is described, with anything secret-looking masked:
  // this text ends up in dead-letter headers that operators read and export.
  return { name: "NonError", message: describeThrown(err) };
}

/** Text for a thrown value that is not an Error, redacted and bounded (at most 1,000 characters). */
export function describeThrown(err: unknown): string {
  let text: string;
  if (typeof err === "string") text = maskSecretsInText(err);
  else if (err === undefined || typeof err === "function" || typeof err === "symbol") text = String(err);
  else {
    try {
      text = JSON.stringify(redactValue(err)) ?? String(err);
    } catch {
      text = Object.prototype.toString.call(err);
    }
  }
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}
