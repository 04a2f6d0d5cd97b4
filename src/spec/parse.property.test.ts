import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { InvalidSpecError } from "./errors.js";
import { parseSpecText, validateSpec } from "./parse.js";
import type { TopologySpec } from "./schema/spec.js";

const ident = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const durationText = fc
  .tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom("ms", "s", "m", "h", "d"))
  .map(([n, u]) => `${n}${u}`);
const retry = fc.record(
  {
    attempts: fc.integer({ min: 1, max: 10 }),
    backoff: fc.constantFrom("exponential 1s..5m", "fixed 10s", "exponential 500ms..1h x3"),
  },
  { requiredKeys: ["attempts"] },
);

/** Specs that are valid by construction: every reference points at something declared. */
const validSpec: fc.Arbitrary<TopologySpec> = fc
  .record({
    vhosts: fc.uniqueArray(ident, { minLength: 1, maxLength: 3 }),
    queueNames: fc.uniqueArray(ident, { maxLength: 4 }),
    topicNames: fc.uniqueArray(
      ident.map((n) => `t-${n}`),
      { maxLength: 3 },
    ),
    groupNames: fc.uniqueArray(ident, { minLength: 1, maxLength: 3 }),
    maxLength: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
    retry: fc.option(retry, { nil: undefined }),
    deadLetter: fc.option(fc.boolean(), { nil: undefined }),
    streams: fc.uniqueArray(ident, { maxLength: 3 }),
    partitions: fc.integer({ min: 1, max: 8 }),
    maxAge: fc.option(durationText, { nil: undefined }),
    users: fc.uniqueArray(ident, { maxLength: 2 }),
  })
  .map((g) => {
    const vhost = g.vhosts[0] as string;
    const spec: TopologySpec = {
      version: 1,
      rabbitmq: {
        vhosts: g.vhosts.map((name) => ({ name })),
        queues: g.queueNames.map((name) => ({
          name,
          vhost,
          type: "quorum" as const,
          ...(g.maxLength === undefined ? {} : { arguments: { "x-max-length": g.maxLength } }),
          ...(g.retry === undefined ? {} : { retry: g.retry }),
          ...(g.deadLetter === undefined ? {} : { deadLetter: g.deadLetter }),
        })),
        topics: g.topicNames.map((name) => ({ name, vhost, groups: g.groupNames.map((n) => ({ name: n })) })),
        users: g.users.map((name) => ({ name, passwordFromEnv: "MQA_PW", tags: ["monitoring"] })),
        permissions: g.users.map((user) => ({ user, vhost, configure: "^$", write: ".*", read: ".*" })),
      },
      redis: {
        keyPrefix: "p:",
        streams: g.streams.map((name) => ({
          name,
          partitions: g.partitions,
          ...(g.maxAge === undefined ? {} : { retention: { maxAge: g.maxAge } }),
          groups: g.groupNames.map((n) => ({ name: n })),
        })),
      },
    };
    return spec;
  });

describe("spec parser properties", () => {
  it("valid specs round-trip through YAML and JSON unchanged", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        expect(parseSpecText(stringify(spec), "yaml")).toEqual(spec);
        expect(parseSpecText(JSON.stringify(spec, null, 2), "json")).toEqual(spec);
      }),
      { numRuns: 150 },
    );
  });

  it("arbitrary text never crashes the parser: it parses or gives a structured error", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.json()),
        fc.constantFrom("yaml", "json") as fc.Arbitrary<"yaml" | "json">,
        (text, format) => {
          try {
            parseSpecText(text, format);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidSpecError);
            expect((err as InvalidSpecError).issues.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("arbitrary values, and valid specs with one field replaced by junk, give errors with paths", () => {
    fc.assert(
      fc.property(validSpec, fc.anything(), fc.nat(), (spec, junk, pick) => {
        const clone = structuredClone(spec) as unknown as Record<string, Record<string, unknown>>;
        const sections = Object.keys(clone.rabbitmq ?? {});
        const section = sections[pick % Math.max(1, sections.length)];
        if (section !== undefined && clone.rabbitmq) clone.rabbitmq[section] = junk;
        try {
          validateSpec(clone);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidSpecError);
          for (const issue of (err as InvalidSpecError).issues)
            expect(issue.path).toMatch(/^(rabbitmq|\(root\))/);
        }
        expect(() => validateSpec(junk)).toThrow(InvalidSpecError);
      }),
      { numRuns: 200 },
    );
  });
});
