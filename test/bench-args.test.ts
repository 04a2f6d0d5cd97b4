/** The `mqa bench` flag parsers take outside input: property tests for what they accept and refuse. */
import fc from "fast-check";
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { percents, prefetchList, rawClients, rawTopology } from "../src/cli/commands/bench.js";

describe("mqa bench flag parsers", () => {
  it("--sweep: accepts 1..20 whole percentages in 1..100, in their order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 }), (list) => {
        expect(percents(list.join(","))).toEqual(list);
      }),
    );
  });

  it("--sweep and --prefetches: refuse anything else with a usage error, never throw otherwise", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        for (const parse of [percents, prefetchList]) {
          try {
            const list = parse(text);
            expect(list.length).toBeGreaterThan(0);
            for (const n of list) expect(Number.isInteger(n) && n >= 1).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidArgumentError);
          }
        }
      }),
    );
    expect(() => percents("0,50")).toThrow(/1 to 100/);
    expect(() => percents("101")).toThrow(InvalidArgumentError);
    expect(() => percents(Array.from({ length: 21 }, () => "5").join(","))).toThrow(/up to 20/);
    expect(() => prefetchList("10,70000")).toThrow(/65535/);
  });

  it("--raw: ioredis and node-redis, each once", () => {
    expect(rawClients("node-redis,ioredis")).toEqual(["node-redis", "ioredis"]);
    expect(rawClients(" ioredis ")).toEqual(["ioredis"]);
    expect(() => rawClients("ioredis,ioredis")).toThrow(/each once/);
    expect(() => rawClients("redis")).toThrow(InvalidArgumentError);
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        try {
          for (const c of rawClients(text)) expect(["ioredis", "node-redis"]).toContain(c);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidArgumentError);
        }
      }),
    );
  });

  it("--raw-topology: same, plain or both", () => {
    for (const v of ["same", "plain", "both"]) expect(rawTopology(v)).toBe(v);
    expect(() => rawTopology("Same")).toThrow(/same, plain or both/);
  });
});
