import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTraceParent, parseTraceParent, parseTraceState, traceHeaders } from "./w3c.js";

const hex = (n: number) =>
  fc
    .array(fc.constantFrom(..."0123456789abcdef"), { minLength: n, maxLength: n })
    .map((a) => a.join(""))
    .filter((s) => !/^0+$/.test(s));

describe("W3C trace context", () => {
  it("parses what it formats, for every valid id and flags", () => {
    fc.assert(
      fc.property(hex(32), hex(16), fc.integer({ min: 0, max: 255 }), (traceId, spanId, traceFlags) => {
        const header = formatTraceParent({ traceId, spanId, traceFlags });
        expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
        expect(parseTraceParent(header)).toEqual({ traceId, spanId, traceFlags });
      }),
    );
  });

  it("never throws on hostile input, and accepts only well-formed headers", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 700 }), fc.option(fc.string({ maxLength: 700 })), (tp, ts) => {
        const parsed = parseTraceParent(tp, ts ?? undefined);
        if (parsed !== undefined) {
          expect(parsed.traceId).toMatch(/^[0-9a-f]{32}$/);
          expect(parsed.spanId).toMatch(/^[0-9a-f]{16}$/);
          if (parsed.traceState !== undefined) expect(parsed.traceState.length).toBeLessThanOrEqual(512);
        }
      }),
    );
  });

  it("refuses the invalid cases the specification names", () => {
    const ok = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect(parseTraceParent(ok)).toMatchObject({ traceFlags: 1 });
    expect(parseTraceParent(ok.toUpperCase())).toBeUndefined(); // lowercase only
    expect(parseTraceParent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toBeUndefined();
    expect(parseTraceParent("00-00000000000000000000000000000000-b7ad6b7169203331-01")).toBeUndefined();
    expect(parseTraceParent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")).toBeUndefined();
    expect(parseTraceParent(`${ok}-extra`)).toBeUndefined(); // version 00 has nothing after the flags
    expect(parseTraceParent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")).toMatchObject({
      spanId: "b7ad6b7169203331",
    }); // a later version may append fields
    expect(parseTraceParent(undefined)).toBeUndefined();
  });

  it("keeps a well-formed tracestate and drops a malformed or oversized one", () => {
    expect(parseTraceState("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE")).toBe(
      "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
    );
    expect(parseTraceState("no-equals-sign")).toBeUndefined();
    expect(parseTraceState(`a=${"x".repeat(600)}`)).toBeUndefined();
    expect(
      traceHeaders({
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: 1,
        traceState: "k=v",
      }),
    ).toEqual({
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "k=v",
    });
  });
});
