/**
 * Read a JSON or YAML file for the audit. Parse errors report line and column but never echo the file's
 * text: a definitions file holds password hashes, and V8's JSON errors quote the input.
 */
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { AuditInputError } from "./definitions.js";

/** Parse JSON (by extension or content) or YAML; throw {@link AuditInputError} naming the file and position. */
export async function readDocument(path: string): Promise<unknown> {
  return (await readDocumentWithText(path)).document;
}

/** {@link readDocument}, also returning the text (to point findings at lines). */
export async function readDocumentWithText(path: string): Promise<{ document: unknown; text: string }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? "unknown error";
    throw new AuditInputError(`cannot read ${path}: ${code}`, { cause: err });
  }
  const looksJson = path.endsWith(".json") || /^\s*[{[]/.test(text);
  if (looksJson) {
    try {
      return { document: JSON.parse(text) as unknown, text };
    } catch (err) {
      // Ask the YAML parser (a JSON superset) only for the position.
      const pos = parseDocument(text).errors[0]?.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : positionFromMessage(err, text);
      throw new AuditInputError(`${path}: broken JSON${where}`, { details: { path } });
    }
  }
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new AuditInputError(
      `${path}: broken YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ""} (${first.code})`,
      {
        details: { path },
      },
    );
  }
  return { document: doc.toJS() as unknown, text };
}

function positionFromMessage(err: unknown, text: string): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : "");
  if (!m) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return ` at line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
}
