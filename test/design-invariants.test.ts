/**
 * Over random requirements, a design keeps what it promises — global order one message at a time, per-key
 * order by partitions with per-key handling, durability, latency — or says plainly what gives; its patterns
 * follow the numbers; and every spec it writes passes topology validation and the audit at `--fail-on medium` (library calls).
 */
import fc from "fast-check";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atOrAbove, auditTarget } from "../src/audit/mod.js";
import { parseOptions } from "../src/core/options.js";
import { advise, Capacity, type Design } from "../src/design/advise.js";
import { PatternThresholds, brokerOf, tightestLatency } from "../src/design/patterns.js";
import { renderDesign, topologyYaml } from "../src/design/render.js";
import {
  REQUIREMENT_FIELDS,
  requirementsSchema,
  type RequirementsInput,
} from "../src/design/requirements.js";
import { loadSpecFile } from "../src/topology/mod.js";

const requirementsArb = fc.record(
  {
    rate: fc.integer({ min: 1, max: 100_000 }),
    messageSize: fc.oneof(
      fc.integer({ min: 16, max: 64 * 1024 }),
      fc.integer({ min: 64 * 1024, max: 50 * 1024 * 1024 }),
    ),
    latencyP99Ms: fc.integer({ min: 1, max: 10_000 }),
    durability: fc.constantFrom("strict" as const, "standard" as const, "best-effort" as const),
    ordering: fc.constantFrom("none" as const, "per-key" as const, "global" as const),
    replay: fc.constantFrom(0, "1h", "2d", "30d"),
    handlerTime: fc.integer({ min: 1, max: 500 }),
    groups: fc.uniqueArray(fc.constantFrom("billing", "shipping", "audit"), { minLength: 1, maxLength: 3 }),
    brokers: fc.constantFrom(
      ["rabbitmq" as const],
      ["redis" as const],
      ["rabbitmq" as const, "redis" as const],
    ),
    latencyClasses: fc.oneof(
      fc.constant([]),
      fc
        .tuple(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 200 }),
          fc.integer({ min: 201, max: 60_000 }),
        )
        .map(([tenths, fast, slow]) => [
          { name: "urgent", share: tenths / 10, latencyP99Ms: fast },
          { name: "bulk", share: (10 - tenths) / 10, latencyP99Ms: slow },
        ]),
    ),
  },
  { requiredKeys: ["rate"] },
);

