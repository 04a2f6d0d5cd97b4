/**
 * Codecs turn values into payload bytes and back. Decoding failures raise {@link InvalidPayloadError},
 * which the router turns into a dead letter with reason `invalid-payload`.
 */
import { InvalidPayloadError } from "./errors.js";

export interface Codec<T = unknown> {
  /** MIME type written to the message's `contentType`. */
  readonly contentType: string;
  encode(value: T): Uint8Array;
  /** Throws {@link InvalidPayloadError} when the bytes are not a valid encoding. */
  decode(bytes: Uint8Array): T;
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new InvalidPayloadError(`payload is not valid UTF-8, so it cannot be ${what}`, { cause });
  }
}

/** JSON in UTF-8. The default codec. Rejects invalid UTF-8 and invalid JSON. */
export const jsonCodec: Codec<unknown> = {
  contentType: "application/json",
  encode(value: unknown): Uint8Array {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new InvalidPayloadError(`jsonCodec cannot encode a value of type ${typeof value}`);
    }
    return utf8Encoder.encode(text);
  },
  decode(bytes: Uint8Array): unknown {
    const text = utf8(bytes, "JSON");
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      throw new InvalidPayloadError(
        `payload is not valid JSON: ${(cause as Error).message} (starts: ${JSON.stringify(preview)})`,
        { cause },
      );
    }
  },
};

/** UTF-8 text (`text/*`). Rejects invalid UTF-8. */
export const textCodec: Codec<string> = {
  contentType: "text/plain; charset=utf-8",
  encode: (value) => utf8Encoder.encode(value),
  decode: (bytes) => utf8(bytes, "text"),
};

/** Bytes as they are. */
export const rawCodec: Codec<Uint8Array> = {
  contentType: "application/octet-stream",
  encode: (value) => value,
  decode: (bytes) => bytes,
};

/** What a route assumes for a message that names no content type. @defaultValue "application/json" */
export const DEFAULT_ASSUMED_CONTENT_TYPE = "application/json";

/**
 * The codec for a content type: JSON for `application/json`, `text/json` and any `…+json` type; UTF-8
 * text for other `text/*`; raw bytes for everything else. A message without a content type is read as
 * `assumed` (JSON by default), never forced to raw bytes.
 */
export function codecFor(
  contentType: string | undefined,
  assumed: string = DEFAULT_ASSUMED_CONTENT_TYPE,
): Codec<unknown> {
  const mime = (contentType ?? assumed).split(";")[0]!.trim().toLowerCase();
  if (mime === "application/json" || mime === "text/json" || mime.endsWith("+json")) return jsonCodec;
  if (mime.startsWith("text/")) return textCodec as Codec<unknown>;
  return rawCodec as Codec<unknown>;
}
