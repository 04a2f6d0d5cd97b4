import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidSpecError } from "./errors.js";
import { parseSpecText, validateSpec } from "./parse.js";

function issues(redis: unknown): { path: string; message: string }[] {
  try {
    validateSpec({ version: 1, redis });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSpecError);
    return (err as InvalidSpecError).issues.map(({ path, message }) => ({ path, message }));
  }
  throw new Error("the spec was accepted");
}

describe("redis streams other programs own, in the spec", () => {
  it("takes a stream key, a field mapping and existing groups", () => {
    const spec = parseSpecText(
      [
        "version: 1",
        "redis:",
        "  streams:",
        "    - name: orders",
        "      key: orders",
        "      fields: { payload: data, id: eventId, contentType: application/json }",
        "      groups:",
        "        - { name: billing, existing: true }",
      ].join("\n"),
      "yaml",
    );
    expect(spec.redis?.streams?.[0]).toEqual({
      name: "orders",
      key: "orders",
      fields: { payload: "data", id: "eventId", contentType: "application/json" },
      groups: [{ name: "billing", existing: true }],
    });
  });

  it("reports each problem at its path", () => {
    expect(
      issues({
        streams: [
          { name: "a", key: "k", partitions: 2 },
          { name: "b", key: "k" },
          { name: "c", fields: { payload: "x", id: "x" } },
          { name: "d", fields: { payload: "m" } },
          { name: "e", fields: { payload: "p", extra: 1 } },
          { name: "f", key: "" },
        ],
      }).map((i) => i.path),
    ).toEqual([
      "redis.streams[4].fields.extra",
      "redis.streams[5].key",
      "redis.streams[0].partitions",
      "redis.streams[1].key",
      "redis.streams[2].fields.id",
      "redis.streams[3].fields.payload",
    ]);
  });

  it("rejects any key longer than 512 characters, and accepts any other", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 600 }), (key) => {
        const ok = key.length <= 512;
        const run = (): unknown => validateSpec({ version: 1, redis: { streams: [{ name: "t", key }] } });
        if (ok) expect(run()).toBeTruthy();
        else expect(run).toThrow(InvalidSpecError);
      }),
    );
  });
});
