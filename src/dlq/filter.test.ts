import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DeadLetterEntry } from "../core/dead-letter-queues.js";
import { Headers } from "../core/message.js";
import { describeFilter, matchesFilter } from "./filter.js";
import { messageOfLine, parseLine, toLine } from "./ndjson.js";
import { redriveCopy } from "./redrive-copy.js";

const NOW = Date.parse("2026-12-03T12:00:00Z");

function entry(over: Partial<DeadLetterEntry> & { headers?: Record<string, string> } = {}): DeadLetterEntry {
  const headers = over.headers ?? {
    [Headers.deadLetterReason]: "max-attempts",
    [Headers.deadLetterErrorName]: "TimeoutError",
    [Headers.deadLetterErrorMessage]: "upstream timeout",
    tenant: "eu",
  };
  return {
    message: {
      id: "m-1",
      topic: "orders",
      key: undefined,
      payload: new Uint8Array([1, 2, 3]),
      contentType: undefined,
      headers,
      timestamp: NOW - 120_000,
      correlationId: undefined,
      causationId: undefined,
      attempt: 3,
    },
    reason: "max-attempts",
    headers,
    ref: "0/1-0",
    deadLetteredAt: NOW - 60_000,
    brokerRedeliveries: 0,
    ...over,
  };
}

describe("matchesFilter", () => {
  it("requires every condition given", () => {
    const e = entry();
    expect(matchesFilter(e, {}, NOW)).toBe(true);
    expect(
      matchesFilter(e, { reasons: ["max-attempts"], errorText: "TIMEOUT", headers: { tenant: "eu" } }, NOW),
    ).toBe(true);
    expect(matchesFilter(e, { reasons: ["invalid-payload"] }, NOW)).toBe(false);
    expect(matchesFilter(e, { errorText: "refused" }, NOW)).toBe(false);
    expect(matchesFilter(e, { headers: { tenant: "us" } }, NOW)).toBe(false);
    expect(matchesFilter(e, { ids: ["m-2"] }, NOW)).toBe(false);
    expect(matchesFilter(e, { olderThanMs: 30_000 }, NOW)).toBe(true);
    expect(matchesFilter(e, { olderThanMs: 90_000 }, NOW)).toBe(false);
    expect(matchesFilter(e, { newerThanMs: 30_000 }, NOW)).toBe(false);
  });

  it("describes itself in one line", () => {
    expect(describeFilter({})).toBe("all");
    expect(describeFilter({ reasons: ["a", "b"], errorText: "x", headers: { k: "v" } })).toBe(
      'reason=a,b error~"x" header:k=v',
    );
  });
});

describe("redriveCopy", () => {
  it("keeps the id and user headers, resets the attempt and stacks the history", () => {
    const first = redriveCopy(entry(), "all", new Date(NOW));
    expect(first.id).toBe("m-1");
    expect(first.headers).toMatchObject({ tenant: "eu", "x-mqa-attempt": "1", "x-mqa-redriven-count": "1" });
    expect(first.headers?.[Headers.deadLetterReason]).toBeUndefined();
    const again = redriveCopy(
      entry({
        headers: { ...first.headers, [Headers.deadLetterReason]: "handler-error" },
        reason: "handler-error",
      }),
      "all",
      new Date(NOW),
    );
    expect(again.headers?.["x-mqa-redriven-count"]).toBe("2");
    expect(JSON.parse(again.headers!["x-mqa-redrive-history"]!)).toMatchObject([
      { reason: "max-attempts", attempts: 3 },
      { reason: "handler-error" },
    ]);
  });
});

describe("NDJSON lines", () => {
  it("round-trip any payload bytes and headers exactly", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
        (payload, headers) => {
          const e = entry({ headers });
          const line = toLine({ ...e, message: { ...e.message, payload, headers } }, "orders", "billing");
          const back = messageOfLine(parseLine(line, 1));
          expect([...back.payload]).toEqual([...payload]);
          expect(back.headers).toEqual(headers);
          expect(back.id).toBe("m-1");
        },
      ),
    );
  });

  it("keep a header named __proto__ as an own header through export, import and redrive", () => {
    const headers = Object.fromEntries([
      ["__proto__", "x"],
      ["tenant", "eu"],
    ]);
    const e = entry({ headers });
    const back = messageOfLine(parseLine(toLine(e, "orders", "billing"), 1));
    expect(Object.entries(back.headers ?? {})).toEqual([
      ["__proto__", "x"],
      ["tenant", "eu"],
    ]);
    const copy = redriveCopy(entry({ headers: back.headers ?? {} }), "all");
    expect(Object.hasOwn(copy.headers ?? {}, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(copy.headers)).toBe(Object.prototype);
  });

  it("name the line and field at fault", () => {
    expect(() => parseLine("{", 3)).toThrow(/line 3: not JSON/);
    expect(() => parseLine('{"v":1}', 7)).toThrow(/line 7: .*topic/);
  });
});
