/**
 * Export and import of dead letters as NDJSON, one dead letter a line. The payload travels as base64 and the
 * headers as they are, so an export imported again gives back the same bytes, headers and message id.
 *
 * Line: `{"v":1,"topic","group","id","key"?,"contentType"?,"timestamp","correlationId"?,"causationId"?,
 * "headers":{…},"payload":"<base64>"}`.
 */
import { z } from "zod";
import { outgoingOf, type DeadLetterEntry, type DeadLetterQueues } from "../core/dead-letter-queues.js";
import { InvalidPayloadError } from "../core/errors.js";
import type { OutgoingMessage } from "../core/message.js";
import { matchesFilter, type DeadLetterFilter } from "./filter.js";

const LineSchema = z
  .object({
    v: z.literal(1),
    topic: z.string().min(1),
    group: z.string().min(1),
    id: z.string().min(1),
    key: z.string().optional(),
    contentType: z.string().optional(),
    timestamp: z.number().int(),
    correlationId: z.string().optional(),
    causationId: z.string().optional(),
    headers: z.record(z.string(), z.string()),
    payload: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "payload must be base64"),
  })
  .strict();

/** One exported dead letter. */
export type DeadLetterLine = z.infer<typeof LineSchema>;

/** The NDJSON line of one dead letter (no trailing newline). */
export function toLine(entry: DeadLetterEntry, topic: string, group: string): string {
  const m = outgoingOf(entry.message);
  const line: DeadLetterLine = {
    v: 1,
    topic,
    group,
    id: entry.message.id,
    ...(m.key !== undefined ? { key: m.key } : {}),
    ...(m.contentType !== undefined ? { contentType: m.contentType } : {}),
    timestamp: entry.message.timestamp,
    ...(m.correlationId !== undefined ? { correlationId: m.correlationId } : {}),
    ...(m.causationId !== undefined ? { causationId: m.causationId } : {}),
    headers: ownCopy(entry.headers),
    payload: Buffer.from(entry.message.payload).toString("base64"),
  };
  return JSON.stringify(line);
}

/** Parse one line; throws {@link InvalidPayloadError} naming the line number and the field at fault. */
export function parseLine(text: string, lineNumber: number): DeadLetterLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidPayloadError(`line ${lineNumber}: not JSON (${(err as Error).message})`);
  }
  const parsed = LineSchema.safeParse(raw);
  if (!parsed.success)
    throw new InvalidPayloadError(
      `line ${lineNumber}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(line)"}: ${i.message}`).join("; ")}`,
    );
  // zod builds the record by assignment, which drops a header named `__proto__`; the validated raw object keeps
  // every header as an own property.
  return { ...parsed.data, headers: ownCopy((raw as { headers: Record<string, string> }).headers) };
}

/** A copy holding every key as an own property, `__proto__` included. */
function ownCopy(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers));
}

/** The dead letter a line describes, ready for {@link DeadLetterQueues.appendDeadLetter}. */
export function messageOfLine(line: DeadLetterLine): OutgoingMessage {
  return {
    id: line.id,
    payload: new Uint8Array(Buffer.from(line.payload, "base64")),
    headers: ownCopy(line.headers),
    timestamp: line.timestamp,
    ...(line.key !== undefined ? { key: line.key } : {}),
    ...(line.contentType !== undefined ? { contentType: line.contentType } : {}),
    ...(line.correlationId !== undefined ? { correlationId: line.correlationId } : {}),
    ...(line.causationId !== undefined ? { causationId: line.causationId } : {}),
  };
}

/** Write the matching dead letters of a group as NDJSON lines (each without newline); changes nothing. */
export async function exportDeadLetters(
  dlq: DeadLetterQueues,
  topic: string,
  group: string,
  write: (line: string) => void | Promise<void>,
  options: { readonly filter?: DeadLetterFilter; readonly signal?: AbortSignal } = {},
): Promise<{ readonly exported: number; readonly aborted: boolean }> {
  let exported = 0;
  const now = Date.now();
  const result = await dlq.walkDeadLetters(
    topic,
    group,
    async (entry) => {
      if (matchesFilter(entry, options.filter ?? {}, now)) {
        await write(toLine(entry, topic, group));
        exported++;
      }
      return { action: "keep" };
    },
    options.signal ? { signal: options.signal } : {},
  );
  return { exported, aborted: result.aborted };
}

/**
 * Add every line's dead letter back to a DLQ: to `into` when given, else to the topic and group the line
 * names. Blank lines are skipped. Every line is checked before the first one is written.
 */
export async function importDeadLetters(
  dlq: DeadLetterQueues,
  lines: Iterable<string>,
  into?: { readonly topic: string; readonly group: string },
): Promise<{ readonly imported: number }> {
  const parsed: DeadLetterLine[] = [];
  let n = 0;
  for (const text of lines) {
    n++;
    if (text.trim() === "") continue;
    parsed.push(parseLine(text, n));
  }
  for (const line of parsed)
    await dlq.appendDeadLetter(into?.topic ?? line.topic, into?.group ?? line.group, messageOfLine(line));
  return { imported: parsed.length };
}
