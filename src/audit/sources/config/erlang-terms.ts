/**
 * A small, safe parser for the Erlang terms people write in RabbitMQ's `advanced.config`: lists, tuples,
 * atoms (bare and 'quoted'), "strings", <<"binaries">>, numbers (integers, floats, 16#FF, $c), maps
 * (#{k => v}) and % comments, ending in a dot. Nothing is evaluated: the result is plain data with the line
 * of every term, so findings can point at it. Input is refused past a nesting depth and a term count,
 * so a hostile file cannot exhaust the stack or memory; the caller limits the byte size.
 */

/** One parsed term, with its 1-based line. */
export type ErlTerm =
  | { type: "atom"; value: string; line: number }
  | { type: "string"; value: string; line: number }
  | { type: "binary"; value: string; line: number }
  | { type: "number"; value: number; line: number }
  | { type: "list"; items: ErlTerm[]; line: number }
  | { type: "tuple"; items: ErlTerm[]; line: number }
  | { type: "map"; entries: [ErlTerm, ErlTerm][]; line: number };

/** Nesting deeper than this is refused (real advanced.config files nest 4–6 levels). */
export const MAX_ERLANG_DEPTH = 64;
/** More terms than this are refused (a large advanced.config has a few hundred). */
export const MAX_ERLANG_TERMS = 200_000;

/** A syntax error at a line of the input; the loader adds the file name. */
export class ErlangSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = "ErlangSyntaxError";
  }
}

const ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  s: " ",
  e: "\x1b",
  b: "\b",
  f: "\f",
  v: "\v",
  d: "\x7f",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

class Parser {
  private i = 0;
  private line = 1;
  private terms = 0;

  constructor(private readonly text: string) {}

  /** Every top-level term, each ended by a dot (advanced.config has exactly one). */
  all(): ErlTerm[] {
    const out: ErlTerm[] = [];
    for (;;) {
      this.skip();
      if (this.i >= this.text.length) return out;
      out.push(this.term(0));
      this.skip();
      if (this.text[this.i] !== ".") this.fail(`expected "." after the term, found ${this.describeHere()}`);
      this.i++;
    }
  }

  private fail(reason: string): never {
    throw new ErlangSyntaxError(this.line, reason);
  }

  private describeHere(): string {
    const c = this.text[this.i];
    return c === undefined ? "the end of the file" : `"${c}"`;
  }

