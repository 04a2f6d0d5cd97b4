/** Errors of reading a topology spec: every one is an {@link MqaError} with a stable code. */
import { InvalidOptionsError, type MqaErrorOptions } from "../core/errors.js";

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