const designOf = (input: RequirementsInput): Design =>
  advise(parseOptions(requirementsSchema, input, "requirements"), { given: Object.keys(input) });

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mqa-design-invariants-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("design invariants", () => {
  it("keeps global order one message at a time, per-key order by partitions with per-key handling", () => {
    fc.assert(
      fc.property(requirementsArb, (input) => {
        const d = designOf(input as RequirementsInput);
        const r = d.requirements;
        if (r.ordering === "none") return;
        for (const lane of d.lanes) {
          if (r.ordering === "global") {
            expect(lane.sizing.prefetch).toBe(1);
            expect(lane.sizing.consumerProcessesPerGroup).toBe(1);
          } else if (d.choice === "redis-streams") {
            // Each consumer owns a partition at least: the partitions spread over the consumers.
            expect(lane.sizing.partitions).toBe(lane.sizing.consumerProcessesPerGroup);
          } else {
            // RabbitMQ: one active process on every partition queue, one standby.
            expect(lane.sizing.consumerProcessesPerGroup).toBe(2);
          }
        }
        // A prefetch above 1 keeps per-key order only with per-key handling in the consumer.
        if (r.ordering === "per-key") expect(d.code.consumer).toContain('order: "per-key"');
        for (const s of d.topology.redis?.streams ?? []) {
          const lane = d.lanes.find((l) => l.topic === s.name)!;
          expect(s.partitions).toBe(lane.sizing.partitions);
        }
        for (const t of d.topology.rabbitmq?.topics ?? []) {
          const lane = d.lanes.find((l) => l.topic === t.name)!;
          const quorum = t.groups.filter((g) => g.queueType === "quorum");
          // One group entry per group; the transport makes its partition queues, each with one active consumer.
          if (quorum.length > 0) {
            expect(quorum).toHaveLength(r.groups.length);
            expect(t.partitions ?? 1).toBe(r.ordering === "per-key" ? lane.sizing.partitions : 1);
            for (const g of quorum) expect(g.arguments).toMatchObject({ "x-single-active-consumer": true });
          }
        }
        if (r.ordering === "per-key" && d.sizing.partitions > 1)
          expect(d.patterns.map((p) => p.id)).toContain("partition-by-key");
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it("keeps durability and latency, or says what gives", () => {
    fc.assert(
      fc.property(requirementsArb, (input) => {
        const d = designOf(input as RequirementsInput);
        const r = d.requirements;
        const said = d.problems.join("\n");
        expect(d.compromise).toBe(d.problems.length > 0);
        if (r.durability === "strict" && d.choice === "redis-streams") expect(said).toMatch(/asynchronous/);
        if (d.choice === "redis-streams" && r.durability !== "best-effort")
          expect(d.configs[0]!.lines).toContain("appendfsync always");
        if (d.choice !== "redis-streams" && tightestLatency(r) < Capacity.quorumP99Ms)
          expect(said).toMatch(/p99 under/);
        if (r.replay > 0 && d.choice === "rabbitmq-quorum") expect(said).toMatch(/cannot re-read/);
        const md = renderDesign(d, "markdown");
        if (d.compromise) expect(md).toContain("## What gives");
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it("chooses claim-check, priority lanes and batching by the numbers, each with its reason", () => {
    fc.assert(
      fc.property(requirementsArb, (input) => {
        const d = designOf(input as RequirementsInput);
        const r = d.requirements;
        const ids = d.patterns.map((p) => p.id);
        const broker = brokerOf(d.choice);
        const limit =
          broker === "redis"
            ? PatternThresholds.claimCheckRedisBytes
            : PatternThresholds.claimCheckRabbitBytes;
        expect(ids.includes("claim-check")).toBe(r.messageSize > limit);
        if (r.messageSize > limit)
          expect(d.sizing.bytesPerSecond).toBe(r.rate * PatternThresholds.referenceBytes);
        const classes = new Set(r.latencyClasses.map((c) => c.latencyP99Ms)).size;
        expect(ids.includes("priority-lanes")).toBe(classes > 1 && r.ordering !== "global");
        expect(d.lanes).toHaveLength(ids.includes("priority-lanes") ? r.latencyClasses.length : 1);
        if (ids.includes("batching")) expect(r.ordering).toBe("none");
        // Each pattern's reason is in the report and in the spec it writes.
        const text = renderDesign(d, "text");
        const yaml = topologyYaml(d);
        for (const p of d.patterns) {
          expect(p.reason.length).toBeGreaterThan(20);
          expect(text).toContain(p.reason);
          expect(yaml).toContain(p.title);
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it("starts with the assumptions and ends with the next steps", () => {
    fc.assert(
      fc.property(requirementsArb, (input) => {
        const d = designOf(input as RequirementsInput);
        const given = new Set(Object.keys(input));
        expect(d.assumptions.map((a) => a.field)).toEqual(
          REQUIREMENT_FIELDS.filter((f) => f !== "rate" && !given.has(f)),
        );
        const md = renderDesign(d, "markdown");
        const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
        if (d.assumptions.length > 0) expect(headings[0]).toMatch(/^Assumptions/);
        expect(headings.at(-1)).toBe("Next steps, in this order");
        expect(d.nextSteps.length).toBeGreaterThan(3);
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it("writes specs that validate and pass the audit at --fail-on medium", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(requirementsArb, async (input) => {
        const d = designOf(input as RequirementsInput);
        const file = join(dir, `spec-${n++}.yaml`);
        await writeFile(file, topologyYaml(d));
        await loadSpecFile(file); // what `mqa topology validate` reads, comments and all
        const { findings } = await auditTarget(file);
        const serious = findings.filter((f) => atOrAbove(f.severity, "medium"));
        expect(serious.map((f) => `${f.ruleId} ${f.resource}: ${f.title}`)).toEqual([]);
      }),
      { numRuns: 60 },
    );
    // The audit does look: the same spec with a transient work queue added is flagged.
    const d = designOf({ rate: 2000, durability: "strict" });
    d.topology.rabbitmq!.queues = [{ name: "scratch", durable: false, type: "classic" }];
    const file = join(dir, "transient.yaml");
    await writeFile(file, topologyYaml({ topology: d.topology }));
    const { findings } = await auditTarget(file);
    expect(findings.filter((f) => atOrAbove(f.severity, "medium")).length).toBeGreaterThan(0);
  }, 120_000);
});
