import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SourceLineIndex } from "./source-lines.js";

/** The scan the index replaces: the first line at or after `from` that quotes `name` or ends with it. */
function scan(lines: string[], name: string, from: number): number {
  const quoted = JSON.stringify(name);
  return lines.findIndex(
    (l, j) =>
      j >= from && (l.includes(quoted) || l.includes(`'${name}'`) || l.trimEnd().endsWith(` ${name}`)),
  );
}

describe("SourceLineIndex", () => {
  const lines = [
    "rabbitmq:",
    "  queues:",
    '    - { "name": "orders" }',
    "    - name: billing",
    "  exchanges:",
    "    - name: 'orders'",
  ];
  const index = new SourceLineIndex(lines);

  it("finds the first line naming a resource, from a section on", () => {
    expect(index.firstNaming("orders")).toBe(2);
    expect(index.firstNaming("orders", index.sectionStart("exchanges"))).toBe(5);
    expect(index.firstNaming("billing")).toBe(3);
    expect(index.firstNaming("shipping")).toBe(-1);
    expect(index.sectionStart("queues")).toBe(1);
    expect(index.sectionStart("policies")).toBe(-1);
  });

  it("agrees with a scan of the lines", () => {
    const word = fc.constantFrom("a", "b.c", "orders", "x y");
    const line = fc
      .tuple(fc.constantFrom("", "  - ", "name: "), word, fc.constantFrom("plain", "double", "single"))
      .map(
        ([pre, w, quote]) => pre + (quote === "double" ? `"${w}"` : quote === "single" ? `'${w}'` : ` ${w}`),
      );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), word, fc.nat(12), (ls, name, from) => {
        expect(new SourceLineIndex(ls).firstNaming(name, from)).toBe(scan(ls, name, from));
      }),
    );
  });
});
