import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Headers } from "../../core/message.js";
import {
  deadLetterFields,
  decodeEntry,
  encodeMessage,
  withAttempt,
  type EntryFields,
  type RawEntry,
} from "./fields.js";

/** What XREADGROUP returns for an entry written with `fields`: every value as a Buffer. */
function asRead(entryId: string, fields: EntryFields): RawEntry {
  return [Buffer.from(entryId), fields.map((f) => (typeof f === "string" ? Buffer.from(f) : Buffer.from(f)))];
}

const headerName = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== Headers.attempt);

describe("stream entry layout", () => {
  it("writes two fields, metadata JSON and payload; a content type only when the publisher named one", () => {
    const { id, fields } = encodeMessage({ id: "m1", payload: new Uint8Array([1, 2, 3]), timestamp: 5 });
    expect(id).toBe("m1");
    expect(fields.filter((_, i) => i % 2 === 0)).toEqual(["m", "p"]);
    expect(JSON.parse(fields[1] as string)).toEqual({ id: "m1", ts: 5, a: 1, h: {} });
    const typed = encodeMessage({
      id: "m2",
      payload: new Uint8Array(),
      timestamp: 5,
      contentType: "text/csv",
    });
    expect(JSON.parse(typed.fields[1] as string)).toMatchObject({ ct: "text/csv" });
  });

  it("round-trips every property of a message", () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1 }),
          payload: fc.uint8Array({ maxLength: 300 }),
          key: fc.option(fc.string(), { nil: undefined }),
          contentType: fc.string({ minLength: 1 }),
          timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
          correlationId: fc.option(fc.string(), { nil: undefined }),
          causationId: fc.option(fc.string(), { nil: undefined }),
          headers: fc.dictionary(headerName, fc.string(), { maxKeys: 5 }),
          attempt: fc.integer({ min: 1, max: 50 }),
        }),
        (m) => {
          const { fields } = encodeMessage({
            ...m,
            headers: { ...m.headers, [Headers.attempt]: String(m.attempt) },
          });
          const decoded = decodeEntry(asRead("1700000000000-0", fields))!;
          expect(decoded.storedAttempt).toBe(m.attempt);
          const out = decoded.toMessage("t", 7);
          expect(out).toMatchObject({
            id: m.id,
            topic: "t",
            key: m.key,
            contentType: m.contentType,
            timestamp: m.timestamp,
            correlationId: m.correlationId,
            causationId: m.causationId,
            attempt: 7,
          });
          expect(Buffer.from(out.payload).equals(Buffer.from(m.payload))).toBe(true);
          expect(out.headers).toEqual({ ...m.headers, [Headers.attempt]: "7" });
        },
      ),
    );
  });

  it("keeps headers whose names are Object.prototype's (fast-check found `__proto__`)", () => {
    const headers = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') as Record<
      string,
      string
    >;
    const { fields } = encodeMessage({ payload: new Uint8Array(), headers });
    const out = decodeEntry(asRead("1700000000000-0", fields))!.toMessage("t", 1);
    expect(Object.keys(out.headers).sort()).toEqual([
      "__proto__",
      "constructor",
      "toString",
      Headers.attempt,
    ]);
    expect(out.headers["__proto__"]).toBe("p");
  });

  it("copies the payload on publish, so a caller reusing its buffer cannot change a queued message", () => {
    const buf = Buffer.from("before");
    const { fields } = encodeMessage({ payload: buf });
    buf.write("AFTER!");
    expect((fields[3] as Buffer).toString()).toBe("before");
  });

  it("reads entries of the older one-field-per-property layout", () => {
    const old: EntryFields = ["id", "o1", "key", "k", "ct", "text/plain", "ts", "42", "cor", "c1", "a", "3"];
    old.push("h", JSON.stringify({ x: "1" }), "p", Buffer.from("hi"));
    const decoded = decodeEntry(asRead("9-0", old))!;
    expect(decoded.storedAttempt).toBe(3);
    const m = decoded.toMessage("t", 3);
    expect(m).toMatchObject({
      id: "o1",
      key: "k",
      contentType: "text/plain",
      timestamp: 42,
      correlationId: "c1",
    });
    expect(m.headers).toEqual({ x: "1", [Headers.attempt]: "3" });
    // A retry of it is written in the new layout, with everything kept.
    const again = decodeEntry(asRead("10-0", withAttempt(decoded, 4, { why: "busy" })))!;
    expect(again.toMessage("t", 4)).toMatchObject({ id: "o1", key: "k", timestamp: 42, correlationId: "c1" });
    expect(again.toMessage("t", 4).headers).toEqual({ x: "1", why: "busy", [Headers.attempt]: "4" });
  });

  it("reads another tool's entry without losing it: ids and times from the entry id, unreadable metadata ignored", () => {
    const foreign = decodeEntry(asRead("1700000000123-4", ["p", Buffer.from("{}"), "other", "x"]))!;
    expect(foreign.toMessage("t", 1)).toMatchObject({
      id: "1700000000123-4",
      timestamp: 1700000000123,
      contentType: undefined, // not said: the route's codec decides (JSON by default)
      attempt: 1,
    });
    const broken = decodeEntry(asRead("5-0", ["m", "{not json", "p", Buffer.from("x")]))!;
    expect(broken.toMessage("t", 1).id).toBe("5-0");
    const typed = decodeEntry(
      asRead("6-0", ["m", JSON.stringify({ id: "i", h: { n: 1, b: true, o: {} } })]),
    )!;
    expect(typed.toMessage("t", 1).headers).toEqual({ n: "1", b: "true", [Headers.attempt]: "1" });
  });

  it("lays out a dead letter with its reason fields readable on their own", () => {
    const decoded = decodeEntry(
      asRead("7-0", encodeMessage({ id: "d1", payload: Buffer.from("x") }).fields),
    )!;
    const message = decoded.toMessage("t", 5);
    const fields = deadLetterFields(message, { [Headers.deadLetterReason]: "poison" }, "g", "7-0");
    const names = fields.filter((_, i) => i % 2 === 0);
    expect(names).toEqual(["m", "p", "reason", "group", "source-id"]);
    expect(fields.slice(5)).toEqual(["poison", "group", "g", "source-id", "7-0"]);
    const back = decodeEntry(asRead("8-0", fields))!;
    expect(back.storedAttempt).toBe(5);
    expect(back.fields.get("reason")?.toString()).toBe("poison");
  });

  it("treats a deleted entry (nil fields) as gone", () => {
    expect(decodeEntry([Buffer.from("1-0"), null])).toBeUndefined();
  });
});
