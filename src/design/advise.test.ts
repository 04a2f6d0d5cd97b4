import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOptions } from "../core/options.js";
import { advise, backlogLimitOf, deadLetterLimitOf } from "./advise.js";
import { renderDesign } from "./render.js";
import { requirementsSchema, type RequirementsInput } from "./requirements.js";

const req = (input: RequirementsInput) => parseOptions(requirementsSchema, input, "requirements");

describe("design advisor", () => {
  it("puts no-loss-on-node-failure on quorum queues, with DLQ, delivery limit and a backlog bound", () => {
    const d = advise(
      req({ rate: 2000, messageSize: "2KiB", durability: "strict", groups: ["billing", "shipping"] }),
    );
    expect(d.choice).toBe("rabbitmq-quorum");
    expect(d.compromise).toBe(false);
    expect(d.alternatives.find((a) => a.choice === "redis-streams")!.whyNot.join(" ")).toMatch(
      /WAIT is not consensus/,
    );
    const groups = d.topology.rabbitmq!.topics![0]!.groups;
    expect(groups.map((g) => g.name)).toEqual(["billing", "shipping"]);
    expect(groups[0]).toMatchObject({
      queueType: "quorum",
      deadLetter: true,
      deliveryLimit: 20,
      retry: { attempts: 5 },
      arguments: { "x-overflow": "reject-publish", "x-max-length": backlogLimitOf(d.requirements) },
    });
    // An hour of peak, capped at ~2 GiB of bodies.
    expect(backlogLimitOf(d.requirements)).toBe(Math.floor((2 * 1024 ** 3) / 2048));
  });

  it("sends replay needs to a stream, and to Redis only when the window fits its memory", () => {
    const big = advise(req({ rate: 1000, replay: "7d" }));
    expect(big.choice).toBe("rabbitmq-stream");
    expect(big.alternatives.find((a) => a.choice === "redis-streams")!.whyNot.join(" ")).toMatch(
      /above the .* budget/,
    );
    expect(big.alternatives.find((a) => a.choice === "rabbitmq-quorum")!.whyNot.join(" ")).toMatch(
      /cannot re-read/,
    );
    expect(big.topology.rabbitmq!.topics![0]!.groups[0]).toMatchObject({
      queueType: "stream",
      arguments: { "x-max-age": "7D" },
    });

    const small = advise(
      req({ rate: 10, messageSize: 200, replay: "1d", latencyP99Ms: 5, durability: "best-effort" }),
    );
    expect(small.choice).toBe("redis-streams");
    expect(small.topology.redis!.streams![0]!.retention).toEqual({ maxAge: "1d" });
  });

  it("gives low-latency per-key work to Redis partitions, and global order to one consumer", () => {
    const perKey = advise(
      req({
        rate: 5000,
        latencyP99Ms: 5,
        durability: "best-effort",
        ordering: "per-key",
        handlerTime: "50ms",
      }),
    );
    expect(perKey.choice).toBe("redis-streams");
    expect(perKey.sizing.inFlight).toBe(250);
    expect(perKey.topology.redis!.streams![0]!.partitions).toBe(perKey.sizing.consumerProcessesPerGroup);
    expect(perKey.configs[0]!.lines).toContain("appendfsync everysec");

    const global = advise(req({ rate: 200, ordering: "global" }));
    expect(global.choice).toBe("rabbitmq-quorum");
    expect(global.sizing).toMatchObject({ consumerProcessesPerGroup: 1, prefetch: 1 });
    expect(global.topology.rabbitmq!.topics![0]!.groups[0]!.arguments).toMatchObject({
      "x-single-active-consumer": true,
    });
  });

  it("keeps per-key order on RabbitMQ with per-key handling on one SAC queue, or partition queues past it", () => {
    const slow = advise(
      req({ rate: 30, handlerTime: "20ms", ordering: "per-key", durability: "strict", groups: ["g"] }),
    );
    expect(slow.choice).toBe("rabbitmq-quorum");
    // One queue, one active consumer and a standby; per-key handling inside, so the prefetch stays above 1.
    expect(slow.sizing).toMatchObject({ prefetch: 10, partitions: 1, consumerProcessesPerGroup: 2 });
    expect(slow.topology.rabbitmq!.topics![0]!.groups.map((g) => g.name)).toEqual(["g"]);
    expect(slow.topology.rabbitmq!.topics![0]!.partitions).toBeUndefined();
    expect(slow.code.consumer).toContain('order: "per-key"');

    const busy = advise(
      req({ rate: 4000, handlerTime: "50ms", ordering: "per-key", durability: "strict", groups: ["g"] }),
    );
    // 4000 msg/s × 50 ms × 1.25 = 250 handlers at once: 3 partition queues at prefetch 84.
    expect(busy.sizing).toMatchObject({ prefetch: 84, partitions: 3, consumerProcessesPerGroup: 2 });
    const topic = busy.topology.rabbitmq!.topics![0]!;
    expect(topic.partitions).toBe(3);
    expect(topic.groups.map((g) => g.name)).toEqual(["g"]);
    expect(busy.code.producer).not.toContain("p${");
    expect(busy.code.consumer).toContain('order: "per-key"');
  });

  it("bounds the dead-letter queues with a policy that refuses, never drops", () => {
    const d = advise(req({ rate: 2000, durability: "strict", groups: ["billing"] }));
    expect(d.topology.rabbitmq!.policies).toEqual([
      {
        name: "events-dead-letters",
        pattern: "^events\\..+\\.dlq$",
        applyTo: "queues",
        definition: { "max-length": deadLetterLimitOf(d.requirements), overflow: "reject-publish" },
      },
    ]);
    expect(new RegExp(d.topology.rabbitmq!.policies![0]!.pattern).test("events.billing.dlq")).toBe(true);
    expect(new RegExp(d.topology.rabbitmq!.policies![0]!.pattern).test("events.billing")).toBe(false);
  });

  it("names the spec file it is given in the test plan and rollback", () => {
    const d = advise(req({ rate: 100 }), { specFile: "out/spec.yaml" });
    expect(d.testPlan[0]!.command).toBe("mqa topology validate out/spec.yaml");
    expect(d.rollback[0]).toContain("mqa topology apply out/spec.yaml");
    expect(renderDesign(d, "text")).toContain("Topology (out/spec.yaml)");
  });

  it("says what gives when nothing fits, and stays within the brokers the team can run", () => {
    const d = advise(req({ rate: 1000, durability: "strict", brokers: ["redis"] }));
    expect(d.choice).toBe("redis-streams");
    expect(d.compromise).toBe(true);
    expect(d.problems.join(" ")).toMatch(/asynchronous/);
    expect(renderDesign(d, "text")).toContain("a compromise");
  });

  it("always produces a valid spec and a complete report, whatever the requirements", () => {
    fc.assert(
      fc.property(
        fc.record({
          rate: fc.integer({ min: 1, max: 200_000 }),
          messageSize: fc.integer({ min: 16, max: 4 * 1024 * 1024 }),
          latencyP99Ms: fc.integer({ min: 1, max: 10_000 }),
          durability: fc.constantFrom("strict" as const, "standard" as const, "best-effort" as const),
          ordering: fc.constantFrom("none" as const, "per-key" as const, "global" as const),
          replay: fc.constantFrom(0, "1h", "2d", "30d"),
          brokers: fc.constantFrom(
            ["rabbitmq" as const],
            ["redis" as const],
            ["rabbitmq" as const, "redis" as const],
          ),
        }),
        (input) => {
          const d = advise(req({ ...input, brokers: [...input.brokers] })); // validates its own topology
          expect(input.brokers).toContain(d.choice.startsWith("redis") ? "redis" : "rabbitmq");
          expect(d.compromise).toBe(d.problems.length > 0);
          // Global order is one message at a time; per-key order takes a prefetch above 1 only with per-key
          // handling in the consumer; an ordered queue has one active consumer.
          if (input.ordering === "global") expect(d.sizing.prefetch).toBe(1);
          if (input.ordering === "per-key") expect(d.code.consumer).toContain('order: "per-key"');
          if (input.ordering !== "none") {
            for (const t of d.topology.rabbitmq?.topics ?? [])
              for (const g of t.groups)
                if (g.queueType === "quorum")
                  expect(g.arguments).toMatchObject({ "x-single-active-consumer": true });
          }
          const md = renderDesign(d, "markdown");
          for (const section of [
            "Recommendation",
            "Alternatives",
            "Trade-offs",
            "Sizing",
            "Topology",
            "Test plan",
            "Rollback",
          ])
            expect(md).toContain(`## ${section}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects bad requirements with the field that is wrong", () => {
    expect(() => req({ rate: -5 })).toThrow(/rate: .*(>0|positive|greater)/i);
    expect(() => req({ rate: 10, messageSize: "4 parsecs" })).toThrow(/messageSize: not a size/);
    expect(() => req({ rate: 10, replay: "forever" })).toThrow(/replay: not a duration/);
    expect(() => req({ rate: 10, colour: "blue" } as RequirementsInput)).toThrow(/colour/);
    expect(req({ rate: 10, messageSize: "4KiB" }).messageSize).toBe(4096);
  });
});
