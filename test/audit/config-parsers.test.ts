/**
 * The configuration-file parsers take outside input: each is checked on the forms people write, on
 * broken input (a clear error naming file and line, never the value), and with fast-check properties
 * (whatever the input, a parse result or a ConfigSyntaxError, nothing else; printed terms read back).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ErlangSyntaxError,
  MAX_ERLANG_DEPTH,
  parseErlangTerms,
} from "../../src/audit/sources/config/erlang-terms.js";
import type { ErlTerm } from "../../src/audit/sources/config/erlang-terms.js";
import { parseAdvancedConfig } from "../../src/audit/sources/config/advanced-config.js";
import { parseRabbitmqConf } from "../../src/audit/sources/config/rabbitmq-conf.js";
import { parseRedisConf } from "../../src/audit/sources/config/redis-conf.js";
import { ConfigSyntaxError } from "../../src/audit/sources/config/syntax-error.js";
import { detectConfigKind } from "../../src/audit/sources/config-file.js";

/** Drop line numbers, to compare shapes. */
type Plain = string | number | { atom: string } | { bin: string } | Plain[] | { tuple: Plain[] };
function plain(t: ErlTerm): Plain {
  switch (t.type) {
    case "atom":
      return { atom: t.value };
    case "binary":
      return { bin: t.value };
    case "string":
    case "number":
      return t.value;
    case "list":
      return t.items.map(plain);
    case "tuple":
      return { tuple: t.items.map(plain) };
    case "map":
      return t.entries.map(([k, v]) => [plain(k), plain(v)]);
  }
}

describe("Erlang terms (advanced.config)", () => {
  it("reads what people write: proplists, atoms, strings, binaries, numbers, comments", () => {
    const [t] = parseErlangTerms(`%% comment
[
  {rabbit, [ {tcp_listeners, [5672]},   % trailing comment
             {loopback_users, []},
             {default_pass, <<"s3cret">>},
             {vm_memory_high_watermark, 0.4},
             {'quoted atom', "a \\"string\\"\\n"},
             {hex, 16#FF}, {neg, -3}, {char, $a}, {exp, 1.5e3},
             {map, #{key => <<>>}} ]}
].`);
    expect(plain(t!)).toEqual([
      {
        tuple: [
          { atom: "rabbit" },
          [
            { tuple: [{ atom: "tcp_listeners" }, [5672]] },
            { tuple: [{ atom: "loopback_users" }, []] },
            { tuple: [{ atom: "default_pass" }, { bin: "s3cret" }] },
            { tuple: [{ atom: "vm_memory_high_watermark" }, 0.4] },
            { tuple: [{ atom: "quoted atom" }, 'a "string"\n'] },
            { tuple: [{ atom: "hex" }, 255] },
            { tuple: [{ atom: "neg" }, -3] },
            { tuple: [{ atom: "char" }, 97] },
            { tuple: [{ atom: "exp" }, 1500] },
            { tuple: [{ atom: "map" }, [[{ atom: "key" }, { bin: "" }]]] },
          ],
        ],
      },
    ]);
  });

  it("records the line of each term", () => {
    const [t] = parseErlangTerms("[\n  {rabbit,\n    [{a, 1}]}\n].");
    expect(t!.type === "list" && t!.items[0]!.line).toBe(2);
  });

  it.each([
    ["[{rabbit, []}]", 1, 'expected "." after the term'],
    ["[{rabbit, [}].", 1, "unexpected"],
    ['[\n{a, "unterminated}].', 2, "unterminated string"],
    ["[\n\n{a, X}].", 3, "variables are not allowed"],
    ["[{a, [1|T]}].", 1, "improper lists"],
    ["[{a, 1}\n", 2, "found the end of the file"],
  ])("refuses %j at line %i (%s)", (text, line, reason) => {
    let err: unknown;
    try {
      parseErlangTerms(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ErlangSyntaxError);
    expect((err as ErlangSyntaxError).line).toBe(line);
    expect((err as Error).message).toContain(reason);
  });

  it("refuses nesting past the depth limit instead of overflowing the stack", () => {
    const deep = "[".repeat(MAX_ERLANG_DEPTH + 5) + "]".repeat(MAX_ERLANG_DEPTH + 5) + ".";
    expect(() => parseErlangTerms(deep)).toThrow(/nested deeper than/);
    expect(() => parseErlangTerms("[".repeat(100_000))).toThrow(ErlangSyntaxError);
  });

  it("advanced.config errors name the file and line, and never echo a value", () => {
    expect(() =>
      parseAdvancedConfig('[{rabbit, [{default_pass, <<"Leak-Me">>}\n]]\n.', "advanced.config"),
    ).toThrow(ConfigSyntaxError);
    try {
      parseAdvancedConfig('[{rabbit, [{default_pass, <<"Leak-Me">>}\n]]\n.', "advanced.config");
    } catch (e) {
      expect((e as Error).message).toMatch(/^advanced\.config:2: /);
      expect((e as Error).message).not.toContain("Leak-Me");
    }
  });

  it("translates the rabbit section to rabbitmq.conf keys", () => {
    const s = parseAdvancedConfig(
      `[{rabbit, [{loopback_users, [<<"monitor">>]}, {vm_memory_high_watermark, {absolute, "2GiB"}},
        {disk_free_limit, {mem_relative, 1.5}}, {ssl_listeners, [5671]},
        {ssl_options, [{verify, verify_peer}, {fail_if_no_peer_cert, true}]}, {consumer_timeout, 3600000}]},
       {rabbitmq_shovel, [{shovels, []}]}].`,
      "advanced.config",
    );
    expect(Object.fromEntries(s.map((x) => [x.key, x.value]))).toEqual({
      "loopback_users.guest": "false",
      "vm_memory_high_watermark.absolute": "2GiB",
      "disk_free_limit.relative": "1.5",
      "listeners.ssl.default": "5671",
      "ssl_options.verify": "verify_peer",
      "ssl_options.fail_if_no_peer_cert": "true",
      consumer_timeout: "3600000",
    });
  });

  const atom = fc.stringMatching(/^[a-z][a-zA-Z0-9_@]{0,8}$/);
  const text = fc.string({ maxLength: 12 });
  const term: fc.Arbitrary<Plain> = fc.letrec<{ t: Plain }>((tie) => ({
    t: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      atom.map((a) => ({ atom: a })),
      text.map((b) => ({ bin: b })),
      text,
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.array(tie("t"), { maxLength: 4 }),
      fc.array(tie("t"), { maxLength: 4 }).map((items) => ({ tuple: items })),
    ),
  })).t;
  const esc = (s: string): string => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  function print(p: Plain): string {
    if (typeof p === "number") return String(p);
    if (typeof p === "string") return `"${esc(p)}"`;
    if (Array.isArray(p)) return `[${p.map(print).join(", ")}]`;
    if ("atom" in p) return p.atom;
    if ("bin" in p) return `<<"${esc(p.bin)}">>`;
    return `{${p.tuple.map(print).join(",\n %c\n ")}}`;
  }

  it("reads back every printed term (property)", () => {
    fc.assert(
      fc.property(term, (p) => {
        expect(parseErlangTerms(`${print(p)}.`).map(plain)).toEqual([p]);
      }),
      { numRuns: 300 },
    );
  });

  it("on any input: terms or an ErlangSyntaxError, never another error (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."[]{}<>\"'%$#.,|=-19aZ_ \n\\".split("")), maxLength: 60 }),
        (s) => {
          try {
            parseErlangTerms(s);
          } catch (e) {
            expect(e).toBeInstanceOf(ErlangSyntaxError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("rabbitmq.conf", () => {
  it("reads key = value lines, comments and blank lines, with line numbers", () => {
    expect(
      parseRabbitmqConf("# c\n\nlisteners.tcp.default = 5672  # inline\r\nlog.console=true\n", "r.conf"),
    ).toEqual([
      { key: "listeners.tcp.default", value: "5672", file: "r.conf", line: 3 },
      { key: "log.console", value: "true", file: "r.conf", line: 4 },
    ]);
  });

  it.each([
    ["a = 1\nthis is not a setting\n", 2, 'no "="'],
    ["a = 1\n\nkey with space = 2\n", 3, "not a rabbitmq.conf key"],
    ["default_pass =\n", 1, "has no value"],
  ])("refuses %j at line %i", (text, line, reason) => {
    expect(() => parseRabbitmqConf(text, "rabbitmq.conf")).toThrow(`rabbitmq.conf:${line}: `);
    expect(() => parseRabbitmqConf(text, "rabbitmq.conf")).toThrow(reason);
  });

  it("on any input: settings or a ConfigSyntaxError (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ab.=# \n\t1_".split("")), maxLength: 80 }), (s) => {
        try {
          for (const x of parseRabbitmqConf(s, "f")) expect(x.line).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigSyntaxError);
        }
      }),
    );
  });
});

