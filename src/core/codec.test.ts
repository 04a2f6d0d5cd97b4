import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codecFor, jsonCodec, rawCodec } from "./codec.js";
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

  it("picks JSON for JSON content types and raw otherwise", () => {
    expect(codecFor("application/json; charset=utf-8")).toBe(jsonCodec);
    expect(codecFor(undefined)).toBe(jsonCodec);
    expect(codecFor("application/octet-stream")).toBe(rawCodec);
  });
});
