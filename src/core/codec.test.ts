import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codecFor, jsonCodec, rawCodec, textCodec } from "./codec.js";
import { InvalidPayloadError, MqaError } from "./errors.js";

describe("jsonCodec", () => {
  it("round-trips any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const decoded = jsonCodec.decode(jsonCodec.encode(value));
        // JSON normalises -0 to 0; compare through JSON text.
        expect(JSON.stringify(decoded)).toBe(JSON.stringify(value));
      }),
    );
  });

  it("never throws anything but InvalidPayloadError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          jsonCodec.decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPayloadError);
          expect(MqaError.is(err, "invalid-payload")).toBe(true);
        }
      }),
    );
  });

  it("rejects invalid UTF-8 and invalid JSON with a message that says which", () => {
    expect(() => jsonCodec.decode(new Uint8Array([0xff, 0xfe]))).toThrow(/not valid UTF-8/);
    expect(() => jsonCodec.decode(new TextEncoder().encode("{oops"))).toThrow(
      /not valid JSON.*starts: "\{oops"/,
    );
  });

  it("refuses to encode values JSON cannot represent", () => {
    expect(() => jsonCodec.encode(undefined)).toThrow(InvalidPayloadError);
  });
});

describe("rawCodec and codecFor", () => {
  it("raw passes bytes through", () => {
    fc.assert(
      fc.property(fc.uint8Array(), (b) => {
        expect(rawCodec.decode(rawCodec.encode(b))).toEqual(b);
      }),
    );
  });

  it("picks JSON for JSON content types, text for text/*, raw otherwise", () => {
    expect(codecFor("application/json; charset=utf-8")).toBe(jsonCodec);
    expect(codecFor("Application/vnd.shop.order+json")).toBe(jsonCodec);
    expect(codecFor("text/json")).toBe(jsonCodec);
    expect(codecFor("text/plain; charset=utf-8")).toBe(textCodec);
    expect(codecFor("application/octet-stream")).toBe(rawCodec);
  });

  it("reads a message without a content type as the assumed type, JSON unless told otherwise", () => {
    expect(codecFor(undefined)).toBe(jsonCodec);
    expect(codecFor(undefined, "text/plain")).toBe(textCodec);
    expect(codecFor(undefined, "application/octet-stream")).toBe(rawCodec);
    // A content type the message does carry always wins over the assumption.
    expect(codecFor("application/json", "text/plain")).toBe(jsonCodec);
  });

  it("text round-trips any string and rejects invalid UTF-8", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(textCodec.decode(textCodec.encode(s))).toBe(s);
      }),
    );
    expect(() => textCodec.decode(new Uint8Array([0xc3]))).toThrow(/not valid UTF-8, so it cannot be text/);
  });
});
