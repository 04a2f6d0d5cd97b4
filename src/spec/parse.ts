/**
 * Reading a spec: text (YAML or JSON) → plain value → zod validation. Every failure becomes one
 * {@link InvalidSpecError} listing each problem with its path and, when cheap, its line.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, isNode, parseDocument } from "yaml";
import type { z } from "zod";
import { InvalidSpecError, type SpecIssue } from "./errors.js";
import { topologySpec, type TopologySpec } from "./schema/spec.js";
import { assertSpecFileSize, assertSpecSize, maxSpecBytes } from "./size-limit.js";

/** Options of reading spec text or files. */
export interface SpecReadOptions {
  /** Largest spec accepted, in bytes; larger ones are refused before parsing. @defaultValue `MQA_MAX_SPEC_BYTES`, else 8 MiB */
  maxBytes?: number;
}

export type SpecFormat = "yaml" | "json";

/** `queues.2.arguments` → `queues[2].arguments`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

/**
 * zod issues → spec issues; an unknown key gets its own path so the user sees where it is. `lineFor`
 * returns the source line of a path when the spec came from text.
 */
export function specIssues(
  issues: readonly z.core.$ZodIssue[],
  lineFor: (path: PropertyKey[]) => number | undefined = () => undefined,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  const push = (path: PropertyKey[], message: string): void => {
    const line = lineFor(path);
    out.push(
      line === undefined ? { path: formatPath(path), message } : { path: formatPath(path), message, line },
    );
  };
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) push([...issue.path, key], "unknown key");
    } else if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) {
      push(issue.path, `required, expected ${issue.expected}`);
    } else {
      push(issue.path, issue.message.replace(/^Invalid input: /, ""));
    }
  }
  return out;
}

/** Validate an already-parsed value. Throws {@link InvalidSpecError}. */
export function validateSpec(value: unknown, source = "(value)"): TopologySpec {
  const result = topologySpec.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidSpecError(source, specIssues(result.error.issues));
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Line of each path, found in the YAML document (JSON is YAML too); a missing key is placed at its parent. */
function lineFinder(text: string): (path: PropertyKey[]) => number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

/** Guess the format from a file name: `.json` is JSON, anything else YAML. */
export function formatFromName(fileName: string): SpecFormat {
  return fileName.toLowerCase().endsWith(".json") ? "json" : "yaml";
}

/**
 * Parse and validate spec text. Throws {@link InvalidSpecError} for broken syntax, an invalid spec, or text
 * over the size limit (checked first).
 */
export function parseSpecText(
  text: string,
  format: SpecFormat,
  source = "(text)",
  options: SpecReadOptions = {},
): TopologySpec {
  // Length in UTF-16 units is at most the UTF-8 byte count, so only texts near the limit are measured exactly.
  const limit = options.maxBytes ?? maxSpecBytes();
  if (text.length > limit / 3) assertSpecSize(source, Buffer.byteLength(text, "utf8"), limit);
  let value: unknown;
  if (format === "json") {
    try {
      value = JSON.parse(text) as unknown;
    } catch (cause) {
      const message = (cause as Error).message;
      const position = /position (\d+)/.exec(message);
      const issue: SpecIssue = { path: "(root)", message: `not valid JSON: ${message}` };
      if (position) issue.line = lineOf(text, Number(position[1]));
      throw new InvalidSpecError(source, [issue], { cause });
    }
  } else {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false });
    if (doc.errors.length > 0) {
      const issues = doc.errors.map((e) => ({
        path: "(root)",
        message: `not valid YAML: ${e.message.split("\n")[0] ?? e.code}`,
        line: lineCounter.linePos(e.pos[0]).line,
      }));
      throw new InvalidSpecError(source, issues);
    }
    try {
      // Aliases can still fail here (unresolved, or too many: the "billion laughs" guard).
      value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (cause) {
      throw new InvalidSpecError(
        source,
        [{ path: "(root)", message: `not valid YAML: ${(cause as Error).message}` }],
        {
          cause,
        },
      );
    }
  }
  const result = topologySpec.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidSpecError(source, specIssues(result.error.issues, lineFinder(text)));
}

/** Read, parse and validate a spec file; one over the size limit is refused before it is read. */
export async function loadSpecFile(path: string, options: SpecReadOptions = {}): Promise<TopologySpec> {
  const limit = options.maxBytes ?? maxSpecBytes();
  await assertSpecFileSize(path, limit);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new InvalidSpecError(
      path,
      [{ path: "(root)", message: `cannot read the file: ${(cause as Error).message}` }],
      {
        cause,
      },
    );
  }
  return parseSpecText(text, formatFromName(path), path, { maxBytes: limit });
}
