/** Property tests for the parts that take outside input: definitions parsing and secret scrubbing. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runAudit, scrub } from "../../src/audit/engine.js";
import { AuditInputError, parseDefinitions } from "../../src/audit/sources/definitions.js";
import { emptyModel } from "../../src/audit/sources/empty.js";

const name = fc.stringMatching(/^[a-z][a-z0-9.\-_]{0,12}$/);
const args = fc.dictionary(
  fc.constantFrom(
    "x-queue-type",
    "x-message-ttl",
    "x-max-length",
    "x-dead-letter-exchange",
    "x-overflow",
    "x-expires",
    "x-delivery-limit",
  ),
  fc.oneof(
    fc.constantFrom("quorum", "classic", "stream", "drop-head", "reject-publish", "dlx"),
    fc.integer({ min: -1, max: 1e6 }),
  ),
);
const definitions = fc.record({
  queues: fc.array(
    fc.record({
      name,
      vhost: fc.constantFrom("/", "a"),
      durable: fc.boolean(),
      auto_delete: fc.boolean(),
      arguments: args,
    }),
    { maxLength: 8 },
  ),
  exchanges: fc.array(
    fc.record({
      name,
      vhost: fc.constantFrom("/", "a"),
      type: fc.constantFrom("direct", "fanout", "topic", "headers"),
    }),
    { maxLength: 4 },
  ),
  bindings: fc.array(
    fc.record({
      source: name,
      vhost: fc.constantFrom("/", "a"),
      destination: name,
      destination_type: fc.constantFrom("queue", "exchange"),
      routing_key: fc.string({ maxLength: 8 }),
    }),
    { maxLength: 6 },
  ),
  policies: fc.array(
    fc.record({
      name,
      vhost: fc.constantFrom("/", "a"),
      pattern: fc.oneof(fc.constantFrom(".*", "^a", "(", "[", "\\.dlq$"), fc.string({ maxLength: 6 })),
      "apply-to": fc.constantFrom("all", "queues", "exchanges", "quorum_queues", "classic_queues", "streams"),
      priority: fc.integer({ min: 0, max: 5 }),
      definition: fc.dictionary(
        fc.constantFrom(
          "message-ttl",
          "max-length",
          "dead-letter-exchange",
          "ha-mode",
          "queue-mode",
          "expires",
          "overflow",
        ),
        fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
      ),
    }),
    { maxLength: 5 },
  ),
});

describe("definitions input (property-based)", () => {
  it("any well-typed definitions audit without throwing, and every finding is complete", () => {
    fc.assert(
      fc.property(definitions, (d) => {
        const model = emptyModel({ kind: "definitions-file", target: "p.json" });
        model.rabbit = { definitions: parseDefinitions(d, "p.json", model.secrets), live: undefined };
        for (const f of runAudit(model)) {
          expect(f.resource && f.message && f.why && f.fix).toBeTruthy();
          expect(f.fix).not.toMatch(/\{[a-zA-Z]+\}/);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("any JSON value either parses or fails with AuditInputError naming the source", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          parseDefinitions(v, "src.json", new Set());
        } catch (err) {
          expect(err).toBeInstanceOf(AuditInputError);
          expect((err as Error).message).toContain("src.json");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("scrub removes every known secret from any text", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 20 }).filter((s) => !s.includes("*")),
        fc.string(),
        fc.string(),
        (secret, a, b) => {
          expect(scrub(`${a}${secret}${b}${secret}`, new Set([secret]))).not.toContain(secret);
        },
      ),
    );
  });
});