describe("redis.conf", () => {
  it("reads directives with quoted arguments, case-insensitively", () => {
    expect(
      parseRedisConf(
        '# c\nBIND 127.0.0.1 -::1\nrename-command FLUSHALL ""\nrequirepass "a b\\x41"\nsave \'\'\n',
        "redis.conf",
      ),
    ).toEqual([
      { name: "bind", args: ["127.0.0.1", "-::1"], line: 2 },
      { name: "rename-command", args: ["FLUSHALL", ""], line: 3 },
      { name: "requirepass", args: ["a bA"], line: 4 },
      { name: "save", args: [""], line: 5 },
    ]);
  });

  it("refuses unbalanced quotes with the line, as Redis does", () => {
    expect(() => parseRedisConf('port 6379\nrequirepass "secret\n', "redis.conf")).toThrow(
      /^redis\.conf:2: unbalanced quotes$/,
    );
  });

  it("on any input: directives or a ConfigSyntaxError (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ab- \"'\\\n#x1".split("")), maxLength: 80 }), (s) => {
        try {
          parseRedisConf(s, "f");
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigSyntaxError);
        }
      }),
    );
  });
});

describe("file kind detection", () => {
  it.each([
    ["rabbitmq.conf", "anything", "rabbitmq-conf"],
    ["advanced.config", "[].", "advanced-config"],
    ["redis.conf", "", "redis-conf"],
    ["redis-6380.conf", "", "redis-conf"],
    ["node.conf", "listeners.tcp.default = 5672\nloopback_users.guest = true\n", "rabbitmq-conf"],
    ["prod.conf", "# r\nappendonly yes\nmaxmemory 1gb\n", "redis-conf"],
    ["prod.config", "%% c\n[{rabbit, []}].\n", "advanced-config"],
    ["definitions.json", '{"rabbit_version": "3.13.7"}', undefined],
    ["values.yaml", "configuration: |\n  a = b\n", undefined],
    ["notes.txt", "hello world\n", undefined],
    ["sentinel.conf", "port 26379\nsentinel monitor mymaster 10.0.0.1 6379 2\n", undefined],
    ["nginx.conf", "server {\n  listen 80;\n}\n", undefined],
  ])("%s → %s", (name, text, kind) => {
    expect(detectConfigKind(`/x/${name}`, text)).toBe(kind);
  });
});
