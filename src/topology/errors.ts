/** Errors raised by topology: every one is an {@link MqaError} with a stable code. */
import { InvalidOptionsError, MqaError, type MqaErrorOptions } from "../core/errors.js";

/** One problem in a spec, with its path (`rabbitmq.queues[2].arguments.x-max-length`) and line when known. */
export interface SpecIssue {
  path: string;
  message: string;
  /** 1-based line in the source text, when the spec came from text. */
  line?: number;
}

/**
 * The spec could not be read or is invalid. `issues` lists every problem; nothing was applied.
 * Code `invalid-options`, as for any rejected configuration.
 */
export class InvalidSpecError extends InvalidOptionsError {
  readonly issues: readonly SpecIssue[];

  constructor(source: string, issues: readonly SpecIssue[], options: MqaErrorOptions = {}) {
    const list = issues
      .map((i) => `  - ${i.path}${i.line === undefined ? "" : ` (line ${i.line})`}: ${i.message}`)
      .join("\n");
    super(`invalid topology spec ${source}:\n${list}`, { ...options, details: { issues } });
    this.issues = issues;
  }
}

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
