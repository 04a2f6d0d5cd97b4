/**
 * Interactive requirements: in a terminal without a requirements file, ask for the few numbers that change
 * the answer most — each with its default shown, Enter to accept it — and re-ask an answer that does not
 * parse. The streams are parameters, so tests drive it without a terminal.
 */
import { createInterface } from "node:readline/promises";
import type { Readable, Writable } from "node:stream";
import { InvalidOptionsError } from "../core/errors.js";
import { requirementsSchema, type RequirementsInput } from "./requirements.js";

interface Question {
  field: keyof RequirementsInput;
  prompt: string;
  /** Shown in brackets and used on Enter; none: an answer is needed. */
  fallback?: string;
  /** Text as typed → the field's input value. */
  read(answer: string): unknown;
}

const number = (a: string): unknown => (/^\d+(\.\d+)?$/.test(a) ? Number(a) : a);

/** The questions, most decisive first. */
export const QUESTIONS: readonly Question[] = [
  { field: "rate", prompt: "Peak messages per second", read: number },
  {
    field: "messageSize",
    prompt: "Typical message size (e.g. 512, 4KiB, 20MiB)",
    fallback: "1KiB",
    read: number,
  },
  {
    field: "durability",
    prompt:
      "Acceptable loss: strict (none, even when a node dies), standard (survives restarts), best-effort",
    fallback: "standard",
    read: (a) => a,
  },
  { field: "ordering", prompt: "Ordering: none, per-key or global", fallback: "none", read: (a) => a },
  {
    field: "handlerTime",
    prompt: "Consumer capacity: time a handler takes per message (e.g. 20ms)",
    fallback: "20ms",
    read: number,
  },
  { field: "latencyP99Ms", prompt: "End-to-end p99 latency target, ms", fallback: "100", read: number },
  { field: "replay", prompt: "How far back must consumers re-read (0, 2h, 7d)", fallback: "0", read: number },
];

/** Most tries per question before giving up (an input that keeps failing is not a person typing). */
const TRIES = 3;

/**
 * Ask for the requirements on `input`/`output`; returns the answers (Enter keeps the shown default) with
 * the names of the fields answered. Rejects with `InvalidOptionsError` after {@link TRIES} bad answers or
 * when the input ends.
 */
export async function askRequirements(
  input: Readable,
  output: Writable,
): Promise<{ requirements: RequirementsInput; given: string[] }> {
  const rl = createInterface({ input, output, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const answers: Record<string, unknown> = {};
  try {
    output.write("mqa design: a few questions (Enter keeps the default in brackets)\n");
    for (const q of QUESTIONS) {
      const shape = requirementsSchema.shape[q.field];
      let done = false;
      for (let i = 0; i < TRIES && !done; i++) {
        output.write(`${q.prompt}${q.fallback !== undefined ? ` [${q.fallback}]` : ""}: `);
        const next = await lines.next();
        if (next.done)
          throw new InvalidOptionsError(`requirements: the input ended before "${q.field}" was answered`);
        const typed = String(next.value).trim();
        const text = typed === "" ? q.fallback : typed;
        if (text === undefined) {
          output.write(`  ${q.field} is needed (no default)\n`);
          continue;
        }
        const parsed = shape.safeParse(q.read(text));
        if (parsed.success) {
          answers[q.field] = q.read(text);
          done = true;
        } else output.write(`  ${q.field}: ${parsed.error.issues[0]?.message ?? "not valid"}; try again\n`);
      }
      if (!done)
        throw new InvalidOptionsError(`requirements: no valid answer for "${q.field}" in ${TRIES} tries`);
    }
  } finally {
    rl.close();
  }
  return { requirements: answers as RequirementsInput, given: Object.keys(answers) };
}
