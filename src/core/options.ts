/**
 * Options are validated once, at construction, with zod: unknown keys are rejected and every problem
 * is reported with its path, so a typo fails loudly instead of silently using a default.
 */
import type { z } from "zod";
import { InvalidOptionsError } from "./errors.js";

/** One validation problem, with the dotted path to the offending value. */
export interface OptionIssue {
  path: string;
  message: string;
}

/** Turn zod issues into `path: message` pairs. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): OptionIssue[] {
  return issues.map((issue) => ({
    path: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/**
 * Parse `input` with `schema` (use `z.strictObject` so unknown keys fail) or throw an
 * {@link InvalidOptionsError} that lists every issue with its path. `what` names the thing being
 * configured, e.g. `AmqpTransport options`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = formatIssues(result.error.issues);
  const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n");
  throw new InvalidOptionsError(`invalid ${what}:\n${list}`, { details: { issues } });
}
