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
    let text: string;
    try {
      text = utf8Decoder.decode(bytes);
    } catch (cause) {
      throw new InvalidPayloadError("payload is not valid UTF-8, so it cannot be JSON", { cause });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      throw new InvalidPayloadError(
        `payload is not valid JSON: ${(cause as Error).message} (starts: ${JSON.stringify(preview)})`,
        {
          cause,
        },
      );
    }
  },
};

/** Bytes as they are. */
export const rawCodec: Codec<Uint8Array> = {
  contentType: "application/octet-stream",
  encode: (value) => value,
  decode: (bytes) => bytes,
};

/** Look up a codec by content type; unknown types fall back to raw bytes. */
export function codecFor(contentType: string | undefined): Codec<unknown> {
  if (contentType === undefined || contentType.startsWith("application/json")) return jsonCodec;
  return rawCodec as Codec<unknown>;
}
