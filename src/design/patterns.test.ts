/** The cases: the pattern an architect would pick for the numbers, with its reason. */
import { describe, expect, it } from "vitest";
import { parseOptions } from "../core/options.js";
import { advise } from "./advise.js";
import { PatternThresholds } from "./patterns.js";
import { topologyYaml } from "./render.js";
import { requirementsSchema, type RequirementsInput } from "./requirements.js";

const design = (input: RequirementsInput) => advise(parseOptions(requirementsSchema, input, "requirements"));

describe("design patterns", () => {
  it("sends 20 MiB messages through a claim-check and sizes the broker for the references", () => {
    const d = design({ rate: 50, messageSize: "20MiB" });
    expect(d.patterns.map((p) => p.id)).toEqual(["claim-check"]);
    expect(d.problems.join(" ")).not.toMatch(/sharded by hand/);
    expect(d.compromise).toBe(false);
    expect(d.sizing.bytesPerSecond).toBe(50 * PatternThresholds.referenceBytes);
    const cc = d.patterns[0]!;
    expect(cc.settings.join("\n")).toMatch(/write the object first, then publish the reference/);
    expect(cc.settings.join("\n")).toMatch(/expire objects after 15 days/);
    expect(d.testPlan.find((t) => t.command.startsWith("mqa bench"))!.command).toContain("--size 512");
    expect(topologyYaml(d)).toMatch(/^# Designed by `mqa design`\. Patterns, and why:\n# - Claim-check/);
  });

  it("uses a lower claim-check threshold on Redis, whose memory is the backlog", () => {
    const onRedis = design({ rate: 100, messageSize: "300KiB", latencyP99Ms: 5, durability: "best-effort" });
    expect(onRedis.choice).toBe("redis-streams");
    expect(onRedis.patterns.map((p) => p.id)).toContain("claim-check");
    const onRabbit = design({ rate: 100, messageSize: "300KiB", durability: "strict" });
    expect(onRabbit.choice).toBe("rabbitmq-quorum");
    expect(onRabbit.patterns.map((p) => p.id)).not.toContain("claim-check");
  });

  it("keeps per-key order at scale by partitions and per-key handling, never by prefetch alone", () => {
    const d = design({ rate: 5000, handlerTime: "50ms", ordering: "per-key", brokers: ["rabbitmq"] });
    // 5000 msg/s × 50 ms × 1.25 = 313 handlers at once: 4 partition queues at prefetch 79, one active process.
    expect(d.sizing).toMatchObject({ partitions: 4, consumerProcessesPerGroup: 2, prefetch: 79 });
    const topic = d.topology.rabbitmq!.topics![0]!;
    expect(topic.partitions).toBe(4);
    expect(topic.groups.every((g) => g.arguments?.["x-single-active-consumer"] === true)).toBe(true);
    const p = d.patterns.find((x) => x.id === "partition-by-key")!;
    expect(p.reason).toMatch(/4 partitions keep each key on one consumer at a time/);
    expect(p.settings.join("\n")).toMatch(/order: "per-key" and prefetch 79 per partition queue/);
    expect(p.settings.join("\n")).toMatch(/not an even spread/);
    expect(d.code.consumer).toContain('order: "per-key"');

    const redis = design({ rate: 5000, handlerTime: "50ms", ordering: "per-key", brokers: ["redis"] });
    expect(redis.sizing).toMatchObject({ partitions: 4, consumerProcessesPerGroup: 4, prefetch: 79 });
    expect(redis.topology.redis!.streams![0]!.partitions).toBe(4);
    expect(redis.patterns.find((x) => x.id === "partition-by-key")!.settings.join("\n")).toMatch(
      /4 consumers per group .* order: "per-key" and prefetch 79/,
    );
  });

  it("gives each latency class its own lane, sized for its share", () => {
    const d = design({
      rate: 1000,
      latencyClasses: [
        { name: "interactive", share: 0.1, latencyP99Ms: 50 },
        { name: "bulk", share: 0.9, latencyP99Ms: 10_000 },
      ],
    });
    expect(d.lanes.map((l) => [l.topic, l.rate])).toEqual([
      ["events.interactive", 100],
      ["events.bulk", 900],
    ]);
    expect(d.topology.rabbitmq!.topics!.map((t) => t.name)).toEqual(["events.interactive", "events.bulk"]);
    expect(d.patterns.map((p) => p.id)).toContain("priority-lanes");
    // Global order is one queue: no lanes, and the report says what that costs.
    const global = design({ ...d.requirements, ordering: "global" });
    expect(global.lanes).toHaveLength(1);
    expect(global.problems.join(" ")).toMatch(/latency classes share it/);
    expect(() => design({ rate: 10, latencyClasses: [{ name: "a", share: 0.5, latencyP99Ms: 5 }] })).toThrow(
      /latencyClasses: the shares must add up to 1/,
    );
  });

  it("batches acks where one consumer process handles thousands of messages a second", () => {
    const d = design({ rate: 20_000, handlerTime: "1ms", durability: "strict" });
    expect(d.patterns.map((p) => p.id)).toContain("batching");
    expect(d.configs[1]!.lines).toContain("ackBatchSize: 5");
    const slow = design({ rate: 500, durability: "strict" });
    expect(slow.patterns.map((p) => p.id)).not.toContain("batching");
  });
});
