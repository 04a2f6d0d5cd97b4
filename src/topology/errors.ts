/** Errors raised by topology: every one is an {@link MqaError} with a stable code. */
import { MqaError, type MqaErrorOptions } from "../core/errors.js";

export { InvalidSpecError, type SpecIssue } from "../spec/errors.js";

/** The broker refused or failed a management call; `details.status` holds the HTTP status when there was one. */
export class BrokerApiError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("connection-closed", message, options);
  }
}

/** A change the broker cannot make in place (queue arguments, exchange type); migrate instead. */
export class UnsafeChangeError extends MqaError {
  constructor(message: string, options: MqaErrorOptions = {}) {
    super("precondition-failed", message, options);
  }
}
