/**
 * Read a JSON or YAML file for the audit. Parse errors report line and column but never echo the file's
 * text: a definitions file holds password hashes, and V8's JSON errors quote the input.
 */
import { open, readFile, stat } from "node:fs/promises";
import { parseDocument } from "yaml";
import { MAX_SPEC_BYTES_ENV, maxSpecBytes } from "../../topology/mod.js";
import { AuditInputError } from "./definitions.js";

/**
 * Largest definitions export the audit reads: 8 × the spec limit (64 MiB by default), since an export is
 * denser than a spec and cheaper to model. Any other file (a spec) is held to the spec limit, before it is
 * parsed and again before it is expanded ({@link assertAuditSpecSize}).
 */
export function maxAuditFileBytes(): number {
  return 8 * maxSpecBytes();
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** A RabbitMQ definitions export names its version in its first bytes (`{"rabbit_version": …`). */
async function looksLikeDefinitions(path: string): Promise<boolean> {
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return /"rabbit(mq)?_version"\s*:/.test(head.subarray(0, bytesRead).toString("utf8"));
  } finally {
    await file.close();
  }
}

/** Refuse a spec document over the spec size limit, before it is expanded. */
export function assertAuditSpecSize(path: string, text: string): void {
  const limit = maxSpecBytes();
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limit)
    throw new AuditInputError(
      `${path}: the spec is ${mib(bytes)}, over the limit of ${mib(limit)}; split it, or raise the limit with ${MAX_SPEC_BYTES_ENV}=<bytes>`,
      { details: { path, bytes, limit } },
    );
}

/** Parse JSON (by extension or content) or YAML; throw {@link AuditInputError} naming the file and position. */
export async function readDocument(path: string): Promise<unknown> {
  return (await readDocumentWithText(path)).document;
}

/** {@link readDocument}, also returning the text (to point findings at lines). */
export async function readDocumentWithText(path: string): Promise<{ document: unknown; text: string }> {
  let text: string;
  const size = await stat(path).then(
    (s) => s.size,
    () => 0, // the read below reports a missing or unreadable file
  );
  if (size > maxSpecBytes()) {
    // Past the spec limit only a definitions export (which names its version first) is read, up to 8 × it.
    const definitions = await looksLikeDefinitions(path);
    const limit = definitions ? maxAuditFileBytes() : maxSpecBytes();
    if (size > limit)
      throw new AuditInputError(
        `${path}: the ${definitions ? "definitions file" : "file"} is ${mib(size)}, over the limit of ${mib(limit)}; nothing was parsed (split it, or raise the limit with ${MAX_SPEC_BYTES_ENV}=<bytes>${definitions ? ": definitions files may be 8 times that" : ""})`,
        { details: { path, bytes: size, limit } },
      );
  }
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
