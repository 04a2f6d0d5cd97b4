/**
 * The broker admin layer's errors. One class, {@link BrokerApiError}, for "the broker's admin interface
 * (RabbitMQ management API, admin Redis connection) said no or cannot be reached"; its `code` says whose move
 * it is. Every message carries the URL with its password masked, never a secret.
 */
import { MqaError, type MqaErrorCode, type MqaErrorOptions } from "../core/errors.js";

/** `invalid-options`: the caller's input is wrong (not a URL, refused credentials, not the API's port). */
export type BrokerApiErrorCode = Extract<MqaErrorCode, "connection-closed" | "invalid-options">;

/**
 * The broker's admin interface refused a call, failed, or could not be reached. `code` is `invalid-options`
 * when what the caller gave must change (a malformed URL, credentials refused with HTTP 401, a port that does
 * not speak the API) and `connection-closed` otherwise. `details.status` holds the HTTP status when the API
 * answered.
 */
export class BrokerApiError extends MqaError {
  constructor(message: string, options: MqaErrorOptions & { code?: BrokerApiErrorCode } = {}) {
    super(options.code ?? "connection-closed", message, options);
  }

  /** The HTTP status the management API answered with, if it answered. */
  get status(): number | undefined {
    const status = this.details?.["status"];
    return typeof status === "number" ? status : undefined;
  }
}

/** A change the broker cannot make safely in place (a queue still holding messages, new queue arguments); migrate instead. */
export class UnsafeChangeError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("precondition-failed", message, options);
  }
}