  /** Skip white space and % comments, counting lines. */
  private skip(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t[this.i]!;
      if (c === "\n") {
        this.line++;
        this.i++;
      } else if (c === " " || c === "\t" || c === "\r" || c === "\f") this.i++;
      else if (c === "%") while (this.i < t.length && t[this.i] !== "\n") this.i++;
      else return;
    }
  }

  private expect(c: string): void {
    this.skip();
    if (this.text[this.i] !== c) this.fail(`expected "${c}", found ${this.describeHere()}`);
    this.i++;
  }

  private term(depth: number): ErlTerm {
    if (depth > MAX_ERLANG_DEPTH) this.fail(`terms nested deeper than ${MAX_ERLANG_DEPTH} levels`);
    if (++this.terms > MAX_ERLANG_TERMS) this.fail(`more than ${MAX_ERLANG_TERMS} terms`);
    this.skip();
    const t = this.text;
    const c = t[this.i];
    const line = this.line;
    if (c === undefined) this.fail("unexpected end of the file (a bracket is not closed?)");
    if (c === "[") return { type: "list", items: this.sequence("[", "]", depth), line };
    if (c === "{") return { type: "tuple", items: this.sequence("{", "}", depth), line };
    if (c === "#" && t[this.i + 1] === "{") return this.map(depth);
    if (c === "<" && t[this.i + 1] === "<") return this.binary(line);
    if (c === '"') return { type: "string", value: this.quoted('"'), line };
    if (c === "'") return { type: "atom", value: this.quoted("'"), line };
    if (c === "$") return { type: "number", value: this.char(), line };
    if (/[0-9-]/.test(c)) return { type: "number", value: this.number(), line };
    if (/[a-z]/.test(c)) {
      const m = /^[a-zA-Z0-9_@]*/.exec(t.slice(this.i + 1, this.i + 1 + 256))!;
      this.i += 1 + m[0].length;
      return { type: "atom", value: c + m[0], line };
    }
    if (/[A-Z_]/.test(c)) this.fail("variables are not allowed in a configuration file");
    return this.fail(`unexpected ${this.describeHere()}`);
  }

  private sequence(open: string, close: string, depth: number): ErlTerm[] {
    this.expect(open);
    const items: ErlTerm[] = [];
    this.skip();
    if (this.text[this.i] === close) {
      this.i++;
      return items;
    }
    for (;;) {
      items.push(this.term(depth + 1));
      this.skip();
      const c = this.text[this.i];
      if (c === ",") {
        this.i++;
        continue;
      }
      if (c === close) {
        this.i++;
        return items;
      }
      if (c === "|" && open === "[") this.fail("improper lists ([H|T]) are not supported");
      this.fail(`expected "," or "${close}", found ${this.describeHere()}`);
    }
  }

  private map(depth: number): ErlTerm {
    const line = this.line;
    this.i++; // #
    this.expect("{");
    const entries: [ErlTerm, ErlTerm][] = [];
    this.skip();
    if (this.text[this.i] === "}") {
      this.i++;
      return { type: "map", entries, line };
    }
    for (;;) {
      const k = this.term(depth + 1);
      this.skip();
      if (!this.text.startsWith("=>", this.i))
        this.fail(`expected "=>" in a map, found ${this.describeHere()}`);
      this.i += 2;
      entries.push([k, this.term(depth + 1)]);
      this.skip();
      const c = this.text[this.i];
      this.i++;
      if (c === ",") continue;
      if (c === "}") return { type: "map", entries, line };
      this.i--;
      this.fail(`expected "," or "}" in a map, found ${this.describeHere()}`);
    }
  }

  /** <<"text">>, <<>>, or <<"a", "b">> (segments concatenated); byte lists <<1,2>> are read as char codes. */
  private binary(line: number): ErlTerm {
    this.i += 2;
    let value = "";
    this.skip();
    while (!this.text.startsWith(">>", this.i)) {
      this.skip();
      const c = this.text[this.i];
      if (c === '"') value += this.quoted('"');
      else if (c !== undefined && /[0-9$]/.test(c))
        value += String.fromCharCode(c === "$" ? this.char() : this.number());
      else this.fail(`expected a string or a byte in a binary, found ${this.describeHere()}`);
      this.skip();
      if (this.text[this.i] === ",") this.i++;
      else if (!this.text.startsWith(">>", this.i))
        this.fail(`expected "," or ">>" in a binary, found ${this.describeHere()}`);
    }
    this.i += 2;
    return { type: "binary", value, line };
  }

  private quoted(q: string): string {
    const start = this.line;
    this.i++;
    let out = "";
    const t = this.text;
    for (;;) {
      const c = t[this.i];
      if (c === undefined)
        throw new ErlangSyntaxError(start, `unterminated ${q === '"' ? "string" : "quoted atom"}`);
      this.i++;
      if (c === q) return out;
      if (c === "\n") this.line++;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = t[this.i];
      if (e === undefined) continue;
      this.i++;
      if (e in ESCAPES) out += ESCAPES[e];
      else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{0,2}/.exec(t.slice(this.i, this.i + 2))!;
        this.i += m[0].length;
        out += String.fromCharCode(parseInt(e + m[0], 8));
      } else out += e;
    }
  }

  /** $a → 97, $\n → 10. */
  private char(): number {
    this.i++;
    const c = this.text[this.i];
    if (c === undefined) this.fail("unexpected end of the file after $");
    this.i++;
    if (c !== "\\") return c.codePointAt(0)!;
    const e = this.text[this.i++];
    if (e === undefined) this.fail("unexpected end of the file after $\\");
    return (ESCAPES[e] ?? e).codePointAt(0)!;
  }

  private number(): number {
    const m = /^-?(\d+#[0-9a-zA-Z]+|\d[\d_]*(\.\d[\d_]*([eE][-+]?\d+)?)?)/.exec(
      this.text.slice(this.i, this.i + 400),
    );
    if (!m) return this.fail(`expected a number, found ${this.describeHere()}`);
    this.i += m[0].length;
    const raw = m[0].replace(/_/g, "");
    const hash = raw.indexOf("#");
    if (hash < 0) return Number(raw);
    const base = Math.abs(Number(raw.slice(0, hash)));
    const digits = raw.slice(hash + 1);
    const n = base >= 2 && base <= 36 ? parseInt(digits, base) : NaN;
    if (Number.isNaN(n)) this.fail(`"${raw}" is not a number in base ${base}`);
    return raw.startsWith("-") ? -n : n;
  }
}

/** Parse Erlang terms (each ended by a dot); throws {@link ErlangSyntaxError} with the line. */
export function parseErlangTerms(text: string): ErlTerm[] {
  return new Parser(text).all();
}

/** A proplist `[{key, value}, ...]` as [key, value, line] triples; other items are skipped. */
export function proplist(term: ErlTerm | undefined): { key: string; value: ErlTerm; line: number }[] {
  if (!term || term.type !== "list") return [];
  const out: { key: string; value: ErlTerm; line: number }[] = [];
  for (const item of term.items) {
    if (item.type === "tuple" && item.items.length === 2 && item.items[0]!.type === "atom")
      out.push({ key: item.items[0]!.value, value: item.items[1]!, line: item.line });
  }
  return out;
}

/** Text of a string, binary or atom term; undefined otherwise. */
export function termText(t: ErlTerm | undefined): string | undefined {
  return t && (t.type === "string" || t.type === "binary" || t.type === "atom") ? t.value : undefined;
}
