/**
 * Payload bytes for `mqa publish`, from an argument, stdin lines or a file, without ever rewriting what the
 * user gave: text must be valid UTF-8 (a byte that is not is refused with its offset, never turned into U+FFFD),
 * base64 is decoded strictly, a file is sent byte for byte. Every input is bounded, so a hostile or mistaken
 * input (a 4 GB line with no newline) is refused early instead of filling memory.
 */
import { open } from "node:fs/promises";
import { InvalidPayloadError } from "../core/errors.js";

export type PayloadEncoding = "utf8" | "base64";

/** The largest payload the CLI reads (one argument, one stdin line or one file). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export interface Payload {
  payload: Uint8Array;
  contentType: string;
}

/** Offset of the first byte that is not valid UTF-8, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  try {
    strictUtf8.decode(bytes);
    return -1;
  } catch {
    // Narrow down by decoding growing prefixes of a window: only runs for input that is already refused.
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
        lo = mid + 1;
      } catch {
        hi = mid;
      }
    }
    if (lo < bytes.length) return lo;
    // Every prefix decodes: the text ends inside a sequence; point at that sequence's lead byte.
    let start = bytes.length - 1;
    while (start > 0 && bytes.length - start < 4 && ((bytes[start] as number) & 0xc0) === 0x80) start--;
    return start;
  }
}

/** Strict base64 (standard or URL alphabet, padding optional); anything else is refused. */
export function decodeBase64(text: string, where: string): Uint8Array {
  const clean = text.trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.replace(/=+$/, "").length % 4 === 1)
    throw new InvalidPayloadError(`${where} is not valid base64`);
  return new Uint8Array(
    Buffer.from(clean, clean.includes("-") || clean.includes("_") ? "base64url" : "base64"),
  );
}

/** JSON if the text parses, else plain text; bytes that are not UTF-8 are sent as application/octet-stream. */
export function contentTypeOf(bytes: Uint8Array): string {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return "application/octet-stream";
  }
  try {
    JSON.parse(text);
    return "application/json";
  } catch {
    return "text/plain";
  }
}

/**
 * Payload from text the user typed (an argument, a stdin line already checked as UTF-8). In `utf8` mode the
 * text is sent as is; a U+FFFD in an argument means the shell handed Node bytes that were not UTF-8, which
 * are already lost, so the argument is refused rather than sent altered.
 */
export function payloadFromArgument(
  text: string,
  encoding: PayloadEncoding,
  where: string,
  contentType?: string,
): Payload {
  const bytes =
    encoding === "base64"
      ? decodeBase64(text, where)
      : (() => {
          if (text.includes("\uFFFD"))
            throw new InvalidPayloadError(
              `${where} contains U+FFFD, the mark of bytes that were not UTF-8 and have been lost: publish binary data with --encoding base64 or --payload-file`,
            );
          return new TextEncoder().encode(text);
        })();
  if (bytes.length > MAX_PAYLOAD_BYTES)
    throw new InvalidPayloadError(`${where} is ${bytes.length} bytes, above the CLI's ${MAX_PAYLOAD_BYTES}`);
  return { payload: bytes, contentType: contentType ?? contentTypeOf(bytes) };
}

/** The whole file as the payload, byte for byte; refused before reading when it is larger than the limit. */
export async function payloadFromFile(path: string, contentType?: string): Promise<Payload> {
  const file = await open(path, "r").catch((err: unknown) => {
    throw new InvalidPayloadError(`--payload-file ${path}: cannot open it (${(err as Error).message})`);
  });
  try {
    const { size } = await file.stat();
    if (size > MAX_PAYLOAD_BYTES)
      throw new InvalidPayloadError(
        `--payload-file ${path} is ${size} bytes, above the CLI's ${MAX_PAYLOAD_BYTES}`,
      );
    const bytes = new Uint8Array(await file.readFile());
    return { payload: bytes, contentType: contentType ?? contentTypeOf(bytes) };
  } finally {
    await file.close();
  }
}

/** One stdin line: its 1-based number and its bytes (without `\n` or `\r\n`), or why it cannot be read. */
export type StdinLine = { line: number; bytes: Uint8Array } | { line: number; error: string };

/**
 * Split a byte stream into lines without decoding it. A line longer than `maxBytes` is reported as an error
 * and skipped to its end without being held in memory.
 */
export async function* byteLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes = MAX_PAYLOAD_BYTES,
): AsyncGenerator<StdinLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let line = 1;
  const finish = (): StdinLine => {
    const out: StdinLine = overflow
      ? {
          line,
          error: `line ${line} is longer than ${maxBytes} bytes; publish large payloads with --payload-file`,
        }
      : { line, bytes: stripCr(Buffer.concat(parts, size)) };
    parts = [];
    size = 0;
    overflow = false;
    line++;
    return out;
  };
  for await (const chunk of input) {
    let buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      take(buf.subarray(0, nl));
      yield finish();
      buf = buf.subarray(nl + 1);
    }
    take(buf);
  }
  if (size > 0 || overflow) yield finish();

  function take(piece: Buffer): void {
    if (overflow || piece.length === 0) return;
    if (size + piece.length > maxBytes) {
      overflow = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(Buffer.from(piece));
    size += piece.length;
  }
}

function stripCr(b: Buffer): Uint8Array {
  return new Uint8Array(b.length > 0 && b[b.length - 1] === 0x0d ? b.subarray(0, b.length - 1) : b);
}

/** A stdin line as a payload in the given encoding; blank lines give undefined (skipped). */
export function payloadFromLine(
  bytes: Uint8Array,
  line: number,
  encoding: PayloadEncoding,
  contentType?: string,
): Payload | undefined {
  const bad = invalidUtf8Offset(bytes);
  if (bad !== -1)
    throw new InvalidPayloadError(
      `line ${line} is not valid UTF-8 (byte ${bad}); publish binary data with --encoding base64 (one base64 payload per line) or --payload-file`,
    );
  const text = strictUtf8.decode(bytes).trim();
  if (text === "") return undefined;
  return payloadFromArgument(text, encoding, `line ${line}`, contentType);
}
