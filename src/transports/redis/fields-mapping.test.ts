import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MqaError } from "../../core/errors.js";
import { Headers } from "../../core/message.js";
import {
  decodeEntry,
  encodeMapped,
  encodeMessage,
  withAttempt,
  type EntryFields,
  type FieldMapping,
  type RawEntry,
} from "./fields.js";

/** What XREADGROUP returns for an entry written with `fields`: every value as a Buffer. */
function asRead(entryId: string, fields: EntryFields): RawEntry {
  return [Buffer.from(entryId), fields.map((f) => Buffer.from(f))];
}

const text = (b: Uint8Array): string => Buffer.from(b).toString();
const entryId = "1700000000123-0";

/** A field name another program might use; never mqa's marker `m`. */
// "m" is mqa's own layout and "*" means "the whole field map" (its own property below), not a field name.
const fieldName = fc.string({ minLength: 1, maxLength: 10 }).filter((n) => n !== "m" && n !== "*");

describe("other programs' field layouts", () => {
  it("reads a named payload field; every other field is a header; id and time from the entry", () => {
    const mapping: FieldMapping = { payload: "data" };
    const e = decodeEntry(asRead(entryId, ["data", '{"a":1}', "type", "order.created"]), mapping)!;
    const m = e.toMessage("orders", 1);
    expect(text(m.payload)).toBe('{"a":1}');
    expect(m).toMatchObject({ id: entryId, timestamp: 1700000000123, contentType: undefined, attempt: 1 });
    expect(m.headers).toEqual({ type: "order.created", [Headers.attempt]: "1" });
  });

  it("takes the id from the mapped id field and the content type from the mapping", () => {
    const mapping: FieldMapping = { payload: "body", id: "eventId", contentType: "text/plain" };
    const m = decodeEntry(asRead(entryId, ["eventId", "e-7", "body", "hi"]), mapping)!.toMessage("t", 1);
    expect(m).toMatchObject({ id: "e-7", contentType: "text/plain" });
    expect(m.headers).toEqual({ [Headers.attempt]: "1" });
  });

  it("gives an empty payload when the payload field is missing", () => {
    const m = decodeEntry(asRead(entryId, ["other", "x"]), { payload: "data" })!.toMessage("t", 1);
    expect(m.payload.length).toBe(0);
    expect(m.headers["other"]).toBe("x");
  });

  it('reads payload "*" as the whole field map, as JSON', () => {
    const e = decodeEntry(asRead(entryId, ["orderId", "1", "amount", "1.00"]), { payload: "*" })!;
    const m = e.toMessage("t", 1);
    expect(JSON.parse(text(m.payload))).toEqual({ orderId: "1", amount: "1.00" });
    expect(m.contentType).toBe("application/json");
  });

  it("reads mqa's own entries (field m) as mqa's layout whatever the mapping", () => {
    const { fields } = encodeMessage({ id: "own", payload: Buffer.from("x"), headers: { h: "1" } });
    const m = decodeEntry(asRead(entryId, fields), { payload: "data" })!.toMessage("t", 1);
    expect(m).toMatchObject({ id: "own", headers: { h: "1", [Headers.attempt]: "1" } });
    expect(text(m.payload)).toBe("x");
  });

  it("without a mapping: `p` is the 0.1 layout; any other layout is its field map as JSON", () => {
    const old = decodeEntry(asRead(entryId, ["p", '{"a":"1"}']))!.toMessage("t", 1);
    expect(text(old.payload)).toBe('{"a":"1"}');
    expect(old.contentType).toBeUndefined();
    const other = decodeEntry(asRead(entryId, ["orderId", "1", "__proto__", "x"]))!.toMessage("t", 1);
    expect(JSON.parse(text(other.payload))).toEqual(JSON.parse('{"orderId":"1","__proto__":"x"}'));
    expect(other.contentType).toBe("application/json");
  });

  it("re-encodes a mapped entry in mqa's layout for retries, keeping its headers and id", () => {
    const e = decodeEntry(asRead(entryId, ["data", "x", "type", "t1", "id", "e-1"]), {
      payload: "data",
      id: "id",
    })!;
    const retried = decodeEntry(asRead("1700000000999-0", withAttempt(e, 2)), { payload: "data" })!;
    expect(retried.storedAttempt).toBe(2);
    const m = retried.toMessage("t", 2);
    expect(m).toMatchObject({ id: "e-1", timestamp: 1700000000123, headers: { type: "t1" } });
    expect(text(m.payload)).toBe("x");
  });

  it("round-trips payload, headers and id through a named payload field", () => {
    fc.assert(
      fc.property(
        fieldName,
        fc.option(fieldName, { nil: undefined }),
        fc.uint8Array({ maxLength: 200 }),
        fc.dictionary(fieldName, fc.string(), { maxKeys: 5 }),
        fc.string({ minLength: 1 }),
        (payloadField, idField, payload, headers, id) => {
          fc.pre(idField !== payloadField);
          const h = Object.fromEntries(
            Object.entries(headers).filter(
              ([k]) => k !== payloadField && k !== idField && k !== Headers.attempt,
            ),
          );
          const mapping: FieldMapping = { payload: payloadField, ...(idField ? { id: idField } : {}) };
          const encoded = encodeMapped({ id, payload, headers: h }, mapping, "t");
          expect(encoded.fields[0]).toBe(payloadField);
          const m = decodeEntry(asRead(entryId, encoded.fields), mapping)!.toMessage("t", 1);
          expect(Buffer.from(m.payload).equals(Buffer.from(payload))).toBe(true);
          expect(m.headers).toEqual({ ...h, [Headers.attempt]: "1" });
          expect(m.id).toBe(idField ? id : entryId);
          expect(encoded.id).toBe(idField ? id : undefined);
        },
      ),
    );
  });

  it('round-trips a JSON object of scalars through payload "*"', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(
        fc.dictionary(fieldName, scalar, { minKeys: 1, maxKeys: 6 }),
        fc.option(fieldName, { nil: undefined }),
        (object, idField) => {
          const mapping: FieldMapping = { payload: "*", ...(idField ? { id: idField } : {}) };
          const encoded = encodeMapped(
            { id: "mid", payload: Buffer.from(JSON.stringify(object)) },
            mapping,
            "t",
          );
          const m = decodeEntry(asRead(entryId, encoded.fields), mapping)!.toMessage("t", 1);
          const expected: Record<string, string> = Object.fromEntries(
            Object.entries(object).map(([k, v]) => [k, String(v)]),
          );
          if (idField && !Object.hasOwn(object, idField))
            Object.defineProperty(expected, idField, { value: "mid", enumerable: true });
          expect(JSON.parse(text(m.payload))).toEqual(expected);
          expect(m.id).toBe(idField ? (expected[idField] ?? "mid") : entryId);
          expect(m.contentType).toBe("application/json");
        },
      ),
    );
  });

  it("refuses what a mapped layout cannot hold, with code invalid-payload and the reason", () => {
    const refused = (fn: () => unknown): MqaError => {
      try {
        fn();
      } catch (err) {
        return err as MqaError;
      }
      throw new Error("not refused");
    };
    const star: FieldMapping = { payload: "*" };
    for (const [payload, why] of [
      ["[1,2]", /JSON object/],
      ["not json", /JSON object/],
      ['{"a":{"b":1}}', /key "a" holds an object/],
      ['{"a":null}', /holds null/],
      ["{}", /empty object/],
      ['{"m":"x"}', /mqa's own layout/],
    ] as const) {
      const err = refused(() => encodeMapped({ payload: Buffer.from(payload) }, star, "orders"));
      expect(MqaError.is(err, "invalid-payload")).toBe(true);
      expect(err.message).toMatch(why);
      expect(err.message).toContain('"orders"');
    }
    const named: FieldMapping = { payload: "data", id: "eventId" };
    for (const header of ["data", "eventId", "m"]) {
      const err = refused(() =>
        encodeMapped({ payload: new Uint8Array(), headers: { [header]: "x" } }, named, "t"),
      );
      expect(MqaError.is(err, "invalid-payload")).toBe(true);
      expect(err.message).toMatch(/rename the header/);
    }
  });
});
